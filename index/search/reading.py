"""The reader's side of an answer: each sentence of the best passages is read together with the
question. In Revue the reader's belief in its best sentence weighs in on a decline
(``belief``, ``combined``); ``read_candidates``/``select_read`` let it pick the quotes alone,
which bench/calibrate.py measures against the cosine (it lost, docs/benchmarks.md).

A bi-encoder's cosine compares two summaries made apart, so it cannot tell "OpenAI's spending"
from "what OpenAI put on hold", and its scale shrinks when question and article are in different
languages. The reader sees both texts at once and gives a probability with one scale for every
question, which is what a single decline threshold needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from index.records import Hit
from index.search.quotes import AnswerConfig, Candidate, Evidence, article_sentences, windows
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


def belief(evidence: Evidence, read: Read, config: AnswerConfig = AnswerConfig()) -> float:
    """The reader's probability for the sentence it believes most (0.0 with none to read)."""
    return max((c.similarity for c in read_candidates(evidence, read, config)), default=0.0)


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
