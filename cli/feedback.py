"""``revue feedback``: the votes users left under the bot's answers, and 👎 answers as questions
for ``revue eval``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from cli.common import engine_of
from cli.output import echo_json
from index.conversation import eval_lines
from index.records import Feedback

EMOJI = {"up": "👍", "down": "👎"}


def feedback_json(f: Feedback) -> dict[str, Any]:
    return {"vote": f.vote, "user_id": f.user_id, "voted_at": f.voted_at, **_answer(f)}


def _answer(f: Feedback) -> dict[str, Any]:
    a = f.answer
    return {
        "answer_id": a.id,
        "question": a.question,
        "asked": a.asked,
        "answer": a.answer,
        "abstained": a.abstained,
        "citations": [asdict(c) for c in a.citations],
        "previous_id": a.previous_id,
        "channel_id": a.channel_id,
        "message_id": a.message_id,
    }


def render_feedback(f: Feedback) -> str:
    a = f.answer
    asked = f" (asked as: {a.asked})" if a.asked != a.question else ""
    cited = "; ".join(f"[{c.n}] {c.byline or c.article_id}" for c in a.citations)
    return (
        f"{EMOJI[f.vote]} answer {a.id} · user {f.user_id} · {f.voted_at}\n"
        f"  Q: {a.question}{asked}\n  cited: {cited or 'nothing (declined)'}"
    )


@click.command("feedback")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per vote.")
@click.option(
    "--down", "only_down", is_flag=True, help="Only the 👎 votes (answers users found unhelpful)."
)
@click.option(
    "--export",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write each 👎 answer's question to this JSON Lines file, in `revue eval`'s format, "
    "for a maintainer to complete (fill 'evidence', or set 'answerable' to false).",
)
@click.pass_context
def feedback_cmd(ctx: click.Context, as_json: bool, only_down: bool, export: Path | None) -> None:
    """List the 👍/👎 votes left under the bot's answers, latest first."""
    answers = engine_of(ctx).answers()
    try:
        votes = answers.feedback("down" if only_down or export else None)
    finally:
        answers.close()
    if export is not None:
        lines = eval_lines(votes)
        export.write_text(
            "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8"
        )
        click.echo(
            f"{len(lines)} question{'' if len(lines) == 1 else 's'} written to {export}: "
            "fill in each one's 'evidence' (or set 'answerable' to false), delete its 'todo', "
            "then add it to a question set for `revue eval`",
            err=True,
        )
        return
    for f in votes:
        if as_json:
            echo_json(feedback_json(f))
        else:
            click.echo(render_feedback(f))
    if not votes and not as_json:
        click.echo("No votes yet.", err=True)
