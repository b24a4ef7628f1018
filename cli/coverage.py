"""Coverage: ``revue timeline`` (matching articles per period and outlet, with a PNG chart) and
``revue compare`` (each outlet's best quote on a question, and the silent ones)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from cli.common import date_options, engine_of, filter_options
from cli.output import citation_lines, echo_json, outlet_list
from index.records import Comparison, Filters, Matched, Timeline, Unit, byline
from index.search.filters import parse_filters


def timeline_json(t: Timeline) -> dict[str, Any]:
    return {
        "topic": t.topic,
        "unit": t.unit,
        "matched": t.matched,
        "by_words": t.by_words,
        "by_meaning": t.by_meaning,
        "undated": t.undated,
        "periods": [
            {"start": p.start, "total": p.total, "outlets": dict(p.counts)} for p in t.periods
        ],
        "outlets": dict(t.outlets),
        "first": asdict(t.first) if t.first else None,
        "latest": asdict(t.latest) if t.latest else None,
        "filters": asdict(t.filters),
    }


def nothing_matches(topic: str, filters: Filters) -> str:
    scope = f" among the articles {filters.describe()}" if filters else ""
    return f"No article matches “{topic}”{scope}: try other words, or the corpus's language."


def article_line(what: str, m: Matched) -> str:
    line = f"{what}: {byline(m.date, m.source)} — {m.title or m.article_id}"
    return line + (f"\n    {m.url}" if m.url else "")


def render_timeline(t: Timeline) -> str:
    ways = f"{t.by_words} holding every word, {t.by_meaning} more by meaning"
    lines = [f"“{t.topic}”: {t.matched} matching articles ({ways}), per {t.unit}"]
    if t.filters:
        lines.append(f"(only articles {t.filters.describe()})")
    if t.undated:
        lines.append(f"({t.undated} undated, not in the timeline)")
    lines.append("")
    for p in t.periods:
        if p.total:
            top = ", ".join(f"{name} {n}" for name, n in p.counts[:3])
            more = f", +{len(p.counts) - 3} outlets" if len(p.counts) > 3 else ""
            lines.append(f"{p.start}  {p.total:>4}  {top}{more}")
    if t.first and t.latest:
        lines += ["", article_line("first", t.first), article_line("latest", t.latest)]
    return "\n".join(lines)


@click.command("timeline")
@click.argument("topic")
@click.option(
    "--unit",
    type=click.Choice(["auto", "day", "week", "month"]),
    default="auto",
    show_default=True,
    help="Period of the counts; auto: days up to two months, weeks up to two years, else months.",
)
@click.option("--chart", type=click.Path(path_type=Path), help="Write the chart to this PNG.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@filter_options
@click.pass_context
def timeline_cmd(  # noqa: PLR0913 - one parameter per documented option
    ctx: click.Context, topic: str, unit: str, chart: Path | None, as_json: bool, filters: Filters
) -> None:
    """How many articles match TOPIC per day, week or month, per outlet, with the first and the
    latest; an article matches when a passage holds every word of TOPIC, or means it closely."""
    forced: Unit | None = None if unit == "auto" else unit  # type: ignore[assignment]
    t = engine_of(ctx).timeline(topic, filters, forced)
    if chart is not None and t.periods:
        from index.coverage.chart import png  # matplotlib: imported only when drawing

        chart.write_bytes(png(t))
    if as_json:
        echo_json(timeline_json(t))
    elif not t.matched:
        click.echo(nothing_matches(t.topic, filters))
    else:
        click.echo(render_timeline(t) + (f"\n\nchart: {chart}" if chart and t.periods else ""))


def comparison_json(c: Comparison) -> dict[str, Any]:
    return {
        "question": c.question,
        "quotes": [asdict(q) for q in c.quotes],
        "silent": list(c.silent),
        "filters": asdict(c.filters),
    }


def render_comparison(c: Comparison) -> str:
    if not c.quotes:
        return f"No outlet's articles answer “{c.question}”."
    n = len(c.quotes)
    lines = [f"“{c.question}”: {n} outlet{'' if n == 1 else 's'} quoted"]
    if c.filters:
        lines.append(f"(only articles {c.filters.describe()})")
    for q in c.quotes:
        lines += citation_lines(q)
    if c.silent:
        lines += ["", f"Nothing on it from {len(c.silent)} outlets: {outlet_list(c.silent)}"]
    return "\n".join(lines)


@click.command("compare")
@click.argument("question")
@date_options
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.pass_context
def compare_cmd(
    ctx: click.Context, question: str, since: str | None, until: str | None, as_json: bool
) -> None:
    """Each outlet's best verbatim quote on QUESTION, side by side (wire copies together), and
    the outlets whose articles say nothing on it."""
    c = engine_of(ctx).compare(question, parse_filters(None, since, until))
    if as_json:
        echo_json(comparison_json(c))
    else:
        click.echo(render_comparison(c))
