"""Extractive answers: the sentences that answer a question, quoted verbatim and numbered.

No language model writes anything: every quote is ``article.text[start:end]``. Sentences of the
best passages are scored against the question; when even the best one is weak, the answer
declines instead of quoting something loosely related.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.chunking import sentences
from index.records import Answer, Article, Citation, Copy, Hit
from index.retrieval import STOPWORDS, fold, keyword_terms


@dataclass(frozen=True)
class AnswerConfig:
    """How quotes are chosen. Defaults calibrated on PIAF by bench/calibrate.py."""

    # Decline when the best window's cosine to the question stands less than this many standard
    # deviations above the question's cosines to unrelated news (index/background_fr.txt).
    abstain_below: float = 3.7
    passage_weight: float = 0.5  # weight of the passage's own cosine in a window's score
    keyword_weight: float = 0.03
    max_citations: int = 3
    passages: int = 6
    margin: float = 0.05  # runners-up must score within this of the best
    window_sentences: int = 3
    window_chars: int = 400
    min_chars: int = 25


DECLINE = {
    "en": "The coverage I have doesn't say.",
    "fr": "Les articles dont je dispose ne le disent pas.",
}
LEAD = {
    "en": "Here is what the coverage says:",
    "fr": "Voici ce qu'en disent les articles :",
}


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


BACKGROUND_FILE = Path(__file__).with_name("background_fr.txt")


def background_sentences() -> list[str]:
    """Short news sentences on unrelated topics, written for Revue (not from any outlet)."""
    lines = BACKGROUND_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


_identifier = None


def detect_language(question: str) -> str:
    """``en`` or ``fr``; English when unsure."""
    global _identifier
    if _identifier is None:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        _identifier = LanguageIdentifier.from_model_file(
            Path(MODEL_DIR) / MODEL_FILE, norm_probs=True
        )
        _identifier.set_languages(["en", "fr"])
    lang, prob = _identifier.classify(question)
    return "fr" if lang == "fr" and prob >= 0.6 else "en"


_WORDS = re.compile(r"[\w][\w\-]*", re.UNICODE)


def _is_name(word: str) -> bool:
    return word[0].isupper() or any(c.isupper() or c.isdigit() for c in word[1:])


def question_entities(question: str) -> list[str]:
    """Names the question is about: runs of capitalized words ("Nick Turley", "ChatGPT Plus").

    The coverage can only answer a question about a name it mentions; function words that
    start the question ("Why", "Quand") are not names.
    """
    entities: list[str] = []
    run: list[str] = []
    words = [m.group(0) for m in _WORDS.finditer(question)]
    for n, raw in enumerate([*words, ""]):
        word = re.sub(r"['’]s$", "", raw)
        # The first word is capitalized anyway: a name only if shaped like one ("OpenAI").
        first_plain = n == 0 and not any(c.isupper() or c.isdigit() for c in word[1:])
        if word and _is_name(word) and fold(word) not in STOPWORDS and not first_plain:
            run.append(word)
            continue
        if run:
            entity = " ".join(run)
            if len(entity) > 1:
                entities.append(entity)
            run = []
    return entities


def _mentions(text: str, entity: str) -> bool:
    """Whether folded ``text`` names ``entity``; one-word names may be inflected (Turcs/turque)."""
    name = fold(entity)
    if " " not in name and len(name) > 5:
        name, tail = name[: max(4, len(name) - 3)], r"\w*"
    else:
        tail = ""
    return re.search(r"(?<!\w)" + re.escape(name) + tail + r"(?!\w)", text) is not None


def _keyword_overlap(terms: Sequence[str], text: str) -> float:
    if not terms:
        return 0.0
    folded = fold(text)
    return sum(1 for t in terms if t in folded) / len(terms)


def candidates(
    question: str,
    query_vec: np.ndarray,
    hits: Sequence[Hit],
    articles: dict[str, Article],
    embed: Callable[[list[str]], np.ndarray],
    config: AnswerConfig = AnswerConfig(),
) -> list[Candidate]:
    """Windows of 1 to ``window_sentences`` sentences of the best passages, best first."""
    windows: dict[tuple[str, int, int], float] = {}
    entities = question_entities(question)
    for hit in hits[: config.passages]:
        article = articles[hit.article_id]
        folded = fold(f"{article.title or ''}\n{article.text}")
        if not all(_mentions(folded, e) for e in entities):
            continue  # this article never names what the question is about
        sentence_spans = _article_sentences(article)
        inside = [i for i, (s, e) in enumerate(sentence_spans) if s < hit.end and e > hit.start]
        for i in inside:
            for j in range(i, min(i + config.window_sentences, len(sentence_spans))):
                length = sentence_spans[j][1] - sentence_spans[i][0]
                if j > i and length > config.window_chars:
                    break
                if length < config.min_chars:
                    continue
                key = (article.id, i, j)
                windows[key] = max(windows.get(key, -1.0), hit.dense or 0.0)
    if not windows:
        return []
    keys = list(windows)
    # Each sentence is embedded once; a window's vector is the length-weighted mean of its
    # sentences' vectors (mean pooling makes this close to embedding the window itself).
    needed = sorted({(a, n) for a, i, j in keys for n in range(i, j + 1)})
    where = {key: row for row, key in enumerate(needed)}
    spans = {a: _article_sentences(articles[a]) for a, _ in needed}
    sentence_vecs = embed([articles[a].text[slice(*spans[a][n])] for a, n in needed])
    bounds, texts, vecs = [], [], []
    for a, i, j in keys:
        s, e = spans[a][i][0], spans[a][j][1]
        bounds.append((s, e))
        texts.append(articles[a].text[s:e])
        rows = [where[(a, n)] for n in range(i, j + 1)]
        weights = np.array(
            [spans[a][n][1] - spans[a][n][0] for n in range(i, j + 1)], dtype=np.float32
        )
        v = (sentence_vecs[rows] * weights[:, None]).sum(axis=0)
        vecs.append(v / (np.linalg.norm(v) or 1.0))
    sims = np.vstack(vecs) @ query_vec
    terms = keyword_terms(question)
    out = []
    for (a, i, j), (s, e), sim, text in zip(keys, bounds, sims, texts, strict=True):
        score = (
            float(sim)
            + config.passage_weight * windows[(a, i, j)]
            + config.keyword_weight * _keyword_overlap(terms, text)
        )
        out.append(Candidate(a, i, j, s, e, float(sim), score))
    return sorted(out, key=lambda c: c.score, reverse=True)


_sentence_cache: dict[tuple[str, int], list[tuple[int, int]]] = {}


def _article_sentences(article: Article) -> list[tuple[int, int]]:
    key = (article.id, hash(article.text))
    if key not in _sentence_cache:
        if len(_sentence_cache) > 2048:
            _sentence_cache.clear()
        spans = sentences(article.text, (article.language or "fr")[:2])
        _sentence_cache[key] = [(s.start, s.end) for s in spans]
    return _sentence_cache[key]


@dataclass(frozen=True)
class Baseline:
    """A question's cosines to unrelated text: their mean and standard deviation."""

    mean: float = 0.0
    std: float = 1.0

    def relevance(self, similarity: float) -> float:
        return (similarity - self.mean) / max(self.std, 1e-6)


def select(
    scored: Sequence[Candidate],
    config: AnswerConfig = AnswerConfig(),
    baseline: Baseline = Baseline(),
) -> list[Candidate]:
    """The windows to quote: the best and close runners-up, not overlapping; [] to decline.

    Cosines vary by question, and shrink when question and article are in different
    languages, so the evidence is judged by how far the best window stands above the
    question's cosines to unrelated text (``baseline``), in standard deviations.
    """
    if not scored or baseline.relevance(max(c.similarity for c in scored)) < config.abstain_below:
        return []
    floor = scored[0].score - config.margin
    chosen: list[Candidate] = []
    for c in scored:
        if c.score < floor or len(chosen) == config.max_citations:
            break
        if any(
            o.article_id == c.article_id and c.first <= o.last and c.last >= o.first for o in chosen
        ):
            continue
        chosen.append(c)
    return chosen


def compose(
    question: str,
    query_vec: np.ndarray,
    hits: Sequence[Hit],
    articles: dict[str, Article],
    embed: Callable[[list[str]], np.ndarray],
    config: AnswerConfig = AnswerConfig(),
    baseline: Baseline = Baseline(),
    copies: Mapping[str, tuple[Copy, ...]] | None = None,
) -> Answer:
    """The answer to ``question`` from ``hits``: numbered verbatim quotes, or a plain decline."""
    language = detect_language(question)
    scored = candidates(question, query_vec, hits, articles, embed, config)
    chosen = select(scored, config, baseline)
    if not chosen:
        return Answer(
            question=question, answer=DECLINE[language], abstained=True, language=language
        )
    citations = []
    for n, c in enumerate(chosen, 1):
        a = articles[c.article_id]
        citations.append(
            Citation(
                n=n,
                article_id=a.id,
                title=a.title,
                source=a.source,
                date=a.date,
                url=a.url,
                quote=a.text[c.start : c.end],
                start=c.start,
                end=c.end,
                score=round(c.score, 4),
                also_in=(copies or {}).get(a.id, ()),
            )
        )
    open_q, close_q = ("« ", " »") if language == "fr" else ("“", "”")
    body = " ".join(f"{open_q}{c.quote}{close_q} [{c.n}]" for c in citations)
    return Answer(
        question=question,
        answer=f"{LEAD[language]} {body}",
        abstained=False,
        language=language,
        citations=tuple(citations),
    )
