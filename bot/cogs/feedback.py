"""Feedback: the 👍/👎 votes under answers (``bot.votes``), one per user per answer, kept in
``state.db`` through the bot's answer log. The buttons are dynamic items: registered here, they
answer clicks on any answer ever sent, across restarts."""

from __future__ import annotations

from bot.client import RevueBot
from bot.votes import VoteButton


async def setup(bot: RevueBot) -> None:
    bot.add_dynamic_items(VoteButton)


async def teardown(bot: RevueBot) -> None:
    bot.remove_dynamic_items(VoteButton)
