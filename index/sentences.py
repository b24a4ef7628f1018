"""Sentence spans of news text, with character offsets (sentencex, the only module that imports
it). Chunking groups them; quotes are windows of them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import sentencex

# Words that end with a period without ending a sentence (French and English news).
_ABBREVIATIONS = frozenset(
    """
    m mm mme mmes mlle dr pr me st ste av bd
    etc cf ex n no p pp vol mr mrs ms jr
    sr prof gen gén col lt sgt inc ltd corp co vs
    env art al
    """.split()
)
_WORD_BEFORE_PERIOD = re.compile(r"(\w+)\.\s*$")
_MIN_SENTENCE_CHARS = 6


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` of a text."""

    start: int
    end: int


def strip(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _lines(text: str) -> Iterator[Span]:
    pos = 0
    for line in text.split("\n"):
        span = strip(text, pos, pos + len(line))
        if span:
            yield span
        pos += len(line) + 1


def sentences(text: str, language: str = "fr") -> list[Span]:
    """Sentence spans of ``text`` (stripped of surrounding whitespace), in order.

    Lines are split first (news paragraphs are lines), then each line by ``sentencex``;
    fragments that end in a known abbreviation or are too short are glued to the next one.
    """
    spans: list[Span] = []
    for line in _lines(text):
        segment = text[line.start : line.end]
        pieces: list[Span] = []
        for b in sentencex.get_sentence_boundaries(language, segment):
            span = strip(text, line.start + b["start_index"], line.start + b["end_index"])
            if span:
                pieces.append(span)
        merged: list[Span] = []
        pending: Span | None = None
        for piece in pieces:
            if pending is not None:
                piece = Span(pending.start, piece.end)
                pending = None
            match = _WORD_BEFORE_PERIOD.search(text[piece.start : piece.end])
            short = piece.end - piece.start < _MIN_SENTENCE_CHARS
            if short or (match and match.group(1).lower() in _ABBREVIATIONS):
                pending = piece
                continue
            merged.append(piece)
        if pending is not None:
            if merged:
                merged[-1] = Span(merged[-1].start, pending.end)
            else:
                merged.append(pending)
        spans.extend(merged)
    return spans
