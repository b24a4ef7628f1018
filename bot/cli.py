"""``revue``: the engine's commands plus ``revue bot``; ``revue run`` starts the bot when it can."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

import click

from index.cli import cli, corpus_option, do_index
from index.cli import run_cmd as prompt_cmd
from index.cli_output import fail

log = logging.getLogger("bot")

INTENT_HELP = (
    "Discord refused the message-content intent: enable “Message Content Intent” for this "
    "application in the Developer Portal (Bot page), then start the bot again."
)


async def serve(engine: Any, settings: Any, **options: Any) -> None:
    """Run the bot until it is closed; SIGINT and SIGTERM close it cleanly."""
    from bot.client import RevueBot

    bot = RevueBot(engine, settings, **options)
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []

    def stop(signame: str) -> None:
        log.info("%s received: closing", signame)
        if not closing:
            closing.append(loop.create_task(bot.close()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig.name)
    try:
        async with bot:
            await bot.start(settings.secret())
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if closing:
            await closing[0]


def start_bot(engine: Any, settings: Any) -> None:
    """Start the bot in the foreground; errors become one sentence and exit code 1."""
    import discord

    discord.utils.setup_logging(level=logging.INFO)
    try:
        asyncio.run(serve(engine, settings))
    except discord.PrivilegedIntentsRequired:
        fail(INTENT_HELP)
    except discord.LoginFailure:
        fail("Discord rejected DISCORD_TOKEN: copy the token again from the Bot page.")
    except (discord.GatewayNotFound, discord.ConnectionClosed, OSError) as exc:
        fail(f"could not stay connected to Discord ({exc.__class__.__name__}: {exc})")


def _settings() -> Any:
    from bot.settings import BotSettings

    return BotSettings()


def _engine(ctx: click.Context) -> Any:
    from index.engine import Revue
    from index.settings import Settings

    if ctx.obj is None:
        ctx.obj = Revue(Settings())
    return ctx.obj


@cli.command("bot")
@click.pass_context
def bot_cmd(ctx: click.Context) -> None:
    """Answer questions in Discord (needs DISCORD_TOKEN)."""
    settings = _settings()
    if not settings.secret():
        fail("DISCORD_TOKEN is not set (environment or .env): see “Run it in your server”.")
    start_bot(_engine(ctx), settings)


@cli.command("run")
@corpus_option
@click.pass_context
def run_cmd(ctx: click.Context, corpus: tuple[Path, ...]) -> None:
    """Index the corpus if needed, then answer in Discord (with DISCORD_TOKEN) or at a prompt."""
    settings = _settings()
    if not settings.secret():
        click.echo("revue: DISCORD_TOKEN is not set, so answering at this prompt.", err=True)
        ctx.invoke(prompt_cmd, corpus=corpus)
        return
    engine = _engine(ctx)
    do_index(engine, corpus or tuple(settings.corpus))
    start_bot(engine, settings)


def main() -> None:
    cli(prog_name="revue")


if __name__ == "__main__":
    main()
