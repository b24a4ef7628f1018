"""How the command line prints: progress bars, the index summary, answers, hits, batches."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from index.errors import RevueError
from index.records import Answer, Copy, Hit, IndexSummary


def fail(message: str, code: int = 1) -> None:
    click.echo(f"revue: {message}", err=True)
    sys.exit(code)


class Bars:
    """tqdm progress bars on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            unit = {"embed": "chunk", "write": "step"}.get(stage, "article")
            bar = self.bars[stage] = tqdm(total=total or None, desc=stage, unit=unit, leave=False)
        bar.total = total or None  # 0: not known yet (articles still being read)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def summary_line(s: IndexSummary) -> str:
    parts = [
        f"{s.articles_total} articles, {s.chunks_total} chunks indexed",
        f"{s.added} added, {s.changed} changed, {s.removed} removed, {s.unchanged} unchanged",
        f"{s.chunks_embedded} chunks embedded",
        f"{len(s.problems)} skipped",
        f"{s.wire_groups} group{'' if s.wire_groups == 1 else 's'} of wire copies",
    ]
    lead = "Rebuilt for a new embedding model: " if s.rebuilt else ""
    return f"{lead}{'; '.join(parts)} in {s.seconds:.1f} s"


def answer_json(answer: Answer, qid: Any = None) -> dict[str, Any]:
    return {
        "id": qid,
        "question": answer.question,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "citations": [asdict(c) for c in answer.citations],
    }


def hits_json(hits: list[Hit], qid: Any = None, query: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": qid}
    if query is not None:
        out["query"] = query
    out["hits"] = [
        {
            "article_id": h.article_id,
            "chunk_id": h.chunk_id,
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
    lines = [answer.answer]
    for c in answer.citations:
        meta = " · ".join(x for x in (c.source, c.date, c.title) if x)
        lines += ["", f"[{c.n}] {meta or c.article_id}"]
        if c.url:
            lines.append(f"    {c.url}")
        if c.also_in:
            lines.append(f"    also in: {copies_line(c.also_in)}")
        lines.append(f"    “{c.quote}” (characters {c.start}–{c.end} of {c.article_id})")
    return "\n".join(lines)


def read_batch(path: Path, key: str) -> Iterator[tuple[int, Any, str | None, str | None]]:
    """(line number, id, text, error) for each non-blank line of a JSON Lines file."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, None, None, f"line {n} is not JSON ({exc.msg})"
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get(key), str):
                qid = obj.get("id") if isinstance(obj, dict) else None
                yield n, qid, None, f"line {n} has no {key!r} string"
                continue
            yield n, obj.get("id"), obj[key], None


def run_batch(path: Path, key: str, work: Callable[[Any, str], dict[str, Any]]) -> None:
    errors = 0
    for _n, qid, text, error in read_batch(path, key):
        if error is None:
            try:
                click.echo(json.dumps(work(qid, text or ""), ensure_ascii=False))
                continue
            except RevueError as exc:
                if not str(exc).startswith("the question"):
                    raise
                error = str(exc)
        errors += 1
        click.echo(json.dumps({"id": qid, "error": error}, ensure_ascii=False))
        click.echo(f"revue: {path}: {error}", err=True)
    if errors:
        sys.exit(1)
