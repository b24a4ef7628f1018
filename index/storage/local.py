"""The embedded index for readers: one data directory holding the SQLite database (articles,
chunks, the keyword side, wire groups) and one FAISS file per committed generation.

Callers get a ``Snapshot`` (the store and the vectors of one generation) and never see file
names, generations or the writer's lock: they were the engine's business before, which tied it
to this backend (issue 23).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.errors import IndexBusy, IndexDamaged, IndexMissing
from index.storage.layout import db_path, vectors_path, writer_lock
from index.storage.store import Store
from index.storage.vectors import VectorIndex

log = logging.getLogger("revue")


@dataclass(frozen=True)
class Snapshot:
    """One generation of the index: its database and its vectors, which agree. A new
    ``vectors`` object means a reindex was committed since the last snapshot."""

    store: Store
    vectors: VectorIndex


class LocalIndex:
    """Opens the index in ``data_dir`` for reading, follows the generations other processes
    commit, and rebuilds a missing or damaged FAISS file from the vectors kept in SQLite."""

    def __init__(self, data_dir: Path, exact_search_up_to: int) -> None:
        self.data_dir = data_dir
        self.exact_search_up_to = exact_search_up_to
        # One SQLite connection, shared by the engine's worker threads: every read holds it.
        self._lock = threading.RLock()
        self._store: Store | None = None
        self._vectors: VectorIndex | None = None
        self.generation: int | None = None  # the one ``_vectors`` belongs to

    def exists(self) -> bool:
        return db_path(self.data_dir).exists()

    def current(self) -> Snapshot:
        """The generation the database is at now (its vectors loaded once), or
        ``IndexMissing``."""
        db = db_path(self.data_dir)
        if not db.exists():
            raise IndexMissing(f"no index in {self.data_dir}")
        with self._lock:
            store = self._open_store(db)
            meta = store.meta()  # one snapshot: generation and counts agree
            generation = int(meta.get("generation") or 0)
            if generation == 0:
                raise IndexMissing(f"the index in {self.data_dir} is empty")
            if self._vectors is None or generation != self.generation:
                self._vectors = self._load_vectors(store, generation, meta)
                self.generation = generation
            return Snapshot(store, self._vectors)

    @contextmanager
    def reading(self) -> Iterator[Snapshot]:
        """A snapshot whose every read is made at one instant (``Store.snapshot``). Another
        process may commit a reindex at any moment: a question's chunks, articles and wire
        copies then still agree, and its FAISS file is the one its generation names."""
        first = self.current()  # the store, or IndexMissing
        with self._lock, first.store.snapshot():
            yield self.current()

    def reload(self) -> None:
        """Read the vectors again on the next snapshot, as after a committed reindex."""
        with self._lock:
            self.generation = None

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = self._vectors = None
            self.generation = None

    def _open_store(self, db: Path) -> Store:
        if self._store is None:
            store = Store(db, readonly=True)
            if not store.is_current():
                # An index written by an older Revue: bring its schema up to date once.
                store.close()
                with writer_lock(self.data_dir):
                    Store(db).close()
                store = Store(db, readonly=True)
            self._store = store
        return self._store

    def _load_vectors(self, store: Store, generation: int, meta: dict[str, str]) -> VectorIndex:
        path = vectors_path(self.data_dir, generation)
        dim = int(meta.get("dim") or 0)
        expected = meta.get("chunk_count")
        chunks = int(expected) if expected is not None else store.counts()[1]
        try:
            if not path.exists():
                raise IndexDamaged(f"{path.name} is missing")
            vi = VectorIndex.load(path)
            if vi.size != chunks or vi.dim != dim:
                raise IndexDamaged(
                    f"{path.name} holds {vi.size} vectors of dimension {vi.dim} "
                    f"for {chunks} chunks of dimension {dim}"
                )
            return vi
        except IndexDamaged as exc:
            # Derived data: rebuild it from the vectors kept in SQLite (no re-embedding).
            log.warning("vector index unusable (%s); rebuilding it from the database", exc)
            vi = VectorIndex.build(dim, store.iter_vectors(), self.exact_search_up_to)
            try:
                with writer_lock(self.data_dir):
                    if int(store.meta().get("generation") or 0) == generation:
                        vi.save(path)
            except IndexBusy:
                pass  # a reindex is running and will write a fresh file
            return vi
