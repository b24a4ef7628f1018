"""Staging: the embedded chunks of an unfinished run, then the swap to the next generation.

Chunks are staged in batches, each its own transaction, so a run killed mid-embedding keeps what
it embedded; ``commit`` then swaps the staged chunks in with one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from index.records import Article
from index.stemming import stemmed_text
from index.storage.protocols import NewArticle

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True)
class NextGeneration:
    """What one transaction changes to make the staged chunks the live index.

    ``articles`` (new or changed) replace their previous rows, ``removed`` ones are deleted, and
    every staged chunk becomes a live chunk numbered from ``first_id`` in staging order.
    ``signatures`` and ``groups`` set those columns of the articles they name.
    """

    articles: Sequence[Article]
    removed: Sequence[str]
    first_id: int
    meta: Mapping[str, str]
    signatures: Mapping[str, bytes] = field(default_factory=dict)
    groups: Mapping[str, str | None] = field(default_factory=dict)


def article_row(a: Article) -> dict[str, object]:
    return {
        "id": a.id,
        **a.meta(),
        "text": a.text,
        "content_hash": a.content_hash,
        "origin": a.origin,
    }


class Staging:
    """The store's staging table (a part of ``Store``)."""

    db: sqlite_utils.Database

    def stage(self, items: Sequence[NewArticle]) -> None:
        """Keep the embedded chunks of articles not yet committed (one transaction)."""
        with self.db.atomic():
            for item in items:
                a = item.article
                self.db.execute("delete from staged_chunks where article_id = ?", [a.id])
                self.db.table("staged_chunks").insert_all(
                    (
                        {
                            "article_id": a.id,
                            "content_hash": a.content_hash,
                            "ordinal": c.ordinal,
                            "start": c.start,
                            "end": c.end,
                            "text": c.text,
                            "vector": np.asarray(v, dtype=np.float32).tobytes(),
                            "stems": stemmed_text(c.text, a.language),
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

    def commit(self, nxt: NextGeneration) -> None:
        """Swap in a new generation in one transaction (see ``NextGeneration``)."""
        with self.db.atomic():
            for article_id in [*nxt.removed, *(a.id for a in nxt.articles)]:
                self.db.execute(
                    "delete from chunks_stem where rowid in "
                    "(select id from chunks where article_id = ?)",
                    [article_id],
                )
                self.db.execute("delete from chunks where article_id = ?", [article_id])
                self.db.execute("delete from articles where id = ?", [article_id])
            self.db.table("articles").insert_all(
                (article_row(a) for a in nxt.articles), batch_size=500
            )
            self.db.execute(
                'insert into chunks (id, article_id, ordinal, start, "end", text, vector) '
                "select ? + row_number() over (order by rowid) - 1, "
                'article_id, ordinal, start, "end", text, vector from staged_chunks',
                [nxt.first_id],
            )
            self.db.execute(
                "insert into chunks_stem (rowid, stems) "
                "select ? + row_number() over (order by rowid) - 1, stems from staged_chunks",
                [nxt.first_id],
            )
            self.db.execute("delete from staged_chunks")
            self.db.conn.executemany(
                "update articles set signature = ? where id = ?",
                [(sig, a) for a, sig in nxt.signatures.items()],
            )
            self.db.conn.executemany(
                "update articles set group_id = ? where id = ?",
                [(g, a) for a, g in nxt.groups.items()],
            )
            self.db.table("meta").upsert_all(
                [{"key": k, "value": v} for k, v in nxt.meta.items()], pk="key"
            )
