"""What the command modules share: the engine of this invocation, the --corpus option, indexing
with progress bars, and how an engine error is worded for a person."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cli.output import Bars
from index.errors import DatabaseUnavailable, IndexBusy, IndexDamaged, IndexMissing, RevueError
from index.records import IndexSummary
from index.search.filters import HELP, parse_filters
from index.settings import Settings

if TYPE_CHECKING:
    from index.engine import Revue

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_CORPUS = Path("corpus")

# What to do next, by the kind of error (the engine says what is wrong, not what to run).
NEXT_STEP: dict[type[RevueError], str] = {
    IndexMissing: "run `revue index` first",
    IndexBusy: "wait for it to finish, then try again",
    IndexDamaged: "run `revue index` to rebuild it, or move the data directory away",
    DatabaseUnavailable: "check that the server named by REVUE_DATABASE_URL is up",
}


def explain(exc: RevueError) -> str:
    """The engine's message, followed by the next step for its kind of error."""
    step = next((s for kind, s in NEXT_STEP.items() if isinstance(exc, kind)), None)
    return f"{exc}: {step}" if step else str(exc)


def engine_of(ctx: click.Context) -> Revue:
    from index.engine import Revue  # imported on use: torch is slow to import

    if ctx.obj is None:
        ctx.obj = Revue(Settings())
    engine: Revue = ctx.obj
    return engine


def corpus_option(f: F) -> F:
    return click.option(
        "--corpus",
        "corpus",
        multiple=True,
        type=click.Path(path_type=Path),
        help="A corpus directory or file (.md, .txt, .html, .jsonl, .jsonl.gz); repeatable.",
    )(f)


def do_index(engine: Revue, corpus: tuple[Path, ...] | list[Path]) -> IndexSummary:
    bars = Bars(sys.stderr.isatty())
    try:
        summary = engine.index(list(corpus) or [DEFAULT_CORPUS], progress=bars)
    finally:
        bars.close()
    for p in summary.problems:
        click.echo(f"{'warning' if p.kept else 'skipped'} {p.origin}: {p.reason}", err=True)
    click.echo(summary.describe())
    return summary


def filter_options(f: F) -> F:
    """``--outlet``, ``--since`` and ``--until``, given to the command as one ``filters``."""

    @functools.wraps(f)
    def wrapper(
        *args: Any, outlet: str | None, since: str | None, until: str | None, **kw: Any
    ) -> Any:
        return f(*args, filters=parse_filters(outlet, since, until), **kw)

    wrapper = click.option("--outlet", help="Only articles whose outlet's name contains this.")(
        date_options(wrapper)
    )
    return wrapper  # type: ignore[return-value]


def date_options(f: F) -> F:
    """``--since`` and ``--until`` (commands that span outlets take no ``--outlet``)."""
    f = click.option("--until", help=f"Only articles published on or before this: {HELP}.")(f)
    return click.option("--since", help=f"Only articles published on or after this: {HELP}.")(f)
