"""The models an engine asks, each loaded on first use and shared by its threads: the embedding
model, the reader (a cross-encoder, the language model, or none), the writer and the
translator, and the question-independent reference the cosine is measured against.

A part of ``Revue`` (``engine.py``), which is composed of its models, its index and its state.
"""

from __future__ import annotations

import logging
import threading
from typing import Literal

import numpy as np

from index.errors import RevueError
from index.model.encoder import Encoder, PairReader
from index.search.decision import Baseline, background_sentences
from index.settings import Settings
from index.writing.gloss import Glosser
from index.writing.judge import ChatJudge
from index.writing.translate import Translator
from index.writing.writer import Writer, open_writer

log = logging.getLogger("revue")


class Models:
    """The models of one engine (thread-safe; each is loaded once)."""

    def __init__(
        self, settings: Settings, embedder: Encoder | None = None, reader: PairReader | None = None
    ) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._embedder = embedder
        self._reader = reader
        self._reader_loaded = reader is not None
        self._writer: Writer | None = None
        self._writer_opened = False
        self._translator: Translator | Literal[False] | None = None  # False: no model
        self._background: np.ndarray | None = None

    @property
    def embedder(self) -> Encoder:
        """The embedding model, loaded on first use (a few seconds)."""
        with self._lock:
            if self._embedder is None:
                from index.model.embedder import Embedder  # torch: imported only when needed

                s = self.settings
                self._embedder = Embedder(
                    s.model, quantize=s.quantize, batch_size=s.batch_size, bf16=s.bf16,
                    threads=s.threads,
                )  # fmt: skip
            return self._embedder

    @embedder.setter
    def embedder(self, encoder: Encoder) -> None:
        with self._lock:
            self._embedder, self._background = encoder, None

    @property
    def reader(self) -> PairReader | None:
        """What reads (question, passage) pairs, loaded on first use; None where it is
        switched off or not built (the embedding cosine decides then)."""
        with self._lock:
            if not self._reader_loaded:
                self._reader = self._open_reader()
                self._reader_loaded = True
            return self._reader

    def _open_reader(self) -> PairReader | None:
        wanted = self.settings.reader
        if wanted == "none":
            return None  # the default without a model: torch and transformers not imported
        if wanted in ("llm", "auto"):
            return self._judge(quiet=wanted == "auto")
        from index.model.reader import open_reader  # torch: imported only when needed

        return open_reader(wanted, self.settings.reader_data)

    def _judge(self, quiet: bool) -> PairReader | None:
        """The writer's language model as the reader (one model, one prompt cache); None, and
        a warning unless ``quiet``, where there is none."""
        writer = self.writer
        if writer is None:
            if not quiet:
                log.warning("REVUE_READER=llm but no language model is set up: the cosine decides")
            return None
        return ChatJudge(writer.client, writer.name)

    @property
    def reads_slowly(self) -> bool:
        """Whether a language model reads the passages (seconds each, where the cosine and the
        cross-encoder take milliseconds)."""
        return isinstance(self.reader, ChatJudge)

    @property
    def writer(self) -> Writer | None:
        """The language model that writes answers from the quotes; None where none is set up."""
        if self._writer_opened:  # the bot asks on its event loop: no wait for the lock then
            return self._writer
        with self._lock:
            if not self._writer_opened:
                self._writer = open_writer(self.settings)
                self._writer_opened = True
            return self._writer

    def french(self, question: str) -> str | None:
        """``question`` translated into French by the language model (None without one)."""
        with self._lock:
            if self._translator is None:
                writer = self.writer
                self._translator = Translator(writer.client) if writer is not None else False
        return self._translator.french(question) if self._translator else None

    @property
    def glosser(self) -> Glosser | None:
        """Glosses quotes in the other language (index.writing.gloss); None where REVUE_GLOSS
        is off or no language model is set up."""
        if self.settings.gloss == "off":
            return None
        writer = self.writer
        if writer is None:
            return None
        return Glosser(writer.client, lambda texts: self.embedder.encode_passages(list(texts)))

    def baseline(self, query_vec: np.ndarray) -> Baseline:
        """The question's cosines to unrelated news sentences (the abstention reference)."""
        with self._lock:
            if self._background is None:
                self._background = self.embedder.encode_passages(background_sentences())
            background = self._background
        sims = background @ query_vec
        return Baseline(float(sims.mean()), float(sims.std()))

    def load(self) -> None:
        """Load every model now, and start the embedded writer's server where it is the writer."""
        _ = self.embedder, self.reader
        writer = self.writer
        if writer is not None:
            try:
                writer.client()
            except RevueError as exc:  # its first answer will say so, and send the quotes
                log.warning("the writer could not start: %s", exc)

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()
            self._writer, self._writer_opened = None, False
            self._translator = None
