"""``/timeline``: how many articles match a topic per day, week or month and per outlet, as a
chart, with the first and the latest matching article linked."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown

from bot.client import RevueBot
from bot.filters import OUTLET, SINCE, UNTIL, outlet_choices
from bot.render import COLOUR, DESCRIPTION_LIMIT, NO_PINGS, TITLE_LIMIT, linked, trim
from index.coverage.chart import png
from index.records import Filters, Matched, Timeline, Unit
from index.search.filters import parse_filters

CHART = "timeline.png"
UNITS = [app_commands.Choice(name=u, value=u) for u in ("day", "week", "month")]


def nothing_matches(topic: str, filters: Filters) -> str:
    scope = f" among the articles {filters.describe()}" if filters else ""
    return f"No article matches “{topic}”{scope}: try other words, or the corpus's language."


def article_line(what: str, m: Matched) -> str:
    title = escape_markdown(trim(m.title or m.article_id, 200))
    return f"{what}: {linked(title, m.url)} — {escape_markdown(m.byline)}"


def timeline_embed(t: Timeline) -> discord.Embed:
    """The counts in words, the first and latest article linked, and the chart below."""
    lines = [
        f"**{t.matched}** matching articles from {len(t.outlets)} outlets, per {t.unit}: "
        f"{t.by_words} holding every word of the topic, {t.by_meaning} more by meaning.",
    ]
    if t.filters:
        lines.append(f"Only articles {escape_markdown(t.filters.describe())}.")
    if t.undated:
        lines.append(f"{t.undated} undated, not in the chart.")
    if t.first and t.latest:
        lines += [article_line("First", t.first), article_line("Latest", t.latest)]
    embed = discord.Embed(
        title=trim(f"Timeline: {t.topic}", TITLE_LIMIT),
        description=trim("\n".join(lines), DESCRIPTION_LIMIT),
        colour=COLOUR,
    )
    return embed.set_image(url=f"attachment://{CHART}")


class TimelineCog(commands.Cog, name="Timeline"):
    """Coverage of a topic over time, per outlet, as a chart."""

    def __init__(self, bot: RevueBot) -> None:
        self.bot = bot

    @app_commands.command(name="timeline")
    @app_commands.describe(
        topic="What to count, e.g. grève, coronavirus, Macron retraites",
        outlet=OUTLET,
        since=SINCE,
        until=UNTIL,
        unit="Count per day, week or month (by default: whichever suits the span)",
    )
    @app_commands.choices(unit=UNITS)
    async def timeline(  # noqa: PLR0913 - one parameter per documented option
        self,
        interaction: discord.Interaction,
        topic: str,
        outlet: str | None = None,
        since: str | None = None,
        until: str | None = None,
        unit: app_commands.Choice[str] | None = None,
    ) -> None:
        """Chart how many articles match a topic per day or week, per outlet."""
        self.bot.engine.check_question(topic)
        filters = parse_filters(outlet, since, until)
        forced: Unit | None = unit.value if unit else None  # type: ignore[assignment]

        def count_and_draw() -> tuple[Timeline, bytes | None]:
            t = self.bot.engine.timeline(topic, filters, forced)
            return t, png(t) if t.periods else None

        t, image = await self.bot.deferred(interaction, count_and_draw)
        if image is None:
            text = nothing_matches(t.topic, filters)
            await interaction.followup.send(text, allowed_mentions=NO_PINGS)
            return
        chart = discord.File(io.BytesIO(image), filename=CHART)
        await interaction.followup.send(
            embed=timeline_embed(t), file=chart, allowed_mentions=NO_PINGS
        )

    @timeline.autocomplete("outlet")
    async def outlet_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The index's outlets whose names hold what was typed, largest first (25 at most)."""
        return await outlet_choices(self.bot, current)


async def setup(bot: RevueBot) -> None:
    await bot.add_cog(TimelineCog(bot))
