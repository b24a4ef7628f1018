"""Building the index: ``revue index``, ``revue add``, ``revue eval``."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from cli.common import DEFAULT_CORPUS, corpus_option, do_index, engine_of
from cli.output import Bars, echo_json, fail
from index.errors import CorpusPathError


@click.command("index")
@corpus_option
@click.pass_context
def index_cmd(ctx: click.Context, corpus: tuple[Path, ...]) -> None:
    """Index the corpus (default: corpus/); only new or changed articles are embedded."""
    do_index(engine_of(ctx), corpus)


@click.command("add")
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
    from index.ingest.web import add

    report = add(target, corpus_dir)
    for item in report.added:
        a = item.article
        click.echo(
            f"added {item.path}: {a.title or '(untitled)'}" + (f" [{a.byline}]" if a.byline else "")
        )
    for p in report.problems:
        click.echo(f"revue: {p.origin}: {p.reason}", err=True)
    if not report.added:
        fail("nothing was added")
    click.echo(
        f"{len(report.added)} article(s) added to {corpus_dir}; "
        "run `revue index` (or /reindex) to make them searchable"
    )


@click.command("eval")
@click.argument("questions", type=click.Path(path_type=Path))
@corpus_option
@click.option("--json", "as_json", is_flag=True, help="Print per-question results as JSON lines.")
@click.pass_context
def eval_cmd(ctx: click.Context, questions: Path, corpus: tuple[Path, ...], as_json: bool) -> None:
    """Score a question set (seed_questions.jsonl format) against the index or --corpus."""
    from index.evaluation import evaluate, load_questions

    if not questions.is_file():
        raise CorpusPathError(f"question file not found: {questions}")
    engine = engine_of(ctx)
    if corpus:
        engine = engine.scratch_for(corpus)
        do_index(engine, corpus)
    report = evaluate(engine, load_questions(questions))
    for r in report.results:
        if as_json:
            echo_json(asdict(r))
        else:
            click.echo(f"{'ok  ' if r.passed else 'FAIL'} {r.id}: {r.question} -> {r.detail}")
    click.echo(report.summary())


@click.command("migrate")
@click.option(
    "--to",
    "url",
    required=True,
    metavar="postgresql://…",
    help="The PostgreSQL database (with pgvector) to copy the index into.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was copied as JSON.")
@click.pass_context
def migrate_cmd(ctx: click.Context, url: str, as_json: bool) -> None:
    """Copy the index in the data directory into PostgreSQL, vectors included: nothing is
    embedded again. Run it again after an interruption: it goes on where it stopped. Then set
    REVUE_DATABASE_URL to the same URL."""
    bars = Bars(sys.stderr.isatty())
    try:
        report = engine_of(ctx).migrate_to(url, lambda done, total: bars("copy", done, total))
    finally:
        bars.close()
    if as_json:
        echo_json(asdict(report))
        return
    state = ", ".join(f"{n:,} {table.replace('_', ' ')}" for table, n in report.state.items())
    click.echo(
        f"copied {report.copied:,} article(s) to {report.target}"
        + (f" ({report.resumed:,} staged by an interrupted run)" if report.resumed else "")
        + f"; {report.unchanged:,} already there, {report.removed:,} removed; "
        f"the database now holds {report.articles:,} articles and {report.chunks:,} chunks "
        f"with their vectors (dimension {report.dim}), nothing embedded again"
        + (f"; from state.db: {state}" if state else "")
        + f"; in {report.seconds:.1f} s. Set REVUE_DATABASE_URL to use it."
    )
