"""``/reindex`` (admins): the incremental ``revue index`` in the background, one status message."""

from __future__ import annotations

import asyncio
import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import RevueBot
from bot.errors import NotAdmin, reindex_failure
from bot.render import NO_PINGS
from index.errors import RevueError
from index.records import Stage

log = logging.getLogger(__name__)

TOKEN_LIFETIME = 14 * 60  # interaction tokens expire after 15 minutes; then edit via the channel
STAGES: dict[Stage, str] = {
    "parse": "reading the corpus",
    "chunk": "splitting articles into passages",
    "embed": "embedding passages",
    "write": "writing the new index",
}


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server in this channel, or a user id listed in ``REVUE_ADMIN_IDS``."""
    bot = interaction.client
    assert isinstance(bot, RevueBot)
    if interaction.user.id in bot.settings.admin_ids:
        return True
    if interaction.guild is None:
        return False
    return interaction.permissions.manage_guild


def admin_only(interaction: discord.Interaction) -> bool:
    if not is_admin(interaction):
        raise NotAdmin()
    return True


class Reindex(commands.Cog):
    """Rebuilds the index from the corpus without stopping the bot."""

    def __init__(self, bot: RevueBot) -> None:
        self.bot = bot
        self.task: asyncio.Task[None] | None = None
        self.progress: tuple[Stage, int, int] | None = None
        self.status_id: int | None = None
        self.started = 0.0
        self.token_lifetime = TOKEN_LIFETIME

    @app_commands.command(name="reindex")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @app_commands.check(admin_only)
    async def reindex(self, interaction: discord.Interaction) -> None:
        """Index new and changed articles from the corpus (admins only)."""
        if self.task is not None and not self.task.done():
            await interaction.response.send_message(
                "A reindex is already running; its status message shows the progress.",
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        self.progress = None
        self.task = asyncio.create_task(self.run(interaction), name="revue-reindex")

    async def run(self, interaction: discord.Interaction) -> None:
        """Index off the event loop, editing the status message as the stages advance."""
        try:
            sent = await interaction.response.send_message(
                "Reindexing: starting…", allowed_mentions=NO_PINGS
            )
            self.status_id = sent.message_id if sent is not None else None
            self.started = time.monotonic()
            await self.edit(interaction, await self.index(interaction))
        except Exception:
            log.exception("reindex failed")
            await self.edit(interaction, "Reindex failed; the error has been logged.")

    async def index(self, interaction: discord.Interaction) -> str:
        """Run the engine's incremental indexing in a thread; the final status line."""
        loop = asyncio.get_running_loop()

        def progress(stage: Stage, done: int, total: int) -> None:
            loop.call_soon_threadsafe(setattr, self, "progress", (stage, done, total))

        paths = list(self.bot.settings.corpus)
        work = asyncio.ensure_future(
            self.bot.desk.maintain(lambda: self.bot.engine.index(paths, progress))
        )
        shown = None
        while not work.done():
            await asyncio.wait({work}, timeout=self.bot.settings.progress_interval)
            if not work.done() and self.progress is not None and self.progress != shown:
                shown = self.progress
                await self.edit(interaction, progress_line(*shown))
        try:
            summary = work.result()
        except RevueError as exc:
            log.warning("reindex failed: %s", exc)
            return f"Reindex failed: {reindex_failure(exc)}"
        log.info("reindex: %s", summary.describe())
        skipped = "".join(
            f"\n{'warning' if p.kept else 'skipped'} {p.origin}: {p.reason}"
            for p in summary.problems[:10]
        )
        return f"Reindex done: {summary.describe()}.{skipped}"[:2000]

    async def edit(self, interaction: discord.Interaction, content: str) -> None:
        """Edit the status message (through the channel once the interaction token is old)."""
        try:
            young = time.monotonic() - self.started < self.token_lifetime
            if young or self.status_id is None or interaction.channel_id is None:
                await interaction.edit_original_response(content=content, allowed_mentions=NO_PINGS)
            else:
                channel = self.bot.get_partial_messageable(interaction.channel_id)
                status = channel.get_partial_message(self.status_id)
                await status.edit(content=content, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not edit the reindex status message", exc_info=True)


def progress_line(stage: Stage, done: int, total: int) -> str:
    what = STAGES.get(stage, stage)
    return f"Reindexing: {what} ({done}/{total})…" if total else f"Reindexing: {what} ({done})…"


async def setup(bot: RevueBot) -> None:
    await bot.add_cog(Reindex(bot))
