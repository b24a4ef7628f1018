"""Comparing outlets: each outlet's best verbatim quote on a question, side by side, and the
outlets whose articles say nothing on it.

The question is searched once (hybrid retrieval, ``DEPTH`` passages, one per wire dispatch);
the passages are split by outlet and each outlet's best ones are judged as an answer of one
quote, with the same decline as ``revue ask``. An outlet whose passages do not clear it is
silent on the question, like one with no passage at all. A wire dispatch is quoted once, from
the copy the search ranked first; the outlets that ran the other copies are in its ``also_in``
and are not silent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from index.records import NO_FILTERS, Citation, Comparison, Filters, Hit
from index.search.candidates import AnswerConfig, Evidence
from index.search.citations import compose
from index.search.decision import Judges

# Passages searched for the question. news3k, "Que dit Macron sur les retraites ?": the 60
# best passages come from 31 outlets, the next 60 add 8 more, none of which clears the decline.
DEPTH = 60
# Passages of one outlet judged for its quote: its best two (a third changed no quote on news3k
# and costs one more passage of sentences to embed per outlet).
PER_OUTLET = 2


def compare_outlets(
    evidence: Evidence,
    judges: Judges,
    outlets: Sequence[tuple[str, int]],
    config: AnswerConfig = AnswerConfig(),
    filters: Filters = NO_FILTERS,
) -> Comparison:
    """One quote per outlet that answers, best first; ``outlets`` (every outlet the filters
    allow) less those quoted or running a quoted dispatch are silent."""
    single = replace(config, max_citations=1)
    quotes: list[Citation] = []
    for hits in by_outlet(evidence).values():
        answer = compose(replace(evidence, hits=tuple(hits[:PER_OUTLET])), judges, single)
        quotes.extend(answer.citations[:1])
    ranked = sorted(quotes, key=lambda c: (-c.score, c.source or ""))
    numbered = tuple(replace(c, n=n) for n, c in enumerate(ranked, 1))
    return Comparison(evidence.question, numbered, silent(outlets, numbered), filters)


def by_outlet(evidence: Evidence) -> dict[str, list[Hit]]:
    """The passages of each outlet, best first (articles without an outlet are left out)."""
    out: dict[str, list[Hit]] = {}
    for hit in evidence.hits:
        source = evidence.articles[hit.article_id].source
        if source:
            out.setdefault(source, []).append(hit)
    return out


def silent(outlets: Sequence[tuple[str, int]], quotes: Sequence[Citation]) -> tuple[str, ...]:
    """The outlets, largest first, neither quoted nor running a quoted wire dispatch."""
    covered = {c.source for c in quotes} | {k.source for c in quotes for k in c.also_in}
    return tuple(name for name, _ in outlets if name not in covered)
