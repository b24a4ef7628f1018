"""The index in PostgreSQL, for one indexing run: no lock file and no generation files.

A run stages its embedded chunks in ``staged_chunks`` (each batch committed, so a run killed
mid-embedding keeps its work) and commits everything in one transaction: the articles, their
chunks inserted into the live HNSW index (never a rebuild), their stems, wire groups and the
counts BM25 needs. Readers see the index before or after, never between. Runs from several
processes (``revue index``, ``/reindex``, feed polls) take turns on an advisory lock, which
the server releases if the process dies.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg

from index.records import publication_key
from index.stemming import stemmed_text
from index.storage.postgres import schema
from index.storage.postgres.connect import connect
from index.storage.protocols import NewArticle, Staged
from index.text import words

INDEX_LOCK = 0x5245_5655_0002  # "REVU" 2: one indexing run at a time
# After a commit of this many chunks, VACUUM ANALYZE the new rows: index-only scans (BM25's
# postings) need them marked all-visible, which autovacuum does only later; small commits
# leave it to autovacuum.
VACUUM_FROM = 1_000

NEW_CHUNKS = """
with n as (
    select %(first)s + row_number() over (order by seq) - 1 as id, s.* from staged_chunks s
)
"""


class PostgresWriter:
    """One run's view of the index in the database (``IndexWriter``)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    @classmethod
    @contextmanager
    def open(cls, url: str, exact_up_to: int = 0) -> Iterator[PostgresWriter]:
        """The writer, once any other run has committed (``DatabaseUnavailable`` if down)."""
        conn = connect(url, autocommit=True)
        try:
            if not schema.is_current(conn):
                schema.migrate(conn)
                conn.close()
                conn = connect(url, autocommit=True)
            conn.execute("select pg_advisory_lock(%s)", [INDEX_LOCK])
            yield cls(conn)
        finally:
            conn.close()  # the session's advisory lock goes with it

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("select value from meta where key = %s", [key]).fetchone()
        return row[0] if row else None

    def _set_meta(self, values: Mapping[str, str]) -> None:
        self.conn.cursor().executemany(
            "insert into meta (key, value) values (%s, %s) "
            "on conflict (key) do update set value = excluded.value",
            list(values.items()),
        )

    # -- what the run reads --------------------------------------------------------------------
    def model(self) -> str | None:
        return self._meta("model")

    def article_hashes(self) -> dict[str, str]:
        return dict(self.conn.execute("select id, content_hash from articles").fetchall())

    def signed_ids(self) -> set[str]:
        rows = self.conn.execute("select id from articles where signature is not null")
        return {r[0] for r in rows}

    def signatures(self) -> dict[str, bytes]:
        rows = self.conn.execute("select id, signature from articles where signature is not null")
        return {r[0]: bytes(r[1]) for r in rows}

    def publication_order(self) -> dict[str, tuple[str, str]]:
        rows = self.conn.execute("select id, date from articles")
        return {r[0]: publication_key(r[1], r[0]) for r in rows}

    def counts(self) -> tuple[int, int]:
        row = self.conn.execute(
            "select (select count(*) from articles), (select count(*) from chunks)"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def group_count(self) -> int:
        row = self.conn.execute(
            "select count(distinct group_id) from articles where group_id is not null"
        ).fetchone()
        return int(row[0]) if row else 0

    # -- staging and committing ----------------------------------------------------------------
    def staged_for(self, fingerprint: str, keep: Mapping[str, str]) -> dict[str, str]:
        with self.conn.transaction():
            if self._meta("staged_model") not in (None, fingerprint):
                self.conn.execute("delete from staged_chunks")
            staged = self._staged_hashes()
            stale = [a for a, h in staged.items() if keep.get(a) != h]
            self.conn.execute("delete from staged_chunks where article_id = any(%s)", [stale])
            self._set_meta({"staged_model": fingerprint})
        return {a: h for a, h in staged.items() if a not in set(stale)}

    def _staged_hashes(self) -> dict[str, str]:
        rows = self.conn.execute("select distinct article_id, content_hash from staged_chunks")
        return {r[0]: r[1] for r in rows}

    def stage(self, items: Sequence[NewArticle]) -> None:
        rows = [
            (
                item.article.id,
                item.article.content_hash,
                c.ordinal,
                c.start,
                c.end,
                c.text,
                np.asarray(v, dtype=np.float32),
                stemmed_text(c.text, item.article.language),
                " ".join(words(c.text)),
            )  # fmt: skip
            for item in items
            for c, v in zip(item.chunks, item.vectors, strict=True)
        ]
        with self.conn.transaction():
            ids = [item.article.id for item in items]
            self.conn.execute("delete from staged_chunks where article_id = any(%s)", [ids])
            self.conn.cursor().executemany(
                'insert into staged_chunks (article_id, content_hash, ordinal, start, "end", '
                "text, embedding, stems, words) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )

    def commit(self, staged: Staged, dim: int, meta: Mapping[str, str]) -> None:
        """Swap the staged work in, in one transaction (see the module's docstring)."""
        todo = staged.added + staged.changed
        with self.conn.transaction():
            # Durable whatever the server's default, and flushed before the VACUUM below can
            # mark the new rows all-visible (with it off, measured: none were).
            self.conn.execute("set local synchronous_commit = on")
            self._drop_articles([*staged.removed, *(a.id for a in todo)])
            self._insert_articles(todo)
            first = self._chunk_id_high() + 1
            self._insert_chunks(first)
            row = self.conn.execute("select count(*) from staged_chunks").fetchone()
            added = int(row[0]) if row else 0
            self.conn.execute("delete from staged_chunks")
            self._set_groups(staged)
            self._set_meta(dict(meta) | self._counts(dim, first - 1 + added))
            schema.ensure_vector_index(self.conn, dim)
        if added >= VACUUM_FROM:
            self.conn.execute("vacuum analyze terms, chunks")

    def refresh(self) -> None:
        dim = int(self._meta("dim") or 0)
        if dim:
            with self.conn.transaction():
                schema.ensure_vector_index(self.conn, dim)

    def _drop_articles(self, ids: list[str]) -> None:
        chunk_ids = "select id from chunks where article_id = any(%s)"
        self.conn.execute(f"delete from terms where chunk_id in ({chunk_ids})", [ids])
        self.conn.execute("delete from chunks where article_id = any(%s)", [ids])
        self.conn.execute("delete from articles where id = any(%s)", [ids])

    def _insert_articles(self, articles: Sequence[Any]) -> None:
        columns = ["id", "title", "source", "author", "date", "url", "language"]
        self.conn.cursor().executemany(
            f"insert into articles ({', '.join(columns)}, text, content_hash, origin) "
            f"values ({', '.join(['%s'] * (len(columns) + 3))})",
            [
                [a.id, *(a.meta()[c] for c in columns[1:]), a.text, a.content_hash, a.origin]
                for a in articles
            ],
        )

    def _insert_chunks(self, first: int) -> None:
        length = "coalesce(cardinality(string_to_array(nullif(n.stems, ''), ' ')), 0)"
        self.conn.execute(
            NEW_CHUNKS + 'insert into chunks (id, article_id, ordinal, start, "end", text, '
            f'embedding, length, words) select n.id, n.article_id, n.ordinal, n.start, n."end", '
            f"n.text, n.embedding, {length}, to_tsvector('simple', n.words) from n",
            {"first": first},
        )
        self.conn.execute(
            NEW_CHUNKS + "insert into terms (term, chunk_id, tf, length) "
            f"select t.term, n.id, count(*), max({length}) from n, "
            "unnest(string_to_array(nullif(n.stems, ''), ' ')) as t(term) group by t.term, n.id",
            {"first": first},
        )

    def _chunk_id_high(self) -> int:
        """The highest chunk id ever given: ids are never reused."""
        row = self.conn.execute("select coalesce(max(id), 0) from chunks").fetchone()
        return max(int(row[0]) if row else 0, int(self._meta("chunk_id_high") or 0))

    def _set_groups(self, staged: Staged) -> None:
        """New signatures, and the groups that changed: ``groups`` names every article of the
        corpus, and updating each row (36,000 at 36,000 articles) on every poll bloated the
        table and its indexes for nothing."""
        self.conn.cursor().executemany(
            "update articles set signature = %s where id = %s",
            [(sig, a) for a, sig in staged.signatures.items()],
        )
        self.conn.execute(
            "update articles a set group_id = v.g "
            "from unnest(%s::text[], %s::text[]) as v(id, g) "
            "where a.id = v.id and a.group_id is distinct from v.g",
            [list(staged.groups), list(staged.groups.values())],
        )

    def _counts(self, dim: int, high: int) -> dict[str, str]:
        """What readers need besides rows: the dimension, the counts BM25 needs, and the
        generation (a counter of commits: a reader's cached snapshot is stale past it)."""
        row = self.conn.execute("select count(*), coalesce(sum(length), 0) from chunks").fetchone()
        assert row is not None
        return {
            "dim": str(dim),
            "generation": str(int(self._meta("generation") or 0) + 1),
            "chunk_id_high": str(high),
            "chunk_count": str(row[0]),
            "stem_tokens": str(row[1]),
        }
