"""Candidate quotes: the retrieved passages cut into windows of 1-3 sentences that name what the
question is about, each scored against the question (its cosine, the passage's, keywords and
verbatim runs), best first. The first step after retrieval; ``AnswerConfig``, which tunes every
step after it (reader, decision), is defined here so that each later step imports it from below.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from index.records import Article, Copy, Coverage, Hit
from index.search.language import mentions, question_entities
from index.sentences import sentences
from index.text import fold, keyword_terms, phrases, runs_held

Embed = Callable[[list[str]], np.ndarray]  # passages -> L2-normalized vectors


@dataclass(frozen=True)
class AnswerConfig:
    """How quotes are chosen. Defaults calibrated on PIAF by bench/calibrate.py."""

    # Decline when the best window's cosine to the question stands less than this many standard
    # deviations above the question's cosines to unrelated news (background_fr.txt, beside it).
    abstain_below: float = 3.7
    passage_weight: float = 0.5  # weight of the passage's own cosine in a window's score
    keyword_weight: float = 0.03
    # Weight of the share of the question's six-word runs a window holds: a window that the
    # question quotes verbatim outranks every other (cosine + evidence stay under 2).
    quote_weight: float = 2.0
    max_citations: int = 3
    # The reader alone (bench/calibrate.py compares it): quote a sentence it gives at least this
    # probability of answering, runners-up within ``read_margin`` of the best.
    read_threshold: float = 0.5
    read_margin: float = 0.3
    # With the reader on, a decline weighs both judges: the cosine's standard deviations above
    # the background plus ``read_weight`` x the logit of the reader's best sentence must reach
    # ``combined_below`` (bench/calibrate.py: balanced 0.825 French, 0.765 English at 5.4).
    read_weight: float = 1.0
    combined_below: float = 5.4
    read_windows: int = 5  # the cosine's first windows the reader reads
    # With the reader on, also decline when it believes no window at least this much.
    read_below: float = 0.0
    # With the reader on, decline before reading when even the best window's cosine stands less
    # than this many standard deviations above unrelated news: a question about something the
    # coverage never discusses costs no model time.
    far_below: float = float("-inf")
    passages: int = 6
    margin: float = 0.05  # runners-up must score within this of the best
    window_sentences: int = 3
    window_chars: int = 400
    min_chars: int = 25


@dataclass(frozen=True)
class Evidence:
    """What an answer is drawn from: the question, its vector, the best passages, their articles
    and the articles' wire copies."""

    question: str
    query_vec: np.ndarray
    hits: Sequence[Hit]
    articles: Mapping[str, Article]
    copies: Mapping[str, tuple[Copy, ...]] = field(default_factory=dict)
    coverage: Coverage | None = None  # what was searched, for a decline to say
    translated: str | None = None  # the question in the articles' language, where translated

    @property
    def read_as(self) -> str:
        """The question as searched and read: its translation, where there is one."""
        return self.translated or self.question


@dataclass(frozen=True)
class Candidate:
    """A window of consecutive sentences of a retrieved passage, scored against the question."""

    article_id: str
    first: int  # index of its first sentence in the article
    last: int
    start: int
    end: int
    similarity: float  # the window's cosine to the question
    score: float  # similarity + passage and keyword evidence


def _keyword_overlap(terms: Sequence[str], text: str) -> float:
    if not terms:
        return 0.0
    folded = fold(text)
    return sum(1 for t in terms if t in folded) / len(terms)


Window = tuple[str, int, int]  # article id, first and last sentence


def windows(evidence: Evidence, config: AnswerConfig) -> dict[Window, float]:
    """Windows of 1 to ``window_sentences`` sentences of the best passages that name what the
    question is about, each with the best cosine of a passage it came from."""
    out: dict[Window, float] = {}
    entities = question_entities(evidence.question)
    for hit in evidence.hits[: config.passages]:
        article = evidence.articles[hit.article_id]
        folded = fold(f"{article.title or ''}\n{article.text}")
        if not all(mentions(folded, e) for e in entities):
            continue  # this article never names what the question is about
        spans = article_sentences(article)
        for key in passage_windows(article, hit, config.window_sentences, config.window_chars):
            _, i, j = key
            if spans[j][1] - spans[i][0] >= config.min_chars:
                out[key] = max(out.get(key, -1.0), hit.dense or 0.0)
    return out


def passage_windows(article: Article, hit: Hit, most: int, chars: int) -> Iterator[Window]:
    """The windows of 1 to ``most`` consecutive sentences starting in the passage ``hit``; a
    window of two sentences or more ends before it passes ``chars`` characters."""
    spans = article_sentences(article)
    inside = [i for i, (s, e) in enumerate(spans) if s < hit.end and e > hit.start]
    for i in inside:
        for j in range(i, min(i + most, len(spans))):
            if j > i and spans[j][1] - spans[i][0] > chars:
                break
            yield (article.id, i, j)


def window_vectors(
    keys: Sequence[Window], articles: Mapping[str, Article], embed: Embed
) -> np.ndarray:
    """One vector per window. Each sentence is embedded once; a window's vector is the
    length-weighted mean of its sentences' vectors (mean pooling makes this close to embedding
    the window itself)."""
    needed = sorted({(a, n) for a, i, j in keys for n in range(i, j + 1)})
    where = {key: row for row, key in enumerate(needed)}
    spans = {a: article_sentences(articles[a]) for a, _ in needed}
    sentence_vecs = embed([articles[a].text[slice(*spans[a][n])] for a, n in needed])
    vecs = []
    for a, i, j in keys:
        rows = [where[(a, n)] for n in range(i, j + 1)]
        weights = np.array([spans[a][n][1] - spans[a][n][0] for n in range(i, j + 1)], np.float32)
        v = (sentence_vecs[rows] * weights[:, None]).sum(axis=0)
        vecs.append(v / (np.linalg.norm(v) or 1.0))
    return np.vstack(vecs)


def candidates(
    evidence: Evidence, embed: Embed, config: AnswerConfig = AnswerConfig()
) -> list[Candidate]:
    """The windows of the best passages, scored against the question, best first."""
    found = windows(evidence, config)
    if not found:
        return []
    keys = list(found)
    sims = window_vectors(keys, evidence.articles, embed) @ evidence.query_vec
    terms = keyword_terms(evidence.read_as)
    runs = phrases(evidence.question)
    out = []
    for (a, i, j), sim in zip(keys, sims, strict=True):
        spans = article_sentences(evidence.articles[a])
        s, e = spans[i][0], spans[j][1]
        text = evidence.articles[a].text[s:e]
        score = (
            float(sim)
            + config.passage_weight * found[(a, i, j)]
            + config.keyword_weight * _keyword_overlap(terms, text)
            + config.quote_weight * runs_held(runs, text)
        )
        out.append(Candidate(a, i, j, s, e, float(sim), score))
    return sorted(out, key=lambda c: c.score, reverse=True)


@functools.lru_cache(maxsize=2048)
def _sentence_spans(text: str, language: str) -> tuple[tuple[int, int], ...]:
    return tuple((s.start, s.end) for s in sentences(text, language))


def article_sentences(article: Article) -> list[tuple[int, int]]:
    """The article's sentences as (start, end) offsets; cached per text (the answer's workers
    share it: ``lru_cache`` is safe across threads, where the dict it replaced was cleared by
    one worker while another read it)."""
    return list(_sentence_spans(article.text, (article.language or "fr")[:2]))
