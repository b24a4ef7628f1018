"""One snapshot of the index in PostgreSQL: dense, keyword and phrase search, chunks,
articles, wire copies and filters, all read in one REPEATABLE READ transaction.

The same answers as the SQLite + FAISS backend, by the same rules: the keyword side is BM25
over the stems with FTS5's constants and IDF (``terms``); dense search is exact (a scan)
up to ``EXACT_UP_TO`` chunks (or the settings' smaller limit), and HNSW above it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import psycopg

from index.records import (
    ARTICLE_META,
    Article,
    ArticleInfo,
    Copy,
    Coverage,
    Filters,
    IndexSize,
    publication_key,
)
from index.storage.postgres.filters import Filtering
from index.storage.protocols import Keep, StoredChunk
from index.text import fold, words

BM25_K1, BM25_B = 1.2, 0.75  # FTS5's
EF_SEARCH = 256  # as FAISS's HNSW (index/storage/vectors.py)
# A scan computes every inner product in SQL: 35 ms over 15,221 chunks of 384 dimensions
# against 1.3 ms through HNSW (ef_search 256), where FAISS scans them in ~2 ms; so HNSW from a
# few thousand chunks on, well below FAISS's 100,000 (docs/benchmarks.md, "Two backends").
EXACT_UP_TO = 2_000

BM25 = """
with q as (
    select term, greatest(ln((%(n)s - count(*) + 0.5) / (count(*) + 0.5)), 1e-6) as idf
    from terms where term = any(%(terms)s) group by term
)
select t.chunk_id, sum(q.idf * t.tf * (%(k1)s + 1)
        / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * t.length / %(avgdl)s))) as score
from terms t join q on q.term = t.term
where t.term = any(%(terms)s)
group by t.chunk_id order by score desc, t.chunk_id
"""

PHRASES = """
select id, text from chunks where words @@ (%(query)s)::tsquery
order by ts_rank_cd(words, (%(query)s)::tsquery) desc, id
"""


def _copy(r: Sequence[Any]) -> Copy:
    return Copy(r[0], r[1], r[2], r[3], r[4])


class Library(Filtering):
    """The index as one transaction of ``conn`` sees it (``PostgresIndex.reading``)."""

    def __init__(self, conn: psycopg.Connection[Any], meta: dict[str, str], exact_up_to: int):
        super().__init__(conn)
        self.meta = meta
        self.dim = int(meta.get("dim") or 0)
        self.size = int(meta.get("chunk_count") or 0)
        self.exact = self.size <= min(exact_up_to, EXACT_UP_TO)

    # -- dense ---------------------------------------------------------------------------------
    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest chunks by inner product (cosine: the vectors are normalized).

        Exact over ``allowed`` (a narrow filter's chunks: an HNSW scan with a filter returns
        fewer than k when few pass, pgvector 0.6 having no iterative scan) and up to
        ``exact_up_to`` chunks; through the HNSW index above. ``+ 0`` keeps the planner off
        the index for the exact scans."""
        vec = np.asarray(query, dtype=np.float32)
        cast = f"vector({self.dim})"
        if allowed is not None:
            if not len(allowed):
                return []
            sql = (
                f"select id, (embedding::{cast} <#> %s::{cast}) + 0 as d from chunks "
                "where id = any(%s) order by d limit %s"
            )
            rows = self.conn.execute(sql, [vec, list(map(int, allowed)), k]).fetchall()
        else:
            distance = f"embedding::{cast} <#> %s::{cast}"
            sql = f"select id, {distance} as d from chunks order by d limit %s"
            if self.exact:
                sql = f"select id, ({distance}) + 0 as d from chunks order by d limit %s"
            if self.exact:
                rows = self.conn.execute(sql, [vec, k]).fetchall()
            else:
                rows = self._approximate(sql, [vec, k], k)
        return [(int(i), -float(d)) for i, d in rows]

    def _approximate(self, sql: str, params: list[Any], k: int) -> list[Any]:
        """``sql`` through the HNSW index: the planner would rather scan a small table, and
        FAISS's ``ef_search`` is kept (256: recall@10 0.99 in bench/ann.py)."""
        conn = self.conn
        with conn.transaction():  # a savepoint in a question's snapshot; ``set local`` holds
            conn.execute(f"set local hnsw.ef_search = {max(EF_SEARCH, min(k, 1000))}")
            conn.execute("set local enable_seqscan = off")
            rows = conn.execute(sql, params).fetchall()
            conn.execute("set local enable_seqscan = on")
        return rows

    # -- keywords ------------------------------------------------------------------------------
    def stem_search(
        self, stems: Sequence[str], k: int, keep: Keep | None = None, share: float = 1.0
    ) -> list[tuple[int, float]]:
        if not stems or not self.size:
            return []
        params = {
            "terms": list(stems),
            "n": self.size,
            "avgdl": max(float(self.meta.get("stem_tokens") or 0) / self.size, 1e-6),
            "k1": BM25_K1,
            "b": BM25_B,
        }
        return [(int(c), float(s)) for c, s in self._ranked(BM25, params, k, keep, share)]

    def phrase_search(
        self, runs: Sequence[str], k: int, keep: Keep | None = None, share: float = 1.0
    ) -> list[tuple[int, str]]:
        query = " | ".join(f"({_phrase(r)})" for r in runs if words(r))
        if not query:
            return []
        rows = self._ranked(PHRASES, {"query": query}, k, keep, share)
        return [(int(c), str(t)) for c, t in rows]

    def _ranked(
        self, sql: str, params: dict[str, Any], k: int, keep: Keep | None, share: float
    ) -> list[tuple[Any, Any]]:
        """The first ``k`` rows of ``sql`` that ``keep`` keeps: first from k / share x 3
        ranked rows, then from all of them (as the SQLite store does)."""
        if keep is None:
            return list(self.conn.execute(sql + " limit %(k)s", params | {"k": k}))
        first = math.ceil(k / max(share, 1e-6) * 3)
        rows = list(self.conn.execute(sql + " limit %(k)s", params | {"k": first}))
        kept = keep([r[0] for r in rows])
        if len(kept) < k and len(rows) == first:  # the limit cut the ranking short
            rows = list(self.conn.execute(sql, params))
            kept = keep([r[0] for r in rows])
        return [r for r in rows if r[0] in kept][:k]

    def matching(
        self, stems: Sequence[Sequence[str]], words: Sequence[str], filters: Filters
    ) -> set[int]:
        found: set[int] | None = None
        for group in (g for g in stems if g):
            rows = self.conn.execute(
                "select chunk_id from terms where term = any(%s)", [list(group)]
            )
            ids = {int(r[0]) for r in rows}
            found = ids if found is None else found & ids
        if words:
            query = " & ".join(f"({_phrase(w)})" for w in words)
            rows = self.conn.execute("select id from chunks where words @@ (%s)::tsquery", [query])
            ids = {int(r[0]) for r in rows}
            found = ids if found is None else found & ids
        if not found or not filters:
            return found or set()
        return set(self.checker(filters)(sorted(found)))

    # -- chunks and articles -------------------------------------------------------------------
    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        rows = self.conn.execute(
            'select id, article_id, ordinal, start, "end", text from chunks where id = any(%s)',
            [list(map(int, chunk_ids))],
        )
        return {
            int(r[0]): StoredChunk(
                id=int(r[0]), article_id=r[1], ordinal=r[2], start=r[3], end=r[4], text=r[5]
            )
            for r in rows
        }

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        rows = self.conn.execute(  # binary: parsing 30 vectors as text took 3-4 ms
            "select id, embedding from chunks where id = any(%s)",
            [list(map(int, chunk_ids))],
            binary=True,
        )
        return {int(r[0]): _array(r[1]) for r in rows}

    def article(self, article_id: str) -> Article | None:
        columns = ", ".join(ARTICLE_META)
        row = self.conn.execute(
            f"select id, text, origin, {columns} from articles where id = %s",
            [article_id],
        ).fetchone()
        if row is None:
            return None
        meta = dict(zip(ARTICLE_META, row[3:], strict=True))
        return Article(id=row[0], text=row[1], origin=row[2] or "", **meta)

    def coverage(self) -> Coverage:
        row = self.conn.execute(
            "select count(*), min(nullif(date, '')), max(nullif(date, '')) from articles"
        ).fetchone()
        assert row is not None
        return Coverage(int(row[0]), row[1], row[2])

    def index_size(self) -> IndexSize:
        row = self.conn.execute("select count(*) from articles").fetchone()
        assert row is not None
        chunks, generation = self.size, int(self.meta.get("generation") or 0)
        return IndexSize(int(row[0]), chunks, generation)

    def groups_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        rows = self.conn.execute(
            "select id, group_id from articles where group_id is not null and id = any(%s)",
            [list(article_ids)],
        )
        return {r[0]: r[1] for r in rows}

    def bylines(self, article_ids: Sequence[str]) -> dict[str, Copy]:
        rows = self.conn.execute(
            "select id, source, date, url, title from articles where id = any(%s)",
            [list(article_ids)],
        )
        return {r[0]: _copy(r) for r in rows}

    def copies_of(self, article_ids: Iterable[str]) -> dict[str, tuple[Copy, ...]]:
        groups = self.groups_of(article_ids)
        if not groups:
            return {}
        rows = self.conn.execute(
            "select id, source, date, url, title, group_id from articles "
            "where group_id = any(%s) order by date, id",
            [sorted(set(groups.values()))],
        ).fetchall()
        return {
            a: tuple(_copy(r) for r in rows if r[5] == g and r[0] != a) for a, g in groups.items()
        }

    def articles_info(self) -> list[ArticleInfo]:
        rows = self.conn.execute(
            "select a.id, a.source, a.date, a.url, a.title, a.group_id, count(c.id) "
            "from articles a left join chunks c on c.article_id = a.id "
            'group by a.id order by a.date desc nulls last, a.title collate "C" nulls first, '
            'a.id collate "C"'
        ).fetchall()
        copies: dict[str, list[Copy]] = {}
        for r in rows:
            if r[5] and r[5] != r[0]:
                copies.setdefault(r[5], []).append(_copy(r))
        return [
            ArticleInfo(
                id=r[0],
                title=r[4],
                source=r[1],
                date=r[2],
                url=r[3],
                chunks=int(r[6]),
                copies=tuple(
                    sorted(
                        copies.get(r[0], ()), key=lambda c: publication_key(c.date, c.article_id)
                    )
                ),
            )  # fmt: skip
            for r in rows
            if not r[5] or r[5] == r[0]
        ]


def _array(vector: Any) -> np.ndarray:
    """A vector as pgvector's adapter reads it (its ``Vector``, or an array) as float32."""
    found = vector.to_numpy() if hasattr(vector, "to_numpy") else vector
    return np.asarray(found, dtype=np.float32)


def _phrase(text: str) -> str:
    """``text``'s words, accent-folded, as a tsquery phrase (``a <-> b``): each word quoted,
    so that nothing in it is read as an operator."""
    return " <-> ".join("'" + w.replace("'", "''") + "'" for w in words(fold(text)))
