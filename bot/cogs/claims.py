"""``/check``: what the coverage says about a claim, outlet by outlet (supports it, contradicts
it, or does not say), each verdict with its verbatim quote. The language model judges each
outlet in turn (seconds each), so the command is deferred and its message edited as the
outlets are judged."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown

from bot.client import RevueBot
from bot.filters import SINCE, UNTIL
from bot.render import NO_PINGS, citation_embeds, trim
from index.records import ClaimCheck, ClaimLabel, Verdict
from index.search.filters import parse_filters

LABELS: dict[ClaimLabel, str] = {
    "supports": "supports it",
    "contradicts": "contradicts it",
    "not_said": "does not say",
}
CONTENT_CHARS = 1900  # within Discord's 2,000 characters of a message


def verdict_line(v: Verdict) -> str:
    outlet = escape_markdown(trim(v.outlet, 80))
    return f"[{v.citation.n}] {outlet}: **{LABELS[v.label]}** ({v.confidence:.2f})"


def progress_text(claim: str, heard: list[tuple[Verdict, int, int]]) -> str:
    """The message while the outlets are judged: the verdicts so far."""
    quoted = escape_markdown(trim(claim, 300))
    if not heard:
        return f"Checking “{quoted}”: searching the coverage…"
    done, total = heard[-1][1], heard[-1][2]
    lines = [f"Checking “{quoted}”: {done}/{total} outlets judged…"]
    lines += [verdict_line(v) for v, _, _ in heard]
    return trim("\n".join(lines), CONTENT_CHARS)


def check_reply(c: ClaimCheck) -> tuple[str, list[discord.Embed]]:
    """The verdicts as content, each outlet's quote as an embed field."""
    claim = escape_markdown(trim(c.claim, 300))
    if not c.verdicts:
        return f"No outlet's articles have a passage on “{claim}”.", []
    scope = f" (only articles {c.filters.describe()})" if c.filters else ""
    lines = [f"“{claim}”: {len(c.verdicts)} outlets judged{scope}."]
    lines += [verdict_line(v) for v in c.verdicts]
    if c.unjudged:
        lines.append(
            f"Not judged: {len(c.unjudged)} more outlets (the model reads the {c.limit} with "
            "the closest passages)."
        )
    if c.silent:
        lines.append(f"Nothing on it from {len(c.silent)} outlets.")
    lines.append("Judged by a small language model: read the quotes.")
    return trim("\n".join(lines), CONTENT_CHARS), citation_embeds([v.citation for v in c.verdicts])


class CheckCog(commands.Cog, name="Check"):
    """A claim against each outlet's coverage."""

    def __init__(self, bot: RevueBot) -> None:
        self.bot = bot

    @app_commands.command(name="check")
    @app_commands.describe(
        claim="The claim to check, e.g. Gemini a 650 millions d'utilisateurs mensuels",
        since=SINCE,
        until=UNTIL,
    )
    async def check(
        self,
        interaction: discord.Interaction,
        claim: str,
        since: str | None = None,
        until: str | None = None,
    ) -> None:
        """Whether each outlet's coverage supports a claim, contradicts it, or does not say."""
        engine = self.bot.engine
        engine.check_question(claim)
        filters = parse_filters(None, since, until)
        loop = asyncio.get_running_loop()
        heard: list[tuple[Verdict, int, int]] = []

        def on_verdict(v: Verdict, done: int, total: int) -> None:
            loop.call_soon_threadsafe(heard.append, (v, done, total))

        work = asyncio.ensure_future(
            self.bot.deferred(
                interaction,
                lambda: engine.check(claim, filters, on_verdict),
                stage="check",
            )
        )
        shown = 0
        while not work.done():
            await asyncio.wait({work}, timeout=self.bot.settings.progress_interval)
            if not work.done() and len(heard) != shown and interaction.response.is_done():
                shown = len(heard)
                await self._edit(interaction, progress_text(claim, heard))
        content, embeds = check_reply(work.result())
        await self._edit(interaction, content, embeds)

    async def _edit(
        self,
        interaction: discord.Interaction,
        content: str,
        embeds: list[discord.Embed] | None = None,
    ) -> None:
        await interaction.edit_original_response(
            content=content, embeds=embeds or [], allowed_mentions=NO_PINGS
        )


async def setup(bot: RevueBot) -> None:
    await bot.add_cog(CheckCog(bot))
