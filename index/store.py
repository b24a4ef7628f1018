"""The SQLite store, written with sqlite-utils (the only module that imports it).

Tables: ``articles``, ``chunks`` (offsets into the article text, and the chunk's vector, so the
FAISS index can always be rebuilt without re-embedding), ``chunks_fts`` (FTS5, BM25), ``meta``
and ``_migrations``. FAISS ids are ``chunks.id`` (the rowid).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import numpy as np
import sqlite_utils

from index.errors import IndexDamaged
from index.records import Article, ArticleInfo, Chunk, Copy, publication_key
from index.schema import MIGRATIONS


@dataclass(frozen=True)
class StoredChunk(Chunk):
    """A chunk row as read back from the store, with its rowid (the FAISS id)."""

    id: int


@dataclass(frozen=True)
class NewArticle:
    """An article with its chunks and their vectors, ready to be written."""

    article: Article
    chunks: tuple[Chunk, ...]
    vectors: np.ndarray


class Store:
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
                self._migrate()
            self.dim = int(self.get_meta("dim") or 0)
        except sqlite3.DatabaseError as exc:
            raise IndexDamaged(f"{path} is not a readable Revue database: {exc}") from exc

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        table = self.db["_migrations"]
        if not table.exists():
            table.create({"name": str, "applied_at": str}, pk="name")  # type: ignore[union-attr]
        done = {row["name"] for row in table.rows}
        for name, migration in MIGRATIONS:
            if name not in done:
                with self.db.atomic():
                    migration(self.db)
                    table.insert({"name": name, "applied_at": _now()})  # type: ignore[union-attr]

    @property
    def schema_version(self) -> int:
        return len(list(self.db["_migrations"].rows))

    def is_current(self) -> bool:
        """Whether every migration has been applied (a read-only store cannot apply them)."""
        return self.schema_version == len(MIGRATIONS)

    # -- metadata ---------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = list(self.db.query("select value from meta where key = ?", [key]))
        return rows[0]["value"] if rows else None

    def meta(self) -> dict[str, str]:
        """Every metadata value, read at one instant (one statement, one snapshot)."""
        return {r[0]: r[1] for r in self.db.execute("select key, value from meta")}

    def set_meta(self, values: dict[str, str]) -> None:
        with self.db.atomic():
            self.db["meta"].upsert_all(  # type: ignore[union-attr]
                [{"key": k, "value": v} for k, v in values.items()], pk="key"
            )

    # -- writing ----------------------------------------------------------------------------
    def article_hashes(self) -> dict[str, str]:
        return {
            r["id"]: r["content_hash"]
            for r in self.db.query("select id, content_hash from articles")
        }

    def stage(self, items: Sequence[NewArticle]) -> None:
        """Keep the embedded chunks of articles not yet committed (one transaction)."""
        with self.db.atomic():
            for item in items:
                a = item.article
                self.db.execute("delete from staged_chunks where article_id = ?", [a.id])
                self.db["staged_chunks"].insert_all(  # type: ignore[union-attr]
                    (
                        {
                            "article_id": a.id,
                            "content_hash": a.content_hash,
                            "ordinal": c.ordinal,
                            "start": c.start,
                            "end": c.end,
                            "text": c.text,
                            "vector": np.asarray(v, dtype=np.float32).tobytes(),
                        }
                        for c, v in zip(item.chunks, item.vectors, strict=True)
                    ),
                    batch_size=500,
                )

    def staged_hashes(self) -> dict[str, str]:
        """Article id -> content hash of the articles whose chunks are staged."""
        rows = self.db.execute("select distinct article_id, content_hash from staged_chunks")
        return {r[0]: r[1] for r in rows}

    def drop_staged(self, keep: dict[str, str] | None = None) -> None:
        """Forget staged chunks, except those of ``keep`` (article id -> content hash)."""
        keep = keep or {}
        stale = [a for a, h in self.staged_hashes().items() if keep.get(a) != h]
        with self.db.atomic():
            for article_id in stale:
                self.db.execute("delete from staged_chunks where article_id = ?", [article_id])

    def staged_count(self) -> int:
        return int(self.db.execute("select count(*) from staged_chunks").fetchone()[0])

    def iter_staged(
        self, first_id: int, batch: int = 20000
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Staged vectors in the order ``commit`` numbers them, with the ids they will get."""
        offset = 0
        while True:
            rows = self.db.execute(
                "select vector from staged_chunks order by rowid limit ? offset ?", [batch, offset]
            ).fetchall()
            if not rows:
                return
            ids = np.arange(first_id + offset, first_id + offset + len(rows), dtype=np.int64)
            vecs = np.frombuffer(b"".join(r[0] for r in rows), dtype=np.float32)
            yield ids, vecs.reshape(len(rows), -1)
            offset += len(rows)

    def commit(
        self,
        articles: Sequence[Article],
        signatures: dict[str, bytes],
        removed: Iterable[str],
        groups: dict[str, str | None],
        first_id: int,
        meta: dict[str, str],
    ) -> None:
        """Swap in a new generation in one transaction.

        ``articles`` (new or changed) replace their previous rows, ``removed`` ones are deleted,
        and every staged chunk becomes a live chunk numbered from ``first_id`` in staging order.
        ``signatures`` and ``groups`` set those columns of the articles they name.
        """
        with self.db.atomic():
            for article_id in [*removed, *(a.id for a in articles)]:
                self.db.execute("delete from chunks where article_id = ?", [article_id])
                self.db.execute("delete from articles where id = ?", [article_id])
            self.db["articles"].insert_all(  # type: ignore[union-attr]
                (
                    {
                        "id": a.id,
                        "title": a.title,
                        "source": a.source,
                        "author": a.author,
                        "date": a.date,
                        "url": a.url,
                        "language": a.language,
                        "text": a.text,
                        "content_hash": a.content_hash,
                        "origin": a.origin,
                    }
                    for a in articles
                ),
                batch_size=500,
            )
            self.db.execute(
                'insert into chunks (id, article_id, ordinal, start, "end", text, vector) '
                "select ? + row_number() over (order by rowid) - 1, "
                'article_id, ordinal, start, "end", text, vector from staged_chunks',
                [first_id],
            )
            self.db.execute("delete from staged_chunks")
            self.db.conn.executemany(
                "update articles set signature = ? where id = ?",
                [(sig, a) for a, sig in signatures.items()],
            )
            self.db.conn.executemany(
                "update articles set group_id = ? where id = ?",
                [(g, a) for a, g in groups.items()],
            )
            self.db["meta"].upsert_all(  # type: ignore[union-attr]
                [{"key": k, "value": v} for k, v in meta.items()], pk="key"
            )
        self.dim = int(self.get_meta("dim") or 0)

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
        marks = ",".join("?" * len(chunk_ids))
        rows = self.db.execute(
            f"select id, vector from chunks where id in ({marks})", list(chunk_ids)
        )
        return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self.db.query(
            f'select id, article_id, ordinal, start, "end", text from chunks where id in ({marks})',
            list(chunk_ids),
        )
        return {r["id"]: StoredChunk(**r) for r in rows}

    def keyword_search(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Chunks matching any of ``terms``, best BM25 first, as (chunk id, bm25 score)."""
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        sql = (
            "select rowid, bm25(chunks_fts) as score from chunks_fts where chunks_fts match ? "
            "order by score limit ?"
        )
        try:
            rows = self.db.execute(sql, [match, k]).fetchall()
        except sqlite3.OperationalError:
            return []
        return [(int(r[0]), -float(r[1])) for r in rows]

    def article(self, article_id: str) -> Article | None:
        rows = list(self.db.query("select * from articles where id = ?", [article_id]))
        if not rows:
            return None
        r = rows[0]
        return Article(
            id=r["id"],
            text=r["text"],
            title=r["title"],
            source=r["source"],
            author=r["author"],
            date=r["date"],
            url=r["url"],
            language=r["language"],
            origin=r["origin"] or "",
        )

    def articles_info(self) -> list[ArticleInfo]:
        """Every article, newest first; wire copies are listed under the first publication."""
        sql = (
            "select a.id, a.title, a.source, a.date, a.url, a.group_id, count(c.id) as chunks "
            "from articles a left join chunks c on c.article_id = a.id "
            "group by a.id order by a.date desc, a.title"
        )
        rows = list(self.db.query(sql))
        copies: dict[str, list[Copy]] = {}
        for r in rows:
            if r["group_id"] and r["group_id"] != r["id"]:
                copies.setdefault(r["group_id"], []).append(_copy(r))
        return [
            ArticleInfo(
                id=r["id"],
                title=r["title"],
                source=r["source"],
                date=r["date"],
                url=r["url"],
                chunks=r["chunks"],
                copies=tuple(
                    sorted(
                        copies.get(r["id"], ()), key=lambda c: publication_key(c.date, c.article_id)
                    )
                ),
            )
            for r in rows
            if not r["group_id"] or r["group_id"] == r["id"]
        ]

    def group_count(self) -> int:
        """How many groups of wire copies the index holds."""
        row = self.db.execute(
            "select count(distinct group_id) from articles where group_id is not null"
        ).fetchone()
        return int(row[0])

    def groups_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        """Article id -> group for those of ``article_ids`` that have wire copies."""
        ids = list(article_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"select id, group_id from articles where group_id is not null and id in ({marks})",
            ids,
        )
        return {r[0]: r[1] for r in rows}

    def copies_of(self, article_ids: Iterable[str]) -> dict[str, tuple[Copy, ...]]:
        """Article id -> the other articles of its wire group, earliest first."""
        groups = self.groups_of(article_ids)
        if not groups:
            return {}
        names = sorted(set(groups.values()))
        marks = ",".join("?" * len(names))
        rows = list(
            self.db.query(
                f"select id, title, source, date, url, group_id from articles "
                f"where group_id in ({marks}) order by date, id",
                names,
            )
        )
        return {
            a: tuple(_copy(r) for r in rows if r["group_id"] == g and r["id"] != a)
            for a, g in groups.items()
        }


def _copy(row: dict) -> Copy:
    return Copy(row["id"], row["source"], row["date"], row["url"], row["title"])


def _now() -> str:
    from datetime import datetime

    return datetime.now(UTC).isoformat(timespec="seconds")
