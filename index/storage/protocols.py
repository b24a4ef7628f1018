"""What search asks of storage, in domain terms: the public face of ``index/storage``.

Retrieval, selection and the timeline type against these protocols, never against ``Store`` or
``VectorIndex``: the SQLite + FAISS index is the first implementation, and a second backend
(issue 23: PostgreSQL with pgvector) implements the same methods. Ids are chunk ids; filters
are ``Filters`` records; results are plain values and frozen records, never rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from index.records import Chunk, Copy, Filters

# Chunk ids -> those of them a filter allows.
Keep = Callable[[Sequence[int]], Collection[int]]


@dataclass(frozen=True)
class StoredChunk(Chunk):
    """A chunk as read back from storage, with its id (the vector index's id)."""

    id: int


class NearestChunks(Protocol):
    """Dense search over the chunks' vectors."""

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest chunk ids, best first, with cosines; among ``allowed`` if given."""
        ...


class ChunkReader(Protocol):
    """The chunks of one consistent snapshot of the index: keyword and phrase search, the
    chunks and their vectors, and what filters and wire groups allow."""

    def stem_search(
        self, stems: Sequence[str], k: int, keep: Keep | None = None, share: float = 1.0
    ) -> list[tuple[int, float]]: ...

    def phrase_search(
        self, runs: Sequence[str], k: int, keep: Keep | None = None, share: float = 1.0
    ) -> list[tuple[int, str]]: ...

    def matching(self, table: str, query: str, filters: Filters) -> set[int]: ...

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]: ...

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]: ...

    def chunk_ids(self, filters: Filters) -> np.ndarray: ...

    def checker(self, filters: Filters) -> Keep: ...

    def article_share(self, filters: Filters) -> float: ...

    def groups_of(self, article_ids: Iterable[str]) -> dict[str, str]: ...

    def bylines(self, article_ids: Sequence[str]) -> dict[str, Copy]: ...
