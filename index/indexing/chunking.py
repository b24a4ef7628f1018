"""Sentence-aware chunking with character offsets into the stored article text."""

from __future__ import annotations

from collections.abc import Callable

from index.records import Article, Chunk
from index.sentences import Span, sentences, strip


def _split_long(text: str, span: Span, max_chars: int) -> list[Span]:
    """Cut an over-long sentence at whitespace into pieces of at most ``max_chars``."""
    out: list[Span] = []
    start = span.start
    while span.end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        cut = cut if cut > start else start + max_chars
        piece = strip(text, start, cut)
        if piece:
            out.append(piece)
        start = cut
    piece = strip(text, start, span.end)
    if piece:
        out.append(piece)
    return out


class Chunker:
    """Groups consecutive sentences into chunks of about ``target_chars``, one sentence overlap.

    ``count_tokens`` (the embedding model's tokenizer) guards the model's sequence limit:
    a chunk over ``max_tokens`` is split again, so nothing is silently truncated.
    """

    def __init__(
        self,
        target_chars: int = 700,
        max_chars: int = 1100,
        overlap_sentences: int = 1,
        max_tokens: int = 480,
        count_tokens: Callable[[str], int] | None = None,
    ):
        self.target_chars = target_chars
        self.max_chars = max_chars
        self.overlap = overlap_sentences
        self.max_tokens = max_tokens
        self.count_tokens = count_tokens

    def spans(self, text: str, language: str = "fr") -> list[Span]:
        units: list[Span] = []
        for s in sentences(text, language):
            units.extend(_split_long(text, s, self.max_chars))
        chunks: list[Span] = []
        i = 0
        while i < len(units):
            j = i + 1
            while j < len(units) and units[j].end - units[i].start <= self.target_chars:
                j += 1
            chunks.extend(self._fit(text, units[i:j]))
            if j >= len(units):
                break
            i = max(j - self.overlap, i + 1)
        return chunks

    def _fit(self, text: str, units: list[Span]) -> list[Span]:
        span = Span(units[0].start, units[-1].end)
        if self.count_tokens is None or len(units) == 1 and span.end - span.start <= 64:
            return [span]
        if self.count_tokens(text[span.start : span.end]) <= self.max_tokens:
            return [span]
        if len(units) > 1:
            mid = len(units) // 2
            return self._fit(text, units[:mid]) + self._fit(text, units[mid:])
        half = Span(span.start, span.start + (span.end - span.start) // 2)
        parts = _split_long(text, span, max(64, half.end - half.start))
        return [p for part in parts for p in self._fit(text, [part])]

    def chunk(self, article: Article) -> list[Chunk]:
        language = article.language or "fr"
        return [
            Chunk(article.id, n, s.start, s.end, article.text[s.start : s.end])
            for n, s in enumerate(self.spans(article.text, language))
        ]
