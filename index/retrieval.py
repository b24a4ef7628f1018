"""Hybrid retrieval: FAISS (dense) and SQLite FTS5 (BM25) fused by reciprocal rank fusion."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from index.records import Hit
from index.store import Store
from index.vectors import VectorIndex

RRF_K = 60
CANDIDATES = 100
NEAR_DUPLICATE_COSINE = 0.97

# Function words of English and French questions; they carry no topic for BM25.
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at
    be because been before being below between both but by can could did do
    does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off
    on once only or other our ours out over own same she should so
    some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which
    while who whom why will with would you your yours tell say said says
    according au aux avec ce ces cet cette dans de des du elle elles
    en et eux il ils je la le les leur leurs lui ma mais
    me meme mes moi mon ne nos notre nous on ou par pas pour
    qu que qui quoi quel quelle quels quelles sa se ses son sur ta
    te tes toi ton tu un une vos votre vous y est sont ete
    etait etaient etre avoir ont avait avaient fait faire a comment combien pourquoi quand
    ou dont lequel laquelle lesquels est-ce ca cela ceci il-t-on t l d s
    n c j m qu
    """.split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lowercase and strip accents, for comparing words across spellings."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def keyword_terms(question: str) -> list[str]:
    """Content words of a question, accent-folded, in order, without duplicates."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(question)):
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)


class Retriever:
    """Finds the chunks that best match a question."""

    def __init__(self, store: Store, vectors: VectorIndex):
        self.store = store
        self.vectors = vectors

    def dense(self, query_vec: np.ndarray, k: int = CANDIDATES) -> list[tuple[int, float]]:
        return self.vectors.search(query_vec, k)

    def keyword(self, question: str, k: int = CANDIDATES) -> list[tuple[int, float]]:
        return self.store.keyword_search(keyword_terms(question), k)

    def search(
        self,
        question: str,
        query_vec: np.ndarray,
        k: int = 10,
        mode: str = "hybrid",
        candidates: int = CANDIDATES,
    ) -> list[Hit]:
        """Best chunks first; ``mode`` is ``hybrid``, ``dense`` or ``keyword``.

        ``candidates`` chunks are drawn from each of the dense and keyword lists before fusion.
        """
        dense = self.dense(query_vec, candidates) if mode in ("hybrid", "dense") else []
        keyword = self.keyword(question, candidates) if mode in ("hybrid", "keyword") else []
        fused: dict[int, float] = {}
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, 1)}
        keyword_rank = {cid: r for r, (cid, _) in enumerate(keyword, 1)}
        for ranking in (dense_rank, keyword_rank):
            for cid, r in ranking.items():
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + r)
        order = sorted(fused, key=lambda c: fused[c], reverse=True)
        return self._distinct(order, fused, query_vec, dense_rank, keyword_rank, k)

    def _distinct(
        self,
        order: Sequence[int],
        fused: dict[int, float],
        query_vec: np.ndarray,
        dense_rank: dict[int, int],
        keyword_rank: dict[int, int],
        k: int,
    ) -> list[Hit]:
        """Drop chunks nearly identical to a better one, and other copies of a wire dispatch."""
        hits: list[Hit] = []
        kept: list[np.ndarray] = []
        window = list(order[: max(k * 3, 30)])
        vectors = self.store.vectors(window)
        chunks = self.store.chunks(window)
        groups = self.store.groups_of({c.article_id for c in chunks.values()})
        cited: dict[str, str] = {}  # wire group -> the one article of it that is returned
        for cid in window:
            if cid not in chunks or cid not in vectors:
                continue  # replaced by a reindex committed since this search began
            vec = vectors[cid]
            if any(float(vec @ other) >= NEAR_DUPLICATE_COSINE for other in kept):
                continue
            group = groups.get(chunks[cid].article_id)
            if group is not None and cited.setdefault(group, chunks[cid].article_id) != (
                chunks[cid].article_id
            ):
                continue  # another outlet's copy of a dispatch already returned
            kept.append(vec)
            c = chunks[cid]
            hits.append(
                Hit(
                    chunk_id=cid,
                    article_id=c.article_id,
                    score=fused[cid],
                    text=c.text,
                    start=c.start,
                    end=c.end,
                    dense=float(vec @ query_vec),
                    keyword_rank=keyword_rank.get(cid),
                    dense_rank=dense_rank.get(cid),
                )
            )
            if len(hits) == k:
                break
        return hits
