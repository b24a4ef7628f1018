"""The SQLite store, written with sqlite-utils (imported only in ``index/storage/``).

Tables: ``articles``, ``chunks`` (offsets into the article text, and the chunk's vector, so the
FAISS index can always be rebuilt without re-embedding), ``chunks_fts`` (FTS5, BM25), ``meta``,
``staged_chunks`` and ``_sqlite_migrations``. FAISS ids are ``chunks.id`` (the rowid).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import sqlite_utils

from index.errors import IndexDamaged
from index.records import ARTICLE_META, Article, Chunk, Coverage, IndexSize, publication_key
from index.storage import migrations
from index.storage.filtering import Filtering
from index.storage.groups import WireGroups, marks
from index.storage.protocols import Keep, StoredChunk
from index.storage.staging import Staging


class Store(Staging, WireGroups, Filtering):
    """Articles, chunks, vectors and metadata in one SQLite file."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path = path
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        try:
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                migrations.migrate(self.db)
            self.get_meta("dim")  # a file that is not a Revue database fails here, not later
        except sqlite3.DatabaseError as exc:
            raise IndexDamaged(f"{path} is not a readable Revue database: {exc}") from exc

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read made inside sees the database at one instant: one read transaction,
        which WAL lets a writer commit beside. Without it each statement sees the latest commit,
        so a question could find a chunk before a reindex committed and miss its article after
        (measured: two reader processes under 88 reindexes in 22 s failed that way). Reentrant;
        keep it short, as a checkpoint cannot pass a snapshot still open."""
        if self.db.conn.in_transaction:
            yield
            return
        self.db.execute("begin")
        try:
            yield
        finally:
            self.db.execute("commit")  # ends the read transaction: nothing was written

    def is_current(self) -> bool:
        """Whether every migration has been applied (a read-only store cannot apply them)."""
        return migrations.is_current(self.db)

    @property
    def dim(self) -> int:
        """The stored vectors' dimension (0 before the first index)."""
        return int(self.get_meta("dim") or 0)

    # -- metadata ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = list(self.db.query("select value from meta where key = ?", [key]))
        return rows[0]["value"] if rows else None

    def meta(self) -> dict[str, str]:
        """Every metadata value, read at one instant (one statement, one snapshot)."""
        return {r[0]: r[1] for r in self.db.execute("select key, value from meta")}

    def set_meta(self, values: dict[str, str]) -> None:
        with self.db.atomic():
            self.db.table("meta").upsert_all(
                [{"key": k, "value": v} for k, v in values.items()], pk="key"
            )

    # -- writing ----------------------------------------------------------------------------
    def article_hashes(self) -> dict[str, str]:
        return {
            r["id"]: r["content_hash"]
            for r in self.db.query("select id, content_hash from articles")
        }

    def chunk_id_high(self) -> int:
        """The highest chunk id ever given; ids are never reused, so an old FAISS file
        cannot point at a different chunk."""
        live = self.db.execute("select coalesce(max(id), 0) from chunks").fetchone()[0]
        return max(int(live), int(self.get_meta("chunk_id_high") or 0))

    def publication_order(self) -> dict[str, tuple[str, str]]:
        """Article id -> (date, id), the order in which copies of a dispatch appeared."""
        rows = self.db.execute("select id, date from articles")
        return {r[0]: publication_key(r[1], r[0]) for r in rows}

    def signed_ids(self) -> set[str]:
        """Articles that have a wire signature (possibly empty: too short to compare)."""
        rows = self.db.execute("select id from articles where signature is not null")
        return {r[0] for r in rows}

    def signatures(self) -> dict[str, bytes]:
        rows = self.db.execute("select id, signature from articles where signature is not null")
        return {r[0]: r[1] for r in rows}

    # -- reading ----------------------------------------------------------------------------
    def counts(self) -> tuple[int, int]:
        articles = self.db.execute("select count(*) from articles").fetchone()[0]
        chunks = self.db.execute("select count(*) from chunks").fetchone()[0]
        return int(articles), int(chunks)

    def coverage(self) -> Coverage:
        row = self.db.execute(
            "select count(*), min(nullif(date, '')), max(nullif(date, '')) from articles"
        ).fetchone()
        return Coverage(int(row[0]), row[1], row[2])

    def index_size(self) -> IndexSize:
        meta = self.meta()
        articles = self.db.execute("select count(*) from articles").fetchone()[0]
        chunks, generation = int(meta.get("chunk_count") or 0), int(meta.get("generation") or 0)
        return IndexSize(int(articles), chunks, generation)

    def iter_vectors(
        self, exclude: Iterable[str] = (), batch: int = 20000
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(chunk ids, vectors) in id order, in batches, leaving out the ``exclude`` articles."""
        skip = set(exclude)
        last = -1
        while True:
            rows = self.db.execute(
                "select id, vector, article_id from chunks where id > ? order by id limit ?",
                [last, batch],
            ).fetchall()
            if not rows:
                return
            last = int(rows[-1][0])
            if skip:
                rows = [r for r in rows if r[2] not in skip]
                if not rows:
                    continue
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            yield ids, vecs.reshape(len(rows), -1)

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        if not chunk_ids:
            return {}
        rows = self.db.execute(
            f"select id, vector from chunks where id in ({marks(len(chunk_ids))})", list(chunk_ids)
        )
        return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        if not chunk_ids:
            return {}
        rows = self.db.query(
            'select id, article_id, ordinal, start, "end", text from chunks '
            f"where id in ({marks(len(chunk_ids))})",
            list(chunk_ids),
        )
        return {r["id"]: StoredChunk(**r) for r in rows}

    def stem_search(
        self, stems: Sequence[str], k: int, keep: Keep | None = None, share: float = 1.0
    ) -> list[tuple[int, float]]:
        """Chunks matching any of ``stems`` (and that ``keep`` keeps, when given), best BM25
        first, as (chunk id, bm25 score)."""
        sql = (
            "select rowid, bm25(chunks_stem) as score from chunks_stem "
            "where chunks_stem match ? order by score"
        )
        rows = self._match_any(sql, stems, k, keep, share)
        return [(int(r[0]), -float(r[1])) for r in rows]

    def phrase_search(
        self, runs: Sequence[str], k: int, keep: Keep | None = None, share: float = 1.0
    ) -> list[tuple[int, str]]:
        """Chunks holding any of ``runs`` (words in that order, and that ``keep`` keeps, when
        given), best BM25 first, as (chunk id, text)."""
        sql = (
            "select chunks_fts.rowid, (select text from chunks where id = chunks_fts.rowid) "
            "from chunks_fts where chunks_fts match ? order by bm25(chunks_fts)"
        )
        return [(int(r[0]), str(r[1])) for r in self._match_any(sql, runs, k, keep, share)]

    def _match_any(
        self, sql: str, terms: Sequence[str], k: int, keep: Keep | None, share: float = 1.0
    ) -> list[sqlite3.Row]:
        """The first ``k`` rows of an FTS5 ``sql`` (its parameter: the match) matching any of
        ``terms``, each quoted as a phrase, and whose first column ``keep`` keeps (when
        given: a filter letting ``share`` of the articles through); none for no terms or a
        query FTS5 refuses.

        A filter reads the ranked matches, a batch at a time, until ``k`` pass, rather than
        joining each match to its article in SQL: at 36,000 articles the join cost 2-3x the
        unfiltered search. It first asks for k / share x 3 matches (SQLite ranks a limited
        query on a heap, 73 ms against 130-165 ms for all of them), then for all of them."""
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        try:
            if keep is None:
                return list(self.db.execute(sql + " limit ?", [match, k]).fetchall())
            first = math.ceil(k / max(share, 1e-6) * 3)
            rows, read = self._kept(sql + " limit ?", [match, first], k, keep)
            if len(rows) < k and read == first:  # the limit cut the ranking short
                rows, _ = self._kept(sql, [match], k, keep)
            return rows
        except sqlite3.OperationalError:
            return []

    def _kept(
        self, sql: str, params: list[object], k: int, keep: Keep
    ) -> tuple[list[sqlite3.Row], int]:
        """The first ``k`` rows of ``sql`` that ``keep`` keeps, and how many rows were read."""
        cursor, rows, read = self.db.execute(sql, params), list[sqlite3.Row](), 0
        while len(rows) < k and (batch := cursor.fetchmany(max(k, 64))):
            read += len(batch)
            passed = keep([row[0] for row in batch])
            rows += [row for row in batch if row[0] in passed]
        return rows[:k], read

    def article_chunks(self, article_id: str) -> tuple[tuple[Chunk, ...], np.ndarray]:
        """An article's chunks in order, and their vectors (copying an index elsewhere)."""
        rows = self.db.execute(
            'select ordinal, start, "end", text, vector from chunks where article_id = ? '
            "order by ordinal",
            [article_id],
        ).fetchall()
        chunks = tuple(Chunk(article_id, r[0], r[1], r[2], r[3]) for r in rows)
        vectors = np.frombuffer(b"".join(r[4] for r in rows), dtype=np.float32)
        return chunks, vectors.reshape(len(rows), -1)

    def chunk_ids_of(self, article_ids: Iterable[str]) -> list[int]:
        """The live chunk ids of ``article_ids``, 500 articles a query."""
        todo, found = sorted(article_ids), list[int]()
        for at in range(0, len(todo), 500):
            part = todo[at : at + 500]
            rows = self.db.execute(
                f"select id from chunks where article_id in ({marks(len(part))})", part
            )
            found += [int(r[0]) for r in rows]
        return found

    def groups(self) -> dict[str, str | None]:
        """Every article's wire group (None: no copies)."""
        return {r[0]: r[1] for r in self.db.execute("select id, group_id from articles")}

    def article(self, article_id: str) -> Article | None:
        rows = list(self.db.query("select * from articles where id = ?", [article_id]))
        if not rows:
            return None
        r = rows[0]
        meta = {key: r[key] for key in ARTICLE_META}
        return Article(id=r["id"], text=r["text"], origin=r["origin"] or "", **meta)
