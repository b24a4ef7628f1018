"""Running the bot until it is told to stop; what can go wrong on the way is ``CannotServe``.

The command line calls ``serve_forever``; this module never imports the command line.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

import discord

from bot.client import make_bot
from bot.metrics import MetricsUnavailable

if TYPE_CHECKING:
    from bot.settings import BotSettings
    from index.engine import Revue

log = logging.getLogger(__name__)

INTENT_HELP = (
    "Discord refused the message-content intent: enable “Message Content Intent” for this "
    "application in the Developer Portal (Bot page), then start the bot again."
)
BAD_TOKEN = "Discord rejected DISCORD_TOKEN: copy the token again from the Bot page."


class CannotServe(Exception):
    """The bot could not log in or stay connected; the message says why, for a person."""


async def serve(engine: Revue, settings: BotSettings, **options: Any) -> None:
    """Run the bot until it is closed; SIGINT and SIGTERM close it cleanly."""
    bot = make_bot(engine, settings, **options)
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
            await bot.start(settings.secret() or "")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if closing:
            await closing[0]


def serve_forever(engine: Revue, settings: BotSettings) -> None:
    """Serve in the foreground until a signal; Discord's refusals become ``CannotServe``."""
    try:
        asyncio.run(serve(engine, settings))
    except discord.PrivilegedIntentsRequired:
        raise CannotServe(INTENT_HELP) from None
    except discord.LoginFailure:
        raise CannotServe(BAD_TOKEN) from None
    except MetricsUnavailable as exc:
        raise CannotServe(str(exc)) from None
    except (discord.GatewayNotFound, discord.ConnectionClosed, OSError) as exc:
        reason = f"{exc.__class__.__name__}: {exc}"
        raise CannotServe(f"could not stay connected to Discord ({reason})") from None


def unfinished_work(grace: float = 2.0) -> list[str]:
    """The bot's worker threads still busy ``grace`` seconds after it closed: an answer being
    read or written by the language model, which cannot be interrupted (10 to 25 s on 2 cores,
    longer with a slow endpoint). Python would wait for them at exit, past `docker stop`'s 10 s,
    and the container would be killed instead of exiting."""
    deadline = time.monotonic() + grace
    for thread in _workers():
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t.name for t in _workers()]


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("revue-") and t.is_alive()]
