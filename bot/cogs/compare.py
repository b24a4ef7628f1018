"""``/compare``: each outlet's best verbatim quote on a question, side by side, and the outlets
whose articles say nothing on it."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown

from bot.client import RevueBot
from bot.filters import SINCE, UNTIL
from bot.render import NO_PINGS, citation_embeds, trim
from index.records import Comparison
from index.search.filters import parse_filters

SILENT_CHARS = 900  # the silent outlets' names, within the 2,000 characters of a message


def silent_line(c: Comparison) -> str:
    if not c.silent:
        return ""
    names = escape_markdown(", ".join(c.silent))
    return trim(f"Nothing on it from {len(c.silent)} outlets: {names}", SILENT_CHARS)


def comparison_reply(c: Comparison) -> tuple[str, list[discord.Embed]]:
    """The lead and silent outlets as content; each outlet's quote as an embed field."""
    question = escape_markdown(trim(c.question, 300))
    if not c.quotes:
        return f"No outlet's articles answer “{question}”.", []
    scope = f" (only articles {c.filters.describe()})" if c.filters else ""
    n = len(c.quotes)
    lead = f"“{question}”: {n} outlet{'' if n == 1 else 's'} quoted{scope}."
    # One field per outlet (its name and date, the title linked, the quote), within 6,000.
    return "\n".join(x for x in (lead, silent_line(c)) if x), citation_embeds(c.quotes)


class CompareCog(commands.Cog, name="Compare"):
    """Outlets side by side on one question."""

    def __init__(self, bot: RevueBot) -> None:
        self.bot = bot

    @app_commands.command(name="compare")
    @app_commands.describe(
        question="What to compare the outlets on, e.g. Que dit Macron sur les retraites ?",
        since=SINCE,
        until=UNTIL,
    )
    async def compare(
        self,
        interaction: discord.Interaction,
        question: str,
        since: str | None = None,
        until: str | None = None,
    ) -> None:
        """Each outlet's best quote on a question, side by side, and who does not cover it."""
        self.bot.engine.check_question(question)
        filters = parse_filters(None, since, until)
        c = await self.bot.deferred(interaction, lambda: self.bot.engine.compare(question, filters))
        content, embeds = comparison_reply(c)
        await interaction.followup.send(content, embeds=embeds, allowed_mentions=NO_PINGS)


async def setup(bot: RevueBot) -> None:
    await bot.add_cog(CompareCog(bot))
