"""What the engine needs of an embedding model; ``Embedder`` is the real one, tests bring a fake."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

ProgressFn = Callable[[int], None]  # told how many texts were encoded since the last call


class PassageEncoder(Protocol):
    """Encodes passages for the index (what indexing needs)."""

    name: str
    dim: int
    max_tokens: int

    @property
    def fingerprint(self) -> str:
        """Identifies the vectors' space: a change means every stored vector is stale."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def encode_passages(
        self, texts: Sequence[str], progress: ProgressFn | None = None
    ) -> np.ndarray: ...


class Encoder(PassageEncoder, Protocol):
    """Encodes passages and questions into the same space (what the engine needs)."""

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class PairReader(Protocol):
    """Reads a question together with each passage ("title — text"): P(the passage answers)."""

    name: str

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray: ...
