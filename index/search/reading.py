"""The reader's side of an answer: the windows the cosine ranks first are read together with
the question (``read_windows``); the reader's belief in the best one weighs in on a decline
(``combined``) and its probabilities order the quotes (``select_judged``).
``read_candidates``/``select_read`` let it pick single sentences alone, which
bench/calibrate.py measures against the cosine (it lost, docs/benchmarks.md).

A bi-encoder's cosine compares two summaries made apart, so it cannot tell "OpenAI's spending"
from "what OpenAI put on hold", and its scale shrinks when question and article are in different
languages. The reader sees both texts at once and gives a probability with one scale for every
question, which is what a single decline threshold needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.records import Hit
from index.search.candidates import AnswerConfig, Candidate, Evidence, article_sentences, windows
from index.text import phrases, runs_held, titled

# (question, passages) -> P(answers), one per passage; passages are "title — text"
Read = Callable[[str, list[str]], np.ndarray]


def read_candidates(
    evidence: Evidence, read: Read, config: AnswerConfig = AnswerConfig()
) -> list[Candidate]:
    """Single sentences of the best passages (two where one is too short to stand alone),
    scored by the reader, best first; a window quoting the question verbatim still wins."""
    keys = [(a, i, j) for a, i, j in windows(evidence, config) if j == i or _short(evidence, a, i)]
    if not keys:
        return []
    texts, spans = [], []
    for a, i, j in keys:
        article = evidence.articles[a]
        sentences = article_sentences(article)
        s, e = sentences[i][0], sentences[j][1]
        spans.append((s, e))
        texts.append(titled(article.title, article.text[s:e]))
    probs = read(evidence.question, texts)
    runs = phrases(evidence.question)
    out = []
    for (a, i, j), (s, e), text, p in zip(keys, spans, texts, probs, strict=True):
        score = float(p) + config.quote_weight * runs_held(runs, text)
        out.append(Candidate(a, i, j, s, e, float(p), score))
    return sorted(out, key=lambda c: (c.score, c.first == c.last), reverse=True)


@dataclass(frozen=True)
class Judged:
    """A window the reader read: the cosine's candidate and the reader's P(it answers)."""

    candidate: Candidate
    p: float
    quoted: float  # the share of the question's six-word runs it holds (a verbatim quote)

    @property
    def quotes_question(self) -> bool:
        """The question quotes this window ("who published « … »?"): it answers whatever the
        reader says."""
        return self.quoted >= 0.5


def read_windows(
    evidence: Evidence, scored: Sequence[Candidate], read: Read, config: AnswerConfig
) -> list[Judged]:
    """The first ``config.read_windows`` windows of ``scored`` that do not overlap, read with
    the question, best first: a window quoting the question verbatim, then the reader's P, then
    the cosine's order."""
    chosen: list[Candidate] = []
    for c in scored:
        if len(chosen) == config.read_windows:
            break
        if not any(_overlap(o, c) for o in chosen):
            chosen.append(c)
    if not chosen:
        return []
    texts = [_text(evidence, c) for c in chosen]
    probs = read(evidence.read_as, texts)
    runs = phrases(evidence.question)
    judged = [
        Judged(c, float(p), runs_held(runs, t))
        for c, p, t in zip(chosen, probs, texts, strict=True)
    ]
    # A stable sort: among equal beliefs, the cosine's order stands.
    return sorted(judged, key=lambda j: (j.quotes_question, j.p), reverse=True)


def belief(judged: Sequence[Judged]) -> float:
    """The reader's belief in the window it believes most; a window the question quotes
    verbatim answers "who published this quote?" whatever the reader says."""
    return max((1.0 if j.quotes_question else j.p for j in judged), default=0.0)


def select_judged(judged: Sequence[Judged], config: AnswerConfig) -> list[Candidate]:
    """The quotes: the window the reader believes most and those it believes nearly as much
    (within ``read_margin``); an unrelated story that shares a word falls below it."""
    if not judged:
        return []
    floor = judged[0].p - config.read_margin
    kept = [j.candidate for j in judged if j.p >= floor or j.quotes_question]
    return kept[: config.max_citations]


def _overlap(a: Candidate, b: Candidate) -> bool:
    return a.article_id == b.article_id and a.first <= b.last and a.last >= b.first


def _text(evidence: Evidence, c: Candidate) -> str:
    article = evidence.articles[c.article_id]
    return titled(article.title, article.text[c.start : c.end])


def combined(relevance: float, believed: float, config: AnswerConfig = AnswerConfig()) -> float:
    """The decline score with the reader on: the cosine's relevance plus the reader's logit."""
    p = min(max(believed, 1e-4), 1 - 1e-4)
    return relevance + config.read_weight * math.log(p / (1 - p))


def _short(evidence: Evidence, article_id: str, i: int) -> bool:
    start, end = article_sentences(evidence.articles[article_id])[i]
    return end - start < 60


def select_read(
    scored: Sequence[Candidate], config: AnswerConfig = AnswerConfig()
) -> list[Candidate]:
    """The quotes: the best sentence and runners-up the reader also believes, without overlap;
    [] (a decline) when the reader believes none."""
    chosen: list[Candidate] = []
    for c in scored:
        if c.similarity < config.read_threshold and c.score < 1.0:
            continue  # the reader does not believe it (and it is not a verbatim quote)
        if chosen and c.score < chosen[0].score - config.read_margin:
            break
        if any(
            o.article_id == c.article_id and c.first <= o.last and c.last >= o.first for o in chosen
        ):
            continue
        chosen.append(c)
        if len(chosen) == config.max_citations:
            break
    return chosen


def reorder(hits: Sequence[Hit], texts: Sequence[str], question: str, read: Read) -> list[Hit]:
    """``hits`` reordered by the reader's probability over ``texts`` (one per hit), with the
    fusion's order breaking ties; a hit that quotes the question verbatim keeps its place."""
    probs = read(question, list(texts))
    order = sorted(
        range(len(hits)),
        key=lambda n: (hits[n].score >= 1.0, float(probs[n]), -n),
        reverse=True,
    )
    return [hits[n] for n in order]
