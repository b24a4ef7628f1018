"""The decision: which candidate windows are quoted, or a decline when even the best one does
not stand out from unrelated text. The cosine decides alone (``select``); with a reader, the
decline also weighs what the reader believes and the reader orders the quotes (``Judges``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from index.errors import RevueError
from index.search.candidates import AnswerConfig, Candidate, Embed, Evidence, candidates
from index.search.reading import Read, belief, combined, read_windows, select_judged

log = logging.getLogger("revue")


# The language model as the reader (REVUE_READER=auto/llm), fitted on
# bench/questions/reader_tuning.jsonl (bench/reader.py fit): the cosine's distance from unrelated
# text does not tell a near miss from an answer there (AUC 0.50 in French), the model's belief
# does better (0.80 French, 0.66 English), so it decides near misses: balanced accuracy 0.49 ->
# 0.64. Far misses are the cosine's (PIAF, unrelated articles: the model alone 0.70 balanced in
# French, with the cosine's 3.7 first 0.75; no change on the near misses). docs/benchmarks.md.
LLM_READING = AnswerConfig(combined_below=float("-inf"), read_below=0.55, far_below=3.7)
# The cosine's quotes shown while the language model reads them (``Revue.draft``): not declined
# on the cosine's word, which the reader overrules either way.
UNREAD = AnswerConfig(abstain_below=float("-inf"))


BACKGROUND_FILE = Path(__file__).with_name("background_fr.txt")


def background_sentences() -> list[str]:
    """Short news sentences on unrelated topics, written for Revue (not from any outlet)."""
    lines = BACKGROUND_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


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


@dataclass(frozen=True)
class Judges:
    """What judges the candidate quotes: the embedding model's cosine, against the question's
    ``baseline``, picks them; with a reader, the decline also weighs what the reader believes."""

    embed: Embed
    baseline: Baseline = Baseline()
    read: Read | None = None

    def choose(
        self, evidence: Evidence, config: AnswerConfig
    ) -> tuple[list[Candidate], Candidate | None]:
        """The windows to quote ([] to decline), and the one that came nearest."""
        scored = candidates(evidence, self.embed, config)
        nearest = scored[0] if scored else None
        if self.read is None or not scored:
            return select(scored, config, self.baseline), nearest
        relevance = self.baseline.relevance(max(c.similarity for c in scored))
        if relevance < config.far_below:
            return [], nearest
        try:
            judged = read_windows(evidence, scored, self.read, config)
        except RevueError as exc:  # the language model is down: the cosine decides alone
            log.warning("the reader failed, the cosine decides: %s", exc)
            return select(scored, config, self.baseline), nearest
        believed = belief(judged)
        if (
            believed < config.read_below
            or combined(relevance, believed, config) < config.combined_below
        ):
            return [], judged[0].candidate
        return select_judged(judged, config), nearest
