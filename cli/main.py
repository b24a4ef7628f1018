"""The ``revue`` command line: every command, listed in one place. The engine never imports it.

Errors the engine raises become one line on stderr, with what to run next, and exit code 1.
"""

from __future__ import annotations

import logging
from typing import Any

import click

from cli import asking, feedback, following, indexing, serving
from cli.claims import check_cmd
from cli.common import explain
from cli.coverage import compare_cmd, timeline_cmd
from cli.output import fail
from index.errors import RevueError

LOG_FORMAT = "revue: %(message)s"


class Group(click.Group):
    """Turns every engine error into one line on stderr (no traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RevueError as exc:
            fail(explain(exc))
        except KeyboardInterrupt:
            fail("interrupted", 130)


@click.group(cls=Group)
@click.version_option(package_name="revue-bot")
def cli() -> None:
    """Revue answers questions about news coverage with verbatim, checkable citations."""


COMMANDS = {
    "index": indexing.index_cmd,
    "add": indexing.add_cmd,
    "migrate": indexing.migrate_cmd,
    "ask": asking.ask_cmd,
    "search": asking.search_cmd,
    "sources": asking.sources_cmd,
    "timeline": timeline_cmd,
    "compare": compare_cmd,
    "check": check_cmd,
    "eval": indexing.eval_cmd,
    "feedback": feedback.feedback_cmd,
    "follow": following.follow_cmd,
    "unfollow": following.unfollow_cmd,
    "following": following.following_cmd,
    "poll": following.poll_cmd,
    "run": serving.run_cmd,
    "bot": serving.bot_cmd,
    "health": serving.health_cmd,
    "model": serving.model_cmd,
}
for name, command in COMMANDS.items():
    cli.add_command(command, name)


def main() -> None:
    """The ``revue`` entry point: logging is set up here, once, for every command."""
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    cli(prog_name="revue")


if __name__ == "__main__":
    main()
