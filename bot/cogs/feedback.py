"""Feedback: the 👍/👎 votes under answers (``bot.votes``), one per user per answer, kept in
``state.db`` through the engine's answer log."""

from __future__ import annotations

from discord.ext import commands

from bot.client import RevueBot
from bot.conversation import Answers
from bot.votes import VoteButton


class Feedback(commands.Cog):
    """Votes on answers: one per user per answer, a second click changes it."""

    def __init__(self, bot: RevueBot) -> None:
        self.bot = bot
        self.answers = Answers(bot.engine)  # the vote buttons record through it

    async def cog_unload(self) -> None:
        self.answers.close()


async def setup(bot: RevueBot) -> None:
    bot.add_dynamic_items(VoteButton)
    await bot.add_cog(Feedback(bot))


async def teardown(bot: RevueBot) -> None:
    bot.remove_dynamic_items(VoteButton)
