"""The reader at run time: reads (question, passage) pairs together and says how likely the
passage answers the question, as a probability.

The model is the cross-encoder that ``reader_training`` builds into the cache, loaded once, in
float32: int8 dynamic quantization is 1.5x faster on 2 cores (9,600 against 6,400 tokens/s) but
flattened this model's scores (0.40 / 0.23 / 0.13 for an answer, a near miss and an unrelated
sentence became 0.24 / 0.22 / 0.21), so it is off by default.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModel, AutoTokenizer

from index.errors import ModelUnavailable

MAX_TOKENS = 192
HEAD_FILE = "head.safetensors"


class ReaderNet(torch.nn.Module):
    """A BERT encoder over "query: question </s></s> passage: text", mean-pooled, then one
    linear unit: the logit that the passage answers.

    Mean pooling, not the first token: e5 was trained with mean pooling, and its first token
    carries almost nothing of the input (a first-token head trained for 525 batches still gave
    every pair the same score, 0.20 +- 0.01).
    """

    def __init__(self, encoder: torch.nn.Module, hidden: int):
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        logits: torch.Tensor = self.head(pooled).squeeze(-1)
        return logits

    def save(self, folder: Path) -> None:
        self.encoder.save_pretrained(folder)  # type: ignore[operator]
        save_file(
            {k: v.contiguous() for k, v in self.head.state_dict().items()}, folder / HEAD_FILE
        )

    @classmethod
    def load(cls, folder: Path, layers: int | None = None) -> ReaderNet:
        """From a reader folder, or (``layers`` set) the first layers of an encoder folder with
        a fresh head."""
        kwargs = {"num_hidden_layers": layers} if layers else {}
        encoder = AutoModel.from_pretrained(str(folder), add_pooling_layer=False, **kwargs)
        net = cls(encoder, encoder.config.hidden_size)
        if layers is None:
            net.head.load_state_dict(load_file(folder / HEAD_FILE))
        return net


def encode_pairs(
    tokenizer: object, questions: Sequence[str], texts: Sequence[str]
) -> dict[str, torch.Tensor]:
    """The model's input for (question, text) pairs, with e5's query/passage prefixes."""
    inputs = tokenizer(  # type: ignore[operator]
        [f"query: {q}" for q in questions],
        [f"passage: {t}" for t in texts],
        truncation="only_second",
        max_length=MAX_TOKENS,
        padding=True,
        return_tensors="pt",
    )
    return {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"]}


log = logging.getLogger(__name__)


class Reader:
    """A cross-encoder over (question, "title — text") pairs."""

    def __init__(self, folder: Path, quantize: bool = False, batch_size: int = 32):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(str(folder))
            model = ReaderNet.load(folder)
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(f"cannot load the reader from {folder}: {exc}") from exc
        model.eval()
        if quantize:
            model = torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear}, dtype=torch.qint8
            )
        self._model = model
        self.name = folder.name
        self.batch_size = batch_size
        self._lock = threading.Lock()  # one forward pass at a time: torch threads are shared

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """P(answers) for each text, in order."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros(len(texts), dtype=np.float32)
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                inputs = encode_pairs(
                    self._tokenizer, [question] * len(rows), [texts[i] for i in rows]
                )
                logits = self._model(**inputs).float()
                out[rows] = torch.sigmoid(logits).numpy()
        return out


def open_reader(spec: str, data: Path) -> Reader | None:
    """The reader a setting names, or None (with the reason logged) where there is none."""
    if spec == "none":
        return None
    if spec != "default":
        return Reader(Path(spec))
    from index.model.reader_training import reader_folder

    folder = reader_folder(data)
    if not (folder / "config.json").is_file():
        log.warning(
            "the reader is not built (%s); answers fall back to the embedding model's cosine. "
            "Build it with `revue model` (make install does), which trains it on %s",
            folder,
            data,
        )
        return None
    return Reader(folder)
