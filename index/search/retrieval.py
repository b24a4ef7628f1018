"""Hybrid retrieval: FAISS (dense) and SQLite FTS5 (BM25) fused by reciprocal rank fusion."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from index.records import NO_FILTERS, Filters, Hit, SearchMode
from index.search.selection import OVERFETCH_FROM, Allowed, nearest
from index.stemming import query_stems
from index.storage.protocols import ChunkReader, NearestChunks
from index.text import phrases, runs_held

RRF_K = 60
CANDIDATES = 100
NEAR_DUPLICATE_COSINE = 0.97
# A chunk that holds at least this share of a query's six-word runs quotes it: it ranks first.
QUOTE_COVERAGE = 0.5
ALLOWED_KEPT = 16  # filters whose chunk selection is kept (see ``Retriever.allowed``)


@dataclass(frozen=True)
class Fused:
    """The dense and keyword rankings of one query, and their reciprocal-rank fusion."""

    dense_rank: dict[int, int]
    keyword_rank: dict[int, int]
    quoted: dict[int, float] = field(default_factory=dict)  # chunk id -> share of runs it holds

    @cached_property
    def scores(self) -> dict[int, float]:
        fused: dict[int, float] = {}
        for ranking in (self.dense_rank, self.keyword_rank):
            for cid, r in ranking.items():
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + r)
        # A chunk that quotes the query outranks any fusion score (at most 2 / 61).
        for cid, coverage in self.quoted.items():
            fused[cid] = fused.get(cid, 0.0) + coverage
        return fused

    def order(self) -> list[int]:
        scores = self.scores
        return sorted(scores, key=lambda c: scores[c], reverse=True)


class Retriever:
    """Finds the chunks that best match a question."""

    def __init__(self, store: ChunkReader, vectors: NearestChunks):
        self.store = store
        self.vectors = vectors
        self._allowed: dict[Filters, Allowed] = {}  # oldest first

    def dense(
        self, query_vec: np.ndarray, k: int = CANDIDATES, filters: Filters = NO_FILTERS
    ) -> list[tuple[int, float]]:
        """The nearest chunks; with ``filters``, among the chunks they allow (selected inside
        FAISS, or over-fetched and checked, so that k come back however few articles pass)."""
        return self._nearest(query_vec, k, filters, self.allowed(filters))

    def _nearest(
        self, query_vec: np.ndarray, k: int, filters: Filters, allowed: Allowed
    ) -> list[tuple[int, float]]:
        return nearest(self.vectors, query_vec, k, allowed, lambda: self.store.chunk_ids(filters))

    def keyword(
        self, question: str, k: int = CANDIDATES, allowed: Allowed | None = None
    ) -> list[tuple[int, float]]:
        """BM25 over the stems of the question, in French and English."""
        keep, share = (allowed.keep(), allowed.share) if allowed else (None, 1.0)
        return self.store.stem_search(query_stems(question), k, keep, share)

    def quoted(
        self, question: str, k: int = 20, allowed: Allowed | None = None
    ) -> dict[int, float]:
        """Chunks that hold the question's words in order for at least ``QUOTE_COVERAGE`` of its
        six-word runs (a pasted quote, with or without quotation marks), with that share."""
        runs = phrases(question)
        out: dict[int, float] = {}
        keep, share = (allowed.keep(), allowed.share) if allowed else (None, 1.0)
        for cid, text in self.store.phrase_search(runs, k, keep, share):
            coverage = runs_held(runs, text)
            if coverage >= QUOTE_COVERAGE:
                out[cid] = coverage
        return out

    def allowed(self, filters: Filters) -> Allowed:
        """The chunks ``filters`` allow (everything, for no filter): their ids when they are
        few, a check of the ids a search finds when they are many (``selection``). The last
        few are kept, as people ask one outlet or period several times; a retriever serves
        one index generation, so what it keeps is never stale."""
        if not filters:
            return Allowed()
        if filters not in self._allowed:
            if len(self._allowed) >= ALLOWED_KEPT:
                self._allowed.pop(next(iter(self._allowed)))
            share = self.store.article_share(filters)
            if share >= OVERFETCH_FROM:
                self._allowed[filters] = Allowed(check=self.store.checker(filters), share=share)
            else:
                self._allowed[filters] = Allowed(self.store.chunk_ids(filters), share=share)
        return self._allowed[filters]

    def search(
        self,
        question: str,
        query_vec: np.ndarray,
        k: int = 10,
        mode: SearchMode = "hybrid",
        candidates: int = CANDIDATES,
        filters: Filters = NO_FILTERS,
        distinct: bool = True,
    ) -> list[Hit]:
        """Best chunks first; ``mode`` is ``hybrid``, ``dense`` or ``keyword``.

        ``candidates`` chunks are drawn from each of the dense and keyword lists before fusion,
        all from the articles ``filters`` allow. ``distinct`` drops near-identical chunks and
        other copies of a dispatch (off: every article saying the same thing is wanted).
        """
        allowed = self.allowed(filters)  # one selection for the three searches
        dense = self._nearest(query_vec, candidates, filters, allowed) if mode != "keyword" else []
        keyword = self.keyword(question, candidates, allowed) if mode != "dense" else []
        fused = Fused(
            dense_rank={cid: r for r, (cid, _) in enumerate(dense, 1)},
            keyword_rank={cid: r for r, (cid, _) in enumerate(keyword, 1)},
            quoted=self.quoted(question, allowed=allowed) if mode != "dense" else {},
        )
        return self._distinct(fused, query_vec, k, distinct)

    def _distinct(
        self, fused: Fused, query_vec: np.ndarray, k: int, distinct: bool = True
    ) -> list[Hit]:
        """Drop chunks nearly identical to a better one, and other copies of a wire dispatch."""
        hits: list[Hit] = []
        kept: list[np.ndarray] = []
        scores = fused.scores
        window = fused.order()[: max(k * 3, 30)]
        vectors = self.store.vectors(window)
        chunks = self.store.chunks(window)
        groups = self.store.groups_of({c.article_id for c in chunks.values()})
        cited: dict[str, str] = {}  # wire group -> the one article of it that is returned
        for cid in window:
            if cid not in chunks or cid not in vectors:
                continue  # replaced by a reindex committed since this search began
            vec, c = vectors[cid], chunks[cid]
            if distinct and any(float(vec @ other) >= NEAR_DUPLICATE_COSINE for other in kept):
                continue
            group = groups.get(c.article_id) if distinct else None
            if group is not None and cited.setdefault(group, c.article_id) != c.article_id:
                continue  # another outlet's copy of a dispatch already returned
            kept.append(vec)
            hits.append(
                Hit(
                    chunk_id=cid,
                    article_id=c.article_id,
                    score=scores[cid],
                    text=c.text,
                    start=c.start,
                    end=c.end,
                    dense=float(vec @ query_vec),
                    keyword_rank=fused.keyword_rank.get(cid),
                    dense_rank=fused.dense_rank.get(cid),
                )
            )
            if len(hits) == k:
                break
        return hits
