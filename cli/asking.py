"""Asking: ``revue ask``, ``revue search``, ``revue sources``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import click

from cli.batch import run_batch
from cli.common import F, engine_of, filter_options
from cli.output import (
    answer_json,
    echo_json,
    fail,
    hits_json,
    render_answer,
    render_hits,
    render_source,
)
from index.records import Answer, Filters, Hit, SearchMode


def batch_option(key: str, out: str) -> Callable[[F], F]:
    return click.option(
        "--batch",
        type=click.Path(path_type=Path),
        help=f"JSON Lines file of {{id, {key}}}; {out}.",
    )


@click.command("ask")
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option(
    "--k", default=10, show_default=True, type=click.IntRange(1, 100), help="Passages to consider."
)
@click.option(
    "--write/--no-write",
    default=True,
    show_default=True,
    help="Add a short answer written from the quotes, where a writer is set up (REVUE_WRITER).",
)
@click.option(
    "--after",
    metavar="PREVIOUS",
    help='Read QUESTION as a follow-up of this previous question (e.g. "and Gemini?").',
)
@filter_options
@batch_option("question", "one JSON answer per line")
@click.pass_context
def ask_cmd(  # noqa: PLR0913 - one parameter per documented option
    ctx: click.Context,
    question: str | None,
    as_json: bool,
    k: int,
    write: bool,
    after: str | None,
    batch: Path | None,
    filters: Filters,
) -> None:
    """Answer QUESTION with numbered verbatim quotes (and, with a writer, a short checked
    answer in the question's language), or decline."""
    engine = engine_of(ctx)

    def ask(q: str) -> Answer:
        q = engine.standalone(after, q) if after else q
        answer = engine.ask(q, k=k, filters=filters)
        answer = engine.write(answer) if write else answer
        return engine.gloss(answer)  # quotes in the other language, translated (REVUE_GLOSS)

    if batch is not None:
        run_batch(batch, "question", lambda qid, q: answer_json(ask(q), qid))
        return
    if question is None:
        fail("give a QUESTION or --batch FILE")
    if not as_json and engine.is_indexed() and engine.reads_slowly:  # 5-20 s on 2 cores
        click.echo("Reading the best passages with the language model…", err=True)
    answer = ask(question)
    if as_json:
        echo_json(answer_json(answer))
    else:
        click.echo(render_answer(answer))


@click.command("search")
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
    "--rerank/--no-rerank",
    default=True,
    show_default=True,
    help="Let the reader reorder the best hybrid results (REVUE_RERANK of them).",
)
@filter_options
@batch_option("query", "one JSON line of hits per input line")
@click.pass_context
def search_cmd(  # noqa: PLR0913 - one parameter per documented option
    ctx: click.Context,
    query: str | None,
    as_json: bool,
    k: int,
    mode: SearchMode,
    rerank: bool,
    batch: Path | None,
    filters: Filters,
) -> None:
    """Show the passages that best match QUERY, best first."""
    engine = engine_of(ctx)

    def search(q: str) -> list[Hit]:
        return engine.search(q, k=k, mode=mode, rerank=rerank, filters=filters)

    if batch is not None:
        run_batch(batch, "query", lambda qid, q: hits_json(search(q), qid))
        return
    if query is None:
        fail("give a QUERY or --batch FILE")
    hits = search(query)
    if as_json:
        echo_json(hits_json(hits, None, query))
    elif hits:
        click.echo(render_hits(hits))


@click.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per article.")
@click.pass_context
def sources_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the indexed articles; wire copies are shown under the first publication."""
    for a in engine_of(ctx).sources():
        if as_json:
            echo_json(asdict(a))
        else:
            click.echo(render_source(a))
