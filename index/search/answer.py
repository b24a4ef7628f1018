"""Extractive answers: the sentences that answer a question, quoted verbatim and numbered.

No language model writes anything: every quote is ``article.text[start:end]``. ``quotes`` picks
the windows to quote, or none, and then the answer declines instead of quoting something loosely
related.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from index.records import Answer, Citation
from index.search.language import detect_language
from index.search.quotes import (
    AnswerConfig,
    Baseline,
    Candidate,
    Embed,
    Evidence,
    candidates,
    select,
)
from index.search.reading import Read, belief, combined

DECLINE = {
    "en": "The coverage I have doesn't say.",
    "fr": "Les articles dont je dispose ne le disent pas.",
}
LEAD = {
    "en": "Here is what the coverage says:",
    "fr": "Voici ce qu'en disent les articles :",
}


@dataclass(frozen=True)
class Judges:
    """What judges the candidate quotes: the embedding model's cosine, against the question's
    ``baseline``, picks them; with a reader, the decline also weighs what the reader believes."""

    embed: Embed
    baseline: Baseline = Baseline()
    read: Read | None = None

    def choose(self, evidence: Evidence, config: AnswerConfig) -> list[Candidate]:
        scored = candidates(evidence, self.embed, config)
        if self.read is None or not scored:
            return select(scored, config, self.baseline)
        relevance = self.baseline.relevance(max(c.similarity for c in scored))
        if combined(relevance, belief(evidence, self.read, config), config) < config.combined_below:
            return []
        return select(scored, replace(config, abstain_below=float("-inf")), self.baseline)


def compose(evidence: Evidence, judges: Judges, config: AnswerConfig = AnswerConfig()) -> Answer:
    """The answer to the question from its evidence: numbered verbatim quotes, or a decline."""
    question = evidence.question
    language = detect_language(question)
    chosen = judges.choose(evidence, config)
    if not chosen:
        return Answer(
            question=question, answer=DECLINE[language], abstained=True, language=language
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
    )


def cite(n: int, c: Candidate, evidence: Evidence) -> Citation:
    a = evidence.articles[c.article_id]
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
        also_in=evidence.copies.get(a.id, ()),
    )
