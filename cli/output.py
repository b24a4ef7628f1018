"""How the command line prints: one-line errors, progress bars, answers, hits and sources."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, NoReturn

import click

from index.coverage.firsts import as_of_line, first_line
from index.records import Answer, ArticleInfo, Citation, Copy, Hit, Stage, Written, byline
from index.writing.gloss import LABEL

if TYPE_CHECKING:
    from tqdm import tqdm


def fail(message: str, code: int = 1) -> NoReturn:
    """``revue: message`` on stderr, then exit with ``code``."""
    click.echo(f"revue: {message}", err=True)
    sys.exit(code)


OUTLETS_SHOWN = 10  # outlets named per list in the text output; the rest are counted


def outlet_list(names: Sequence[str]) -> str:
    """ "A, B and 3 more": the first ``OUTLETS_SHOWN`` names, the rest counted."""
    more = f" and {len(names) - OUTLETS_SHOWN} more" if len(names) > OUTLETS_SHOWN else ""
    return ", ".join(names[:OUTLETS_SHOWN]) + more


def echo_json(obj: object) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


class Bars:
    """tqdm progress bars on a terminal; nothing otherwise."""

    UNITS = {"embed": "chunk", "write": "step"}

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bars: dict[Stage, tqdm[Any]] = {}

    def __call__(self, stage: Stage, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            unit = self.UNITS.get(stage, "article")
            bar = self.bars[stage] = tqdm(total=total or None, desc=stage, unit=unit, leave=False)
        bar.total = total or None  # 0: not known yet (articles still being read)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def answer_json(answer: Answer, qid: object = None) -> dict[str, Any]:
    return {
        "id": qid,
        "question": answer.question,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "as_of": answer.as_of,  # the date of the latest article quoted
        "citations": [asdict(c) for c in answer.citations],
        "written": written_json(answer.written),
        "filters": asdict(answer.filters),
        "coverage": asdict(answer.coverage) if answer.coverage else None,
        "nearest": asdict(answer.nearest) if answer.nearest else None,
    }


def written_json(written: Written | None) -> dict[str, Any] | None:
    """The written answer, every sentence the model wrote, and why each was kept or dropped."""
    if written is None:
        return None
    return {"shown": written.shown, **asdict(written)}


def hits_json(hits: list[Hit], qid: object = None, query: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": qid}
    if query is not None:
        out["query"] = query
    out["hits"] = [
        {
            "article_id": h.article_id,
            "score": round(h.score, 6),
            "text": h.text,
            "start": h.start,
            "end": h.end,
        }
        for h in hits
    ]
    return out


def copies_line(copies: tuple[Copy, ...]) -> str:
    """Where else a wire dispatch ran: "Le Monde (2024-03-01), Ouest-France"."""
    return ", ".join(
        f"{c.source or c.article_id}" + (f" ({c.date})" if c.date else "") for c in copies
    )


def render_answer(answer: Answer) -> str:
    written = answer.written
    lines = [answer.answer]
    if written is not None and written.shown:
        # The checked written answer first; the lead's markers would repeat its [n].
        lines = [written.text, "", f"(written by {written.model} from the quotes below)"]
    if answer.filters:
        lines.append(f"(only articles {answer.filters.describe()})")
    as_of = as_of_line(answer)
    if as_of and not answer.abstained:
        lines.append(as_of)
    for c in answer.citations:
        lines += citation_lines(c)
    return "\n".join(lines)


def citation_lines(c: Citation, label: str = "") -> list[str]:
    """A numbered quote as the terminal shows it: a blank line, its source (after ``label``,
    e.g. a verdict), link, the other outlets that ran it, and the quote with its offsets."""
    source = byline(c.source, c.date, c.title) or c.article_id
    lines = ["", f"[{c.n}] {label} · {source}" if label else f"[{c.n}] {source}"]
    if c.url:
        lines.append(f"    {c.url}")
    if c.also_in:
        lines.append(f"    also in: {copies_line(c.also_in)}")
    lines.append(f"    “{c.quote}” (characters {c.start}–{c.end} of {c.article_id})")
    if c.gloss:
        lines.append(f"    {LABEL}: {c.gloss}")
    first = first_line(c)
    if first:
        lines.append(f"    {first}")
    if c.attribution is not None and c.attribution.line:
        lines.append(f"    {c.attribution.line}")
    return lines


def render_hits(hits: list[Hit]) -> str:
    lines = []
    for n, h in enumerate(hits, 1):
        snippet = " ".join(h.text.split())
        lines.append(
            f"{n:>2}. {h.article_id} [{h.start}:{h.end}] {h.score:.4f}\n    {snippet[:240]}"
        )
    return "\n".join(lines)


def render_source(a: ArticleInfo) -> str:
    return (
        f"{a.id}  {a.title or '(untitled)'}  [{a.byline}] {a.chunks} chunks"
        + (f"\n    {a.url}" if a.url else "")
        + (f"\n    also in: {copies_line(a.copies)}" if a.copies else "")
    )
