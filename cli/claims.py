"""``revue check``: what the coverage says about a claim, outlet by outlet (supports it,
contradicts it, or does not say), each verdict with its verbatim quote."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Any

import click

from cli.common import date_options, engine_of
from cli.output import citation_lines, echo_json, outlet_list
from index.records import ClaimCheck, ClaimLabel, Verdict
from index.search.filters import parse_filters

LABELS: dict[ClaimLabel, str] = {
    "supports": "supports it",
    "contradicts": "contradicts it",
    "not_said": "does not say",
}


def check_json(c: ClaimCheck) -> dict[str, Any]:
    return {
        "claim": c.claim,
        "verdicts": [
            {
                "outlet": v.outlet,
                "label": v.label,
                "confidence": v.confidence,
                "reason": v.reason,
                "citation": asdict(v.citation),
            }
            for v in c.verdicts
        ],
        "unjudged": list(c.unjudged),
        "silent": list(c.silent),
        "limit": c.limit,
        "model": c.model,
        "seconds": c.seconds,
        "filters": asdict(c.filters),
    }


def verdict_lines(v: Verdict) -> list[str]:
    lines = citation_lines(v.citation, f"{LABELS[v.label]} ({v.confidence:.2f})")
    return [*lines, f"    why: {v.reason}"]


def render_check(c: ClaimCheck) -> str:
    if not c.verdicts:
        return f"No outlet's articles have a passage on “{c.claim}”."
    tally = ", ".join(f"{c.count(label)} {LABELS[label]}" for label in LABELS)
    lines = [f"“{c.claim}”: {len(c.verdicts)} outlets judged: {tally}"]
    if c.filters:
        lines.append(f"(only articles {c.filters.describe()})")
    for v in c.verdicts:
        lines += verdict_lines(v)
    lines.append("")
    if c.unjudged:
        lines.append(
            f"Not judged (the model reads the {c.limit} outlets with the closest passages): "
            f"{outlet_list(c.unjudged)}"
        )
    if c.silent:
        lines.append(f"Nothing on it from {len(c.silent)} outlets: {outlet_list(c.silent)}")
    lines.append(f"Judged by {c.model} in {c.seconds:.0f} s; read the quotes.")
    return "\n".join(lines)


@click.command("check")
@click.argument("claim")
@date_options
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@click.pass_context
def check_cmd(
    ctx: click.Context, claim: str, since: str | None, until: str | None, as_json: bool
) -> None:
    """What the coverage says about CLAIM, outlet by outlet: supports it, contradicts it, or does
    not say, each with its verbatim quote. Needs the language model (slow: seconds an outlet)."""

    def progress(v: Verdict, done: int, total: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"judged {done}/{total}: {v.outlet}: {LABELS[v.label]}", err=True)

    c = engine_of(ctx).check(claim, parse_filters(None, since, until), progress)
    if as_json:
        echo_json(check_json(c))
    else:
        click.echo(render_check(c))
