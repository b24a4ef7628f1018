"""Followed feeds: ``/follow`` and ``/unfollow`` (admins), ``/following``, and the poll that
saves and indexes new entries in the background, announcing each batch in each server's news
channel."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks
from discord.utils import escape_markdown

from bot.client import RevueBot
from bot.cogs.reindex import admin_only
from bot.render import CONTENT_LIMIT, NO_PINGS, linked, trim
from index.errors import PollingElsewhere
from index.following import FeedStatus, PollReport
from index.storage.states import FIRST_RETRY

log = logging.getLogger(__name__)


def announcement(report: PollReport) -> str | None:
    """One short message for a batch of new articles (None when there are none)."""
    added = report.added
    if not added:
        return None
    head = f"📰 {len(added)} new article{'s' if len(added) != 1 else ''} in the coverage:"
    lines = [head]
    for item in added:
        a = item.article
        title = escape_markdown(" ".join((a.title or item.path.stem).split()))
        title = trim(title.replace("[", "(").replace("]", ")"), 150)
        outlet = f" — {escape_markdown(a.source)}" if a.source else ""
        line = f"• {linked(title, a.url)}{outlet}"
        if sum(len(x) + 1 for x in lines) + len(line) > CONTENT_LIMIT - 40:
            lines.append(f"… and {len(added) - len(lines) + 1} more (`/sources`)")
            break
        lines.append(line)
    return "\n".join(lines)


def _when(moment: dt.datetime | None) -> str:
    return discord.utils.format_dt(moment, "R") if moment else "never"


def feed_line(feed: FeedStatus) -> str:
    name = escape_markdown(feed.title or feed.url)
    line = f"• {linked(name, feed.url)}: {feed.saved} saved, last read {_when(feed.ok_at)}"
    if feed.failures:
        error = escape_markdown(trim(feed.error or "", 200))
        line += (
            f"\n  ⚠️ failing ({feed.failures} in a row: {error}); next try {_when(feed.retry_at)}"
        )
    return trim(line, 600)


class Feeds(commands.Cog):
    """Keeps the coverage current from the feeds admins follow."""

    def __init__(self, bot: RevueBot) -> None:
        self.bot = bot
        self.round_lock = asyncio.Lock()
        self.pending: set[asyncio.Task[PollReport | None]] = set()  # kept until they finish
        # Tick often enough to retry a failed feed on time; only due feeds are fetched.
        minutes = min(bot.engine.settings.poll_minutes, FIRST_RETRY.total_seconds() / 60)
        self.poller.change_interval(minutes=minutes)

    async def cog_load(self) -> None:
        self.poller.start()

    async def cog_unload(self) -> None:
        self.poller.cancel()

    @tasks.loop(minutes=30)
    async def poller(self) -> None:
        await self.poll_round()

    @poller.before_loop
    async def _ready(self) -> None:
        await self.bot.wait_until_ready()

    async def poll_round(self, force: bool = False) -> PollReport | None:
        """Poll the due feeds and index what they add, off the event loop; a failure is
        logged and the next round tries again (nothing saved is lost)."""
        if self.round_lock.locked():
            return None
        async with self.round_lock:
            try:
                report = await self.bot.desk.maintain(lambda: self.bot.engine.poll(force))
            except PollingElsewhere:
                # Several bots share one database: the one polling now announces what it saves.
                log.info("another process is polling the feeds now; this one skips the round")
                return None
            except Exception:
                log.exception("polling the feeds failed")
                self.bot.metrics.poll_errors.inc()
                return None
            for feed in report.feeds:
                self.bot.metrics.polls.labels(feed.outcome).inc()
                if feed.outcome == "failed":
                    log.warning("feed %s failed: %s", feed.url, feed.error)
            if report.index_error:
                self.bot.metrics.poll_errors.inc()
                log.warning("new entries saved, not indexed yet: %s", report.index_error)
            await self.announce(report)
            return report

    async def announce(self, report: PollReport) -> None:
        """The batch in each server's news channel (``/settings news-channel``, else
        REVUE_NEWS_CHANNEL), whichever servers this process's shards carry: the one process
        that polled announces for all of them."""
        text = announcement(report) if report.index is not None else None
        if text is None:
            return
        try:
            channels = await self.bot.servers.news_channels(self.server_of)
        except Exception:
            log.exception("could not read where to announce new articles")
            return
        for channel_id in channels:
            try:
                channel = self.bot.get_partial_messageable(channel_id)
                await channel.send(text, allowed_mentions=NO_PINGS, suppress_embeds=True)
            except discord.HTTPException:
                log.warning("could not announce new articles in %s", channel_id, exc_info=True)

    def server_of(self, channel_id: int) -> int | None:
        """The server of a channel this process sees (None: not in its cache)."""
        channel = self.bot.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        return guild.id if guild is not None else None

    @app_commands.command(name="follow")
    @app_commands.describe(url="The address of an RSS or Atom feed")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @app_commands.check(admin_only)
    async def follow(self, interaction: discord.Interaction, url: str) -> None:
        """Follow a news feed: its new articles are added to the coverage (admins only)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        feed = await self.bot.desk.lookup(lambda: self.bot.engine.following.follow(url))
        name = escape_markdown(feed.title or feed.url)
        await interaction.followup.send(
            f"Following {name}. Its articles are being added now; `/following` shows progress.",
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )
        task = asyncio.create_task(self.poll_round(), name="revue-feed-poll")
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    @app_commands.command(name="unfollow")
    @app_commands.describe(url="The feed to stop following (as /following lists it)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @app_commands.check(admin_only)
    async def unfollow(self, interaction: discord.Interaction, url: str) -> None:
        """Stop following a news feed; what it added stays (admins only)."""
        feed = await self.bot.desk.lookup(lambda: self.bot.engine.following.unfollow(url))
        await interaction.response.send_message(
            f"No longer following {escape_markdown(feed.title or feed.url)}.",
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @unfollow.autocomplete("url")
    async def followed(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        feeds = await self.bot.desk.lookup(self.bot.engine.following.status)
        wanted = current.lower()
        return [
            app_commands.Choice(name=trim(f.title or f.url, 100), value=f.url)
            for f in feeds
            if wanted in f.url.lower() or wanted in (f.title or "").lower()
        ][:25]

    @app_commands.command(name="following")
    async def following(self, interaction: discord.Interaction) -> None:
        """List the news feeds I follow, what each added, and any that are failing."""
        feeds = await self.bot.desk.lookup(self.bot.engine.following.status)
        lines = [feed_line(f) for f in feeds] or ["No feeds are followed: an admin can /follow."]
        embed = discord.Embed(
            title="Followed feeds", description=trim("\n".join(lines), 4000), colour=0x5865F2
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )


async def setup(bot: RevueBot) -> None:
    await bot.add_cog(Feeds(bot))
