"""The FAISS vector index (the only module that imports faiss); ids are chunk rowids.

The index is derived data: SQLite holds every chunk's vector, so a missing or damaged file is
rebuilt from the store without re-embedding anything. Files are written to a temporary name
and renamed, so a reader never opens a half-written index.

An indexing run grows the previous generation's index (``grow``) instead of rebuilding it: the
vectors of deleted chunks stay in the structure (HNSW cannot cheaply remove one) but their
entries in the id map become -1, tombstones that the search filters out. The dead set is thus
part of the file itself, always that of the file's generation.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.errors import IndexDamaged

# Exact search up to this many chunks; above it, HNSW. Chosen by measurement (bench/ann.py):
# see docs/benchmarks.md for the latency and recall@10 figures behind it.
EXACT_UP_TO = 100_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256
# Tombstones are filtered inside the search: a selector of the ids >= 0, applied to the chunk
# ids the id map translates to (dead vectors translate to -1).
LIVE_IDS = (0, 2**62)
# A filter that allows at most this many chunks is searched exactly over their vectors: HNSW
# with a selector misses results when few ids pass (67 of 100 asked for with 0.5 % of 60k).
EXACT_FILTERED_UP_TO = 20_000


def kind_for(size: int, exact_up_to: int = EXACT_UP_TO) -> str:
    """``exact`` (flat inner product) or ``hnsw`` for an index of ``size`` vectors."""
    return "exact" if size <= exact_up_to else "hnsw"


class VectorIndex:
    """Inner-product search over L2-normalized vectors (cosine similarity); exact up to
    ``EXACT_UP_TO`` vectors, HNSW above."""

    def __init__(self, dim: int, index: faiss.Index | None = None):
        self.dim = dim
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.kind = _kind(self._index)
        self.dead = int((_id_map(self._index) < 0).sum())
        if self.kind == "hnsw":
            _inner(self._index).hnsw.efSearch = HNSW_EF_SEARCH

    @classmethod
    def build(
        cls,
        dim: int,
        batches: Iterable[tuple[np.ndarray, np.ndarray]],
        exact_up_to: int = EXACT_UP_TO,
    ) -> VectorIndex:
        all_ids, all_vecs = [], []
        for ids, vecs in batches:
            if vecs.shape[1] != dim:
                raise IndexDamaged(f"stored vectors have dimension {vecs.shape[1]}, expected {dim}")
            all_ids.append(ids)
            all_vecs.append(np.ascontiguousarray(vecs, dtype=np.float32))
        ids = np.concatenate(all_ids) if all_ids else np.zeros(0, dtype=np.int64)
        vecs = np.vstack(all_vecs) if all_vecs else np.zeros((0, dim), dtype=np.float32)
        inner: Any
        if kind_for(len(ids), exact_up_to) == "exact":
            inner = faiss.IndexFlatIP(dim)
        else:
            inner = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index = faiss.IndexIDMap2(inner)
        if len(ids):
            index.add_with_ids(vecs, ids)
        return cls(dim, index)

    @classmethod
    def load(cls, path: Path, mapped: bool = False) -> VectorIndex:
        """The index in ``path``; ``mapped``: memory-mapped, read-only, for readers. Mapped,
        processes on one host share the page cache: two readers of a 60k-vector file held a
        PSS of 52 MB each instead of 95 (flat) and 60 instead of 111 (HNSW), loaded in 2-4 ms
        instead of 44-52 (faiss 1.15's IO_FLAG_MMAP_IFC; IO_FLAG_MMAP, meant for IVF lists,
        still copied the vectors: docs/benchmarks.md)."""
        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mapped else 0
        try:
            index = faiss.read_index(str(path), flags)
        except (RuntimeError, OSError) as exc:
            raise IndexDamaged(f"cannot read vector index {path}: {exc}") from exc
        return cls(index.d, index)

    def grow(self, dead: Iterable[int], batches: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
        """Tombstone the ``dead`` chunk ids, then add ``batches`` of (ids, vectors): the next
        generation without a rebuild (only on an index loaded without ``mapped``)."""
        dead_ids = np.fromiter(dead, dtype=np.int64)
        if len(dead_ids):
            index: Any = self._index  # an IndexIDMap2 (the stubs lack its members)
            id_map = _id_map(index)
            gone = np.isin(id_map, dead_ids)
            id_map[gone] = -1
            faiss.copy_array_to_vector(id_map, index.id_map)
            index.construct_rev_map()
            self.dead += int(gone.sum())
        for ids, vecs in batches:
            if vecs.shape[1] != self.dim:
                raise IndexDamaged(f"vectors of dimension {vecs.shape[1]}, expected {self.dim}")
            self._index.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), ids)

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self._index, str(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @property
    def size(self) -> int:
        """Live vectors (one per chunk of the generation)."""
        return self.total - self.dead

    @property
    def total(self) -> int:
        """Vectors in the structure, tombstoned ones included."""
        return int(self._index.ntotal)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest chunk ids to one query vector, best first, with cosine scores;
        only ids in ``allowed`` when it is given (a filter applied inside the search)."""
        if self.size == 0 or (allowed is not None and len(allowed) == 0):
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        # One query on one thread: right after the model's forward pass, FAISS's OpenMP threads
        # contend with PyTorch's, and an exact search of 15k-187k vectors measured 3-5x slower
        # on 2 threads than on 1 (docs/benchmarks.md). The setting is per calling thread.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            if allowed is None and not self.dead:
                scores, ids = self._index.search(q, min(k, self.size))
            elif allowed is None:
                scores, ids = self._live(q, min(k, self.size))
            else:
                scores, ids = self._filtered(q, k, np.asarray(allowed, dtype=np.int64))
        finally:
            faiss.omp_set_num_threads(threads)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _live(self, q: np.ndarray, k: int) -> tuple[Any, Any]:
        """The ``k`` nearest live vectors: tombstones filtered inside the search (allowed ids
        come from the store, so ``_filtered`` never sees a dead one)."""
        selector = faiss.IDSelectorRange(*LIVE_IDS)
        if self.kind == "exact":
            return self._index.search(q, k, params=_params("SearchParameters", sel=selector))
        params = _params("SearchParametersHNSW", sel=selector, efSearch=max(HNSW_EF_SEARCH, k))
        scores, ids = self._index.search(q, k, params=params)
        if int((ids[0] >= 0).sum()) < k:  # the graph walk ran out: over-fetch, drop the dead
            return self._overfetch(q, k)
        return scores, ids

    def _overfetch(self, q: np.ndarray, k: int) -> tuple[Any, Any]:
        fetch = min(self.total, 4 * k)
        while True:
            params = _params("SearchParametersHNSW", efSearch=max(HNSW_EF_SEARCH, fetch))
            scores, ids = self._index.search(q, fetch, params=params)
            live = ids[0] >= 0
            if int(live.sum()) >= k or fetch == self.total:
                return scores[:, live][:, :k], ids[:, live][:, :k]
            fetch = min(self.total, fetch * 2)

    def _filtered(self, q: np.ndarray, k: int, allowed: np.ndarray) -> tuple[Any, Any]:
        k = min(k, len(allowed))
        if self.kind == "hnsw" and len(allowed) <= EXACT_FILTERED_UP_TO:
            return self._exact_among(q, k, allowed)
        selector = faiss.IDSelectorBatch(allowed)
        if self.kind == "exact":
            return self._index.search(q, k, params=_params("SearchParameters", sel=selector))
        params = _params("SearchParametersHNSW", sel=selector, efSearch=max(HNSW_EF_SEARCH, k))
        scores, ids = self._index.search(q, k, params=params)
        if int((ids[0] >= 0).sum()) < k:  # the graph walk ran out of allowed neighbours
            return self._exact_among(q, k, allowed)
        return scores, ids

    def _exact_among(self, q: np.ndarray, k: int, allowed: np.ndarray) -> tuple[Any, Any]:
        vectors = self._index.reconstruct_batch(allowed)
        scores = vectors @ q[0]
        top = np.argsort(-scores)[:k]
        return scores[top][None, :], allowed[top][None, :]


def _params(kind: str, **values: Any) -> Any:
    """faiss search parameters (its type stubs lack the selector's)."""
    return getattr(faiss, kind)(**values)


def _id_map(index: Any) -> np.ndarray:
    """The chunk id of each stored vector, in storage order (-1: a tombstone)."""
    return np.asarray(faiss.vector_to_array(index.id_map), dtype=np.int64)


def _inner(index: faiss.Index) -> Any:
    return faiss.downcast_index(index.index) if hasattr(index, "index") else index


def _kind(index: faiss.Index) -> str:
    return "hnsw" if isinstance(_inner(index), faiss.IndexHNSW) else "exact"
