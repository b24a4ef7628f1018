"""Waiting for the bot to be done with what a test sent, instead of for a fixed time.

discord.py runs each listener of an event (``on_message``, ``on_interaction``) as a task named
``discord.py: <event>``, a slash command as a ``CommandTree-invoker`` task and a button press as a
``discord-ui-view-dispatch-…`` task; Revue's answers (the desk's workers, the written answer) are
awaited inside them, and what a command sets off to run on (a reindex, the first poll of a followed
feed) is a task named ``revue-reindex`` or ``revue-feed-poll``. So once the bot has received a
message, and no such task is left, everything the message set off is done and every reply to it has
reached the fake Discord. A test can then say "no (second) reply came" without sleeping and hoping,
and a missing reply is a fact, not a slow machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

import discord

from tests.deadlines import HANG

HANDLERS = (
    "discord.py: ",
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "revue-reindex",
    "revue-feed-poll",
)


class Settle:
    """``settle = Settle(bot)``, then ``await settle(message_id, …)`` after sending them."""

    def __init__(self, bot: discord.Client) -> None:
        self.received: set[int] = set()
        bot.add_listener(self._message, "on_message")
        bot.add_listener(self._interaction, "on_interaction")

    async def _message(self, message: discord.Message) -> None:
        self.received.add(message.id)

    async def _interaction(self, interaction: discord.Interaction) -> None:
        self.received.add(interaction.id)

    async def __call__(self, *ids: int | str, timeout: float = HANG) -> None:
        """Until the bot has received each of ``ids`` (messages or interactions) and has no
        handler left running; AssertionError after ``timeout`` seconds (a hang)."""
        wanted = {int(i) for i in ids}
        deadline = time.monotonic() + timeout
        while not (wanted <= self.received and not handling()):
            if time.monotonic() > deadline:
                missing = sorted(wanted - self.received)
                raise AssertionError(
                    f"not settled in {timeout:.0f} s: never received {missing}; "
                    f"still running {sorted(running_handlers())}"
                )
            await asyncio.sleep(0.005)


def running_handlers() -> Iterable[str]:
    me = asyncio.current_task()
    for task in asyncio.all_tasks():
        if task is not me and not task.done() and task.get_name().startswith(HANDLERS):
            yield task.get_name()


def handling() -> bool:
    """Whether the bot on this loop is still running a handler of an event."""
    return any(True for _ in running_handlers())


async def until(check: Callable[[], object], what: str, timeout: float = HANG) -> None:
    """Until ``check()`` is true; AssertionError naming ``what`` after ``timeout`` s (a hang)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not in {timeout:.0f} s: {what}")
        await asyncio.sleep(0.01)
