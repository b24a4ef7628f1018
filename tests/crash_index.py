"""Runs ``revue index`` and SIGKILLs itself at a named point (a test helper, not a test).

    python tests/crash_index.py POINT -- [revue index arguments]

Points:
  staged   after the second batch of embedded chunks is committed to the staging table
  vectors  after the next generation's FAISS file is written, before the database commit
  commit   inside the database transaction that swaps the new generation in
  cleanup  after the commit, before old FAISS files are deleted
  pg-staged  PostgreSQL: after the second batch of embedded chunks is staged
  pg-commit  PostgreSQL: inside the transaction that commits the run (chunks inserted)
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlite_utils.db  # noqa: E402

from index.indexing import embedding  # noqa: E402
from index.storage import local, store  # noqa: E402
from index.storage.postgres import writer  # noqa: E402


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    embedding.STAGE_CHUNKS = 1  # one commit per article, so there are several batches
    if point == "staged":
        original_stage = store.Store.stage
        calls = []

        def stage(self, items):
            original_stage(self, items)
            calls.append(1)
            if len(calls) == 2:
                die()

        store.Store.stage = stage  # type: ignore[method-assign]
    elif point == "vectors":
        original_save = local.VectorIndex.save

        def save(self, path):
            original_save(self, path)
            die()

        local.VectorIndex.save = save  # type: ignore[method-assign]
    elif point == "commit":
        original_upsert = sqlite_utils.db.Table.upsert_all

        def upsert_all(self, records, *args, **kwargs):
            records = list(records)
            if self.name == "meta" and any(r.get("key") == "generation" for r in records):
                die()  # chunks are inserted, the transaction is open
            return original_upsert(self, records, *args, **kwargs)

        sqlite_utils.db.Table.upsert_all = upsert_all  # type: ignore[method-assign]
    elif point == "cleanup":

        def drop_old_vectors(data_dir, generation):
            die()

        local.drop_old_vectors = drop_old_vectors
    elif point == "pg-staged":
        original_pg_stage = writer.PostgresWriter.stage
        staged = []

        def pg_stage(self, items):
            original_pg_stage(self, items)
            staged.append(1)
            if len(staged) == 2:
                die()

        writer.PostgresWriter.stage = pg_stage  # type: ignore[method-assign]
    elif point == "pg-commit":

        def set_groups(self, staged):
            die()  # chunks and articles are inserted, the transaction is open

        writer.PostgresWriter._set_groups = set_groups  # type: ignore[method-assign]
    else:
        sys.exit(f"unknown point {point!r}")


if __name__ == "__main__":
    arm(sys.argv[1])
    from cli.main import main

    sys.argv = ["revue", "index", *sys.argv[3:]]
    main()
