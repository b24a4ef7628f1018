"""The FAISS vector index (the only module that imports faiss); ids are chunk rowids.

The index is derived data: SQLite holds every chunk's vector, so a missing or damaged file is
rebuilt from the store without re-embedding anything. Files are written to a temporary name
and renamed, so a reader never opens a half-written index.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np

from index.errors import IndexDamaged


class VectorIndex:
    """Exact inner-product search over L2-normalized vectors (cosine similarity)."""

    def __init__(self, dim: int, index: faiss.Index | None = None):
        self.dim = dim
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @classmethod
    def build(cls, dim: int, batches: Iterable[tuple[np.ndarray, np.ndarray]]) -> VectorIndex:
        vi = cls(dim)
        for ids, vecs in batches:
            if vecs.shape[1] != dim:
                raise IndexDamaged(f"stored vectors have dimension {vecs.shape[1]}, expected {dim}")
            vi._index.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), ids)
        return vi

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        try:
            index = faiss.read_index(str(path))
        except (RuntimeError, OSError) as exc:
            raise IndexDamaged(f"cannot read vector index {path}: {exc}") from exc
        return cls(index.d, index)

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self._index, str(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest chunk ids to one query vector, best first, with cosine scores."""
        if self.size == 0:
            return []
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(q, min(k, self.size))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
