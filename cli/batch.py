"""``--batch FILE.jsonl``: one JSON line out for each line in, errors named by line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from cli.output import echo_json, fail
from index.errors import InvalidQuestion


@dataclass(frozen=True)
class BatchLine:
    """One non-blank input line: its id and text, or why it cannot be used."""

    id: Any
    text: str | None
    error: str | None = None


def read_batch(path: Path, key: str) -> Iterator[BatchLine]:
    """Each non-blank line of a JSON Lines file, with ``key`` as its text."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    with fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                yield _parse(n, line, key)


def _parse(n: int, line: str, key: str) -> BatchLine:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return BatchLine(None, None, f"line {n} is not JSON ({exc.msg})")
    if not isinstance(obj, dict):
        return BatchLine(None, None, f"line {n} has no {key!r} string")
    if not isinstance(obj.get(key), str):
        return BatchLine(obj.get("id"), None, f"line {n} has no {key!r} string")
    return BatchLine(obj.get("id"), obj[key])


def run_batch(path: Path, key: str, work: Callable[[Any, str], dict[str, Any]]) -> None:
    """``work(id, text)`` for each line; a bad line or question is reported and the rest run."""
    errors = 0
    for line in read_batch(path, key):
        error = line.error
        if error is None:
            try:
                echo_json(work(line.id, line.text or ""))
                continue
            except InvalidQuestion as exc:
                error = str(exc)
        errors += 1
        echo_json({"id": line.id, "error": error})
        click.echo(f"revue: {path}: {error}", err=True)
    if errors:
        sys.exit(1)
