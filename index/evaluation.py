"""Scoring a question set: evidence among the first citations, declines, verbatim quotes."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import CorpusPathError

if TYPE_CHECKING:
    from index.engine import Revue

TOP_CITATIONS = 3
_QUOTES = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "\u00a0": " ",
        "\u202f": " ",
        "–": "-",
        "—": "-",
    }
)


def normalize(text: str) -> str:
    """Compare evidence and quotes regardless of typographic quotes, case and spacing."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES).lower()).strip()


@dataclass(frozen=True)
class EvalQuestion:
    """One line of a question set."""

    id: str
    question: str
    answerable: bool
    evidence: tuple[str, ...] = ()
    lang: str | None = None


@dataclass(frozen=True)
class EvalResult:
    """How the engine did on one question."""

    id: str
    question: str
    answerable: bool
    abstained: bool
    evidence_rank: int | None  # 1-based citation that holds the evidence
    verbatim: bool
    passed: bool
    detail: str
    lang: str | None = None


@dataclass(frozen=True)
class EvalReport:
    """All results and the figures over them."""

    results: tuple[EvalResult, ...]

    def _count(self, answerable: bool) -> tuple[int, int]:
        rs = [r for r in self.results if r.answerable is answerable]
        return sum(r.passed for r in rs), len(rs)

    def summary(self) -> str:
        found, answerable = self._count(True)
        declined, unanswerable = self._count(False)
        verbatim = sum(r.verbatim for r in self.results)
        total = len(self.results)
        line = (
            f"evidence in top {TOP_CITATIONS}: {found}/{answerable}; "
            f"unanswerable declined: {declined}/{unanswerable}; "
            f"quotes verbatim: {verbatim}/{total}; "
            f"passed: {sum(r.passed for r in self.results)}/{total}"
        )
        languages = sorted({r.lang for r in self.results if r.lang})
        if len(languages) > 1:  # the targets hold per language
            for lang in languages:
                part = EvalReport(tuple(r for r in self.results if r.lang == lang))
                (f, a), (d, u) = part._count(True), part._count(False)
                line += f"\n  {lang}: evidence in top {TOP_CITATIONS}: {f}/{a}; declined: {d}/{u}"
        return line


def load_questions(path: Path) -> list[EvalQuestion]:
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusPathError(f"cannot read question file {path}: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            out.append(
                EvalQuestion(
                    id=str(obj.get("id", n)),
                    question=obj["question"],
                    answerable=bool(obj.get("answerable", True)),
                    evidence=tuple(obj.get("evidence") or ()),
                    lang=obj.get("lang"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CorpusPathError(f"{path}:{n} is not a question line ({exc})") from exc
    return out


def evaluate(engine: Revue, questions: Sequence[EvalQuestion]) -> EvalReport:
    results = []
    for q in questions:
        answer = engine.ask(q.question)
        verbatim = True
        for c in answer.citations:
            article = engine.article(c.article_id)
            verbatim = verbatim and article is not None and article.text[c.start : c.end] == c.quote
        rank = None
        wanted = [normalize(e) for e in q.evidence]
        for c in answer.citations[:TOP_CITATIONS]:
            if any(w in normalize(c.quote) for w in wanted):
                rank = c.n
                break
        if q.answerable:
            passed = rank is not None and verbatim
            detail = (
                f"evidence in citation [{rank}]"
                if rank
                else "declined"
                if answer.abstained
                else "evidence not in the first citations"
            )
        else:
            passed = answer.abstained
            detail = (
                "declined"
                if answer.abstained
                else f"answered with {len(answer.citations)} citations"
            )
        if not verbatim:
            detail += " (a quote is not verbatim)"
        results.append(
            EvalResult(
                q.id,
                q.question,
                q.answerable,
                answer.abstained,
                rank,
                verbatim,
                passed,
                detail,
                q.lang,
            )
        )
    return EvalReport(tuple(results))
