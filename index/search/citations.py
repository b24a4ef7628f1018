"""Extractive answers: the sentences that answer a question, quoted verbatim and numbered.

No language model writes anything: every quote is ``article.text[start:end]``. The decision
(``Judges.choose``) picks the windows to quote, or none, and then the answer declines instead of
quoting something loosely related, saying what was searched and which passage came nearest.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.coverage.speakers import attribution
from index.records import Answer, Citation, Coverage, byline
from index.search.candidates import AnswerConfig, Candidate, Evidence
from index.search.decision import Judges
from index.search.language import detect_language, mentions, question_entities
from index.text import fold

DECLINE = {
    "en": "The coverage I have doesn't say.",
    "fr": "Les articles dont je dispose ne le disent pas.",
}
SEARCHED = {
    "en": "I searched {articles} articles{span} and none answers this question.",
    "fr": "J'ai cherché dans {articles} articles{span} : aucun ne répond à cette question.",
}
SPAN = {"en": " ({first} to {last})", "fr": " ({first} à {last})"}
UNNAMED = {
    "en": "None of the passages found mentions “{name}”.",
    "fr": "Aucun des passages trouvés ne mentionne « {name} ».",
}
NEAREST = {
    # Not "which does not answer it": the embedded model misjudges some answers (docs/benchmarks.md,
    # the seed questions), and a reader shown the passage can tell.
    "en": "Closest passage, which I could not confirm answers it: “{quote}” ({where})",
    "fr": "Le passage le plus proche, sans confirmation qu'il y réponde : « {quote} » ({where})",
}
NEAREST_CHARS = 240  # a decline stays short: longer quotes are cut at a word, marked "…"
LEAD = {
    "en": "Here is what the coverage says:",
    "fr": "Voici ce qu'en disent les articles :",
}


@dataclass(frozen=True)
class Draft:
    """An answer shown before it is read: the cosine's quotes (``answer``), and the ``evidence``
    the reader still reads when ``pending`` (a language model takes seconds per passage)."""

    evidence: Evidence
    answer: Answer
    pending: bool


def compose(evidence: Evidence, judges: Judges, config: AnswerConfig = AnswerConfig()) -> Answer:
    """The answer to the question from its evidence: numbered verbatim quotes, or a decline."""
    question = evidence.question
    language = detect_language(question)
    chosen, nearest = judges.choose(evidence, config)
    if not chosen:
        near = cite(1, nearest, evidence) if nearest is not None else None
        text = declined(language, evidence.coverage, near)
        missing = unnamed(evidence)
        if missing:  # the names check declined it: say which name the coverage lacks
            text += " " + UNNAMED[language].format(name=missing)
        return Answer(
            question=question,
            answer=text,
            abstained=True,
            language=language,
            coverage=evidence.coverage,
            nearest=near,
        )
    citations = tuple(cite(n, c, evidence) for n, c in enumerate(chosen, 1))
    # The answer line points at the quotes; each quote is shown once, with its source.
    markers = " ".join(f"[{c.n}]" for c in citations)
    return Answer(
        question=question,
        answer=f"{LEAD[language]} {markers}",
        abstained=False,
        language=language,
        citations=citations,
        coverage=evidence.coverage,
    )


def declined(language: str, coverage: Coverage | None, nearest: Citation | None) -> str:
    """A decline that says what was searched and which passage came nearest."""
    if coverage is None:
        return DECLINE[language]
    span = ""
    if coverage.first and coverage.last:
        span = SPAN[language].format(first=coverage.first[:7], last=coverage.last[:7])
    count = f"{coverage.articles:,}".replace(",", " " if language == "fr" else ",")
    lines = [DECLINE[language], SEARCHED[language].format(articles=count, span=span)]
    if nearest is not None:
        where = byline(nearest.source, nearest.date, nearest.title) or nearest.article_id
        lines.append(NEAREST[language].format(quote=_short(nearest.quote), where=where))
    return " ".join(lines[:2]) + ("\n" + lines[2] if len(lines) > 2 else "")


def unnamed(evidence: Evidence) -> str | None:
    """The first name the question asks about that no retrieved article mentions."""
    texts = [fold(f"{a.title or ''}\n{a.text}") for a in evidence.articles.values()]
    for name in question_entities(evidence.question):
        if not any(mentions(t, name) for t in texts):
            return name
    return None


def _short(quote: str) -> str:
    text = " ".join(quote.split())
    if len(text) <= NEAREST_CHARS:
        return text
    return text[:NEAREST_CHARS].rsplit(" ", 1)[0] + " …"


def cite(n: int, c: Candidate, evidence: Evidence) -> Citation:
    a = evidence.articles[c.article_id]
    copies = evidence.copies.get(a.id, ())
    return Citation(
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
        also_in=copies,
        attribution=attribution(a.text, c.start, c.end, a.source, a.date, copies, a.language),
    )
