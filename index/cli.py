"""The ``revue`` command line. Errors become one line on stderr and a non-zero exit."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from index.cli_output import (
    Bars,
    answer_json,
    copies_line,
    fail,
    hits_json,
    render_answer,
    run_batch,
    summary_line,
)
from index.errors import CorpusPathError, RevueError
from index.records import IndexSummary
from index.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_CORPUS = Path("corpus")


def _engine(ctx: click.Context):  # -> Revue (imported lazily: torch is slow to import)
    from index.engine import Revue

    if ctx.obj is None:
        ctx.obj = Revue(Settings())
    return ctx.obj


class Group(click.Group):
    """Turns every engine error into one line on stderr (no traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RevueError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted", 130)


@click.group(cls=Group)
@click.version_option(package_name="revue-bot")
def cli() -> None:
    """Revue answers questions about news coverage with verbatim, checkable citations."""


def corpus_option(f: F) -> F:
    return click.option(
        "--corpus",
        "corpus",
        multiple=True,
        type=click.Path(path_type=Path),
        help="A corpus directory or file (.md, .txt, .html, .jsonl, .jsonl.gz); repeatable.",
    )(f)


# -- index ------------------------------------------------------------------------------------
def do_index(engine: Any, corpus: tuple[Path, ...], quiet: bool = False) -> IndexSummary:
    bars = Bars(sys.stderr.isatty() and not quiet)
    try:
        summary = engine.index(list(corpus) or [DEFAULT_CORPUS], progress=bars)
    finally:
        bars.close()
    for p in summary.problems:
        click.echo(f"skipped {p.origin}: {p.reason}", err=True)
    if not quiet:
        click.echo(summary_line(summary))
    return summary


@cli.command("index")
@corpus_option
@click.pass_context
def index_cmd(ctx: click.Context, corpus: tuple[Path, ...]) -> None:
    """Index the corpus (default: corpus/); only new or changed articles are embedded."""
    do_index(_engine(ctx), corpus)


@cli.command("add")
@click.argument("target")
@click.option(
    "--corpus-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_CORPUS,
    show_default=True,
    help="Where the Markdown files are written.",
)
def add_cmd(target: str, corpus_dir: Path) -> None:
    """Add the article or feed at TARGET (a URL or a file) to the corpus as Markdown."""
    from index.ingest import add

    report = add(target, corpus_dir)
    for item in report.added:
        a = item.article
        meta = " · ".join(x for x in (a.source, a.date) if x)
        click.echo(f"added {item.path}: {a.title or '(untitled)'}" + (f" [{meta}]" if meta else ""))
    for p in report.problems:
        click.echo(f"revue: {p.origin}: {p.reason}", err=True)
    if not report.added:
        fail("nothing was added")
    click.echo(
        f"{len(report.added)} article(s) added to {corpus_dir}; "
        "run `revue index` (or /reindex) to make them searchable"
    )


# -- ask / search -----------------------------------------------------------------------------
@cli.command("ask")
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option(
    "--k", default=10, show_default=True, type=click.IntRange(1, 100), help="Passages to consider."
)
@click.option(
    "--batch",
    type=click.Path(path_type=Path),
    help="JSON Lines file of {id, question}; one JSON answer per line.",
)
@click.pass_context
def ask_cmd(
    ctx: click.Context, question: str | None, as_json: bool, k: int, batch: Path | None
) -> None:
    """Answer QUESTION with numbered verbatim quotes, or decline."""
    engine = _engine(ctx)
    if batch is not None:
        run_batch(batch, "question", lambda qid, q: answer_json(engine.ask(q, k=k), qid))
        return
    if question is None:
        fail("give a QUESTION or --batch FILE")
    answer = engine.ask(question or "", k=k)
    click.echo(
        json.dumps(answer_json(answer), ensure_ascii=False) if as_json else render_answer(answer)
    )


@cli.command("search")
@click.argument("query", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "keyword"]),
    default="hybrid",
    show_default=True,
    help="Retrieval: fused, FAISS only, or BM25 only.",
)
@click.option(
    "--batch",
    type=click.Path(path_type=Path),
    help="JSON Lines file of {id, query}; one JSON line of hits per input line.",
)
@click.pass_context
def search_cmd(
    ctx: click.Context, query: str | None, as_json: bool, k: int, mode: str, batch: Path | None
) -> None:
    """Show the passages that best match QUERY, best first."""
    engine = _engine(ctx)
    if batch is not None:
        run_batch(batch, "query", lambda qid, q: hits_json(engine.search(q, k=k, mode=mode), qid))
        return
    if query is None:
        fail("give a QUERY or --batch FILE")
    hits = engine.search(query or "", k=k, mode=mode)
    if as_json:
        click.echo(json.dumps(hits_json(hits, None, query), ensure_ascii=False))
        return
    for n, h in enumerate(hits, 1):
        snippet = " ".join(h.text.split())
        click.echo(f"{n:>2}. {h.article_id} [{h.start}:{h.end}] {h.score:.4f}\n    {snippet[:240]}")


@cli.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per article.")
@click.pass_context
def sources_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the indexed articles; wire copies are shown under the first publication."""
    for a in _engine(ctx).sources():
        if as_json:
            click.echo(json.dumps(asdict(a), ensure_ascii=False))
        else:
            meta = " · ".join(x for x in (a.source, a.date) if x)
            click.echo(
                f"{a.id}  {a.title or '(untitled)'}  [{meta}] {a.chunks} chunks"
                + (f"\n    {a.url}" if a.url else "")
                + (f"\n    also in: {copies_line(a.copies)}" if a.copies else "")
            )


# -- eval -------------------------------------------------------------------------------------
@cli.command("eval")
@click.argument("questions", type=click.Path(path_type=Path))
@corpus_option
@click.option("--json", "as_json", is_flag=True, help="Print per-question results as JSON lines.")
@click.pass_context
def eval_cmd(ctx: click.Context, questions: Path, corpus: tuple[Path, ...], as_json: bool) -> None:
    """Score a question set (seed_questions.jsonl format) against the index or --corpus."""
    from index.evaluation import evaluate, load_questions

    if not questions.is_file():
        raise CorpusPathError(f"question file not found: {questions}")
    engine = _engine(ctx)
    if corpus:
        engine = engine.scratch_for(corpus)
        do_index(engine, corpus)
    report = evaluate(engine, load_questions(questions))
    for r in report.results:
        if as_json:
            click.echo(json.dumps(asdict(r), ensure_ascii=False))
        else:
            status = "ok  " if r.passed else "FAIL"
            click.echo(f"{status} {r.id}: {r.question} -> {r.detail}")
    click.echo(report.summary())


# -- run (make run) ---------------------------------------------------------------------------
@cli.command("run")
@corpus_option
@click.pass_context
def run_cmd(ctx: click.Context, corpus: tuple[Path, ...]) -> None:
    """Index the corpus if needed, then answer questions typed at the prompt."""
    engine = _engine(ctx)
    do_index(engine, corpus)
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo("Ask a question about the coverage (Ctrl-D to quit).")
    while True:
        try:
            line = input("? " if interactive else "")
        except EOFError:
            break
        if not line.strip():
            continue
        if not interactive:
            click.echo(f"? {line}")
        try:
            click.echo(render_answer(engine.ask(line)) + "\n")
        except RevueError as exc:
            click.echo(f"revue: {exc}", err=True)


@cli.command("model")
def model_cmd() -> None:
    """Build (once) and show the default embedding model folder."""
    from index.e5model import materialise

    click.echo(materialise())


def main() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, format="revue: %(message)s")
    cli(prog_name="revue")


if __name__ == "__main__":
    main()
