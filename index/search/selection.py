"""Which chunks a filter allows, in the form each search takes: for a narrow filter, the ids
themselves (FAISS selects among them, BM25 keeps its rows in them); for a broad one, a check
asked of the store about the few ids a search over-fetched.

Measured at 36,000 articles (docs/benchmarks.md, bench/filters.py): reading the 38-63k chunk
ids of a filter that allows a fifth or a third of the index took 40-50 ms, as much as the
unfiltered search itself, while checking the few hundred ids an over-fetched search returns
costs a few milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from index.storage.protocols import Keep, NearestChunks

# Filters allowing at least this share of the articles are over-fetched rather than selected.
OVERFETCH_FROM = 0.1
# An over-fetch asks for k / share x this, then doubles it until k pass or it has read this
# many times the first ask (then the ids are selected after all).
MARGIN = 1.5
MOST_DOUBLINGS = 3


@dataclass(frozen=True)
class Allowed:
    """The chunks a filter allows: ``ids`` (selected), or ``check`` (asked about ids found),
    or neither (no filter: every chunk)."""

    ids: np.ndarray | None = None
    check: Keep | None = None
    share: float = 1.0  # of the articles that pass

    @cached_property
    def _set(self) -> frozenset[int]:
        return frozenset(self.ids.tolist()) if self.ids is not None else frozenset()

    def keep(self) -> Keep | None:
        """What a BM25 stream asks about each batch of its rows; None when all pass."""
        if self.ids is not None:
            chosen = self._set
            return lambda ids: chosen.intersection(ids)
        return self.check


def nearest(
    vectors: NearestChunks,
    query_vec: np.ndarray,
    k: int,
    allowed: Allowed,
    select: Callable[[], np.ndarray],
) -> list[tuple[int, float]]:
    """The ``k`` nearest chunks ``allowed`` allows; ``select`` reads their ids when an
    over-fetch does not find k."""
    if allowed.check is None:
        return vectors.search(query_vec, k, allowed.ids)
    fetch = math.ceil(k / allowed.share * MARGIN)
    for _ in range(MOST_DOUBLINGS + 1):
        found = vectors.search(query_vec, fetch)
        passed = set(allowed.check([cid for cid, _ in found]))
        kept = [(cid, score) for cid, score in found if cid in passed]
        if len(kept) >= k or len(found) < fetch:  # enough, or the whole index was read
            return kept[:k]
        fetch *= 2
    return vectors.search(query_vec, k, select())
