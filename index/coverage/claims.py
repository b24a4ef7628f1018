"""Checking a claim against the coverage, outlet by outlet: does each outlet's coverage support
it, contradict it, or not say?

The claim is searched like a question (hybrid retrieval, ``DEPTH`` passages, one per wire
dispatch) and the passages are split by outlet (``compare.by_outlet``). For each of the first
``LIMIT`` outlets, in the order of their best passage, the window of 1-3 sentences closest to
the claim in each of its ``PER_OUTLET`` best passages is judged by the language model
(``writing.stance``); the outlet's verdict is its most confident support or contradiction, or
"does not say" with its closest window. Every verdict quotes ``article.text[start:end]``.

The model reads ~5 s a pair on 2 shared cores, so the outlets beyond ``LIMIT`` are named as not
judged rather than read; a window that stands no closer to the claim than unrelated news does
(``FAR_BELOW``) is "does not say" without asking the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from index.coverage.compare import by_outlet, silent
from index.records import NO_FILTERS, ClaimCheck, Filters, Hit, Verdict
from index.search.candidates import (
    Candidate,
    Embed,
    Evidence,
    article_sentences,
    passage_windows,
    window_vectors,
)
from index.search.citations import cite
from index.search.decision import Baseline
from index.writing.stance import Stance

DEPTH = 60  # passages searched, as for ``revue compare``
LIMIT = 6  # outlets judged: 6 x 1-2 pairs is 30-60 s of the embedded model on 2 cores
PER_OUTLET = 2  # passages of one outlet judged (its best window in each)
# Standard deviations above the claim's cosines to unrelated news below which a window is not
# about the claim at all: "does not say", without the model (looser than the reader's 3.7, as
# a false claim may share fewer words with the passage that refutes it).
FAR_BELOW = 3.0
WINDOW_SENTENCES = 3
WINDOW_CHARS = 400

Judge = Callable[[str, str], Stance]  # (claim, passage) -> its stance
OnVerdict = Callable[[Verdict, int, int], None]  # a verdict, outlets judged so far, to judge


def check_claim(  # noqa: PLR0913 - the claim's evidence and the three judges it meets
    evidence: Evidence,
    embed: Embed,
    baseline: Baseline,
    judge: Judge,
    outlets: Sequence[tuple[str, int]],
    limit: int = LIMIT,
    on_verdict: OnVerdict | None = None,
    filters: Filters = NO_FILTERS,
) -> ClaimCheck:
    """A verdict for each of the first ``limit`` outlets with passages on the claim."""
    groups = by_outlet(evidence)
    names = list(groups)
    chosen, unjudged = names[:limit], tuple(names[limit:])
    verdicts: list[Verdict] = []
    for name in chosen:
        windows = closest_windows(evidence, groups[name][:PER_OUTLET], embed)
        if not windows:  # its passages overlap no sentence: nothing of it to judge
            continue
        verdicts.append(outlet_verdict(name, windows, evidence, baseline, judge))
        if on_verdict is not None:
            on_verdict(verdicts[-1], len(verdicts), len(chosen))
    numbered = tuple(
        replace(v, citation=replace(v.citation, n=n)) for n, v in enumerate(verdicts, 1)
    )
    quiet = silent(outlets, [v.citation for v in numbered])
    return ClaimCheck(
        evidence.question,
        numbered,
        unjudged,
        tuple(name for name in quiet if name not in unjudged),
        limit,
        filters=filters,
    )


def closest_windows(evidence: Evidence, hits: Sequence[Hit], embed: Embed) -> list[Candidate]:
    """In each passage, the window of 1-3 consecutive sentences closest to the claim; closest
    first."""
    keys = [
        key
        for hit in hits
        for key in passage_windows(
            evidence.articles[hit.article_id], hit, WINDOW_SENTENCES, WINDOW_CHARS
        )
    ]
    if not keys:
        return []
    sims = window_vectors(keys, evidence.articles, embed) @ evidence.query_vec
    best: dict[str, Candidate] = {}
    for (a, i, j), sim in zip(keys, sims, strict=True):
        spans = article_sentences(evidence.articles[a])
        window = Candidate(a, i, j, spans[i][0], spans[j][1], float(sim), float(sim))
        if a not in best or window.similarity > best[a].similarity:
            best[a] = window
    return sorted(best.values(), key=lambda c: -c.similarity)


def outlet_verdict(
    outlet: str,
    windows: Sequence[Candidate],
    evidence: Evidence,
    baseline: Baseline,
    judge: Judge,
) -> Verdict:
    """The outlet's most confident support or contradiction, else "does not say" quoting its
    closest window."""
    judged: list[tuple[Candidate, Stance]] = []
    for window in windows:
        if baseline.relevance(window.similarity) < FAR_BELOW:
            continue
        passage = evidence.articles[window.article_id].text[window.start : window.end]
        judged.append((window, judge(evidence.question, passage)))
    said = [(w, s) for w, s in judged if s.label != "not_said"]
    if said:
        window, stance = max(said, key=lambda ws: ws[1].confidence)
        return Verdict(
            outlet, stance.label, stance.confidence, cite(0, window, evidence), stance.reason
        )
    window = windows[0]
    if judged:
        stance = judged[0][1]
        return Verdict(
            outlet, "not_said", stance.confidence, cite(0, window, evidence), stance.reason
        )
    far = (
        f"no closer to the claim than unrelated news ({baseline.relevance(window.similarity):.1f})"
    )
    return Verdict(outlet, "not_said", 1.0, cite(0, window, evidence), far)
