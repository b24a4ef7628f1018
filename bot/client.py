"""The Revue Discord bot: the engine and settings come in; cogs add the features."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import discord
import yarl
from discord.ext import commands

from bot.conversation import Answers
from bot.desk import Desk
from bot.errors import RevueTree
from bot.health import LoopLag
from bot.limits import Asker
from bot.render import NO_PINGS
from bot.servers import Servers
from bot.settings import BotSettings
from index.engine import Revue
from index.storage.states import open_server_settings

log = logging.getLogger(__name__)
T = TypeVar("T")

COGS = (
    "bot.cogs.ask",
    "bot.cogs.sources",
    "bot.cogs.reindex",
    "bot.cogs.timeline",
    "bot.cogs.compare",
    "bot.cogs.feeds",
    "bot.cogs.feedback",
    "bot.cogs.settings",
)


def asker(source: discord.Message | discord.Interaction) -> Asker:
    """Who asks and where, for the fair limits (server 0: a direct message)."""
    if isinstance(source, discord.Message):
        return Asker(source.author.id, source.channel.id, source.guild.id if source.guild else 0)
    return Asker(source.user.id, source.channel_id or 0, source.guild_id or 0)


def point_at(settings: BotSettings) -> None:
    """Send REST and gateway traffic to ``DISCORD_API_BASE`` / ``DISCORD_GATEWAY_URL`` if set."""
    if settings.api_base:
        discord.http.Route.BASE = settings.api_base.rstrip("/")
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def intents() -> discord.Intents:
    """Guilds and guild messages, with message content (a privileged intent)."""
    wanted = discord.Intents.default()
    wanted.message_content = True
    return wanted


class RevueBot(commands.Bot):
    """Answers questions about the coverage in Discord (mentions, channels, slash commands)."""

    def __init__(self, engine: Revue, settings: BotSettings, **options: Any) -> None:
        point_at(settings)
        # A text-only bot: no warnings about the voice libraries it does not need.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(),
            allowed_mentions=NO_PINGS,
            tree_cls=RevueTree,
            **options,
        )
        self.engine = engine
        self.settings = settings
        # The engine's workers behind the fair limits, and a watch on the event loop's lag.
        self.desk = Desk(settings.limits(), settings.workers)
        # One answer log (state.db) for the answers sent, the votes and the follow-ups.
        self.answers = Answers(engine, self.desk.lookup)
        # Each server's /settings over the environment's defaults, kept in memory.
        self.servers = Servers(
            lambda: open_server_settings(engine.settings), self.desk.lookup, settings
        )
        self.lag = LoopLag()
        self._warm_up: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        self.lag.start()
        for name in COGS:
            await self.load_extension(name)
        synced = await self.tree.sync()
        log.info("synced %d application commands", len(synced))

    async def _load_model(self) -> None:
        """Load the models now, off the event loop, so the first answer is quick."""
        try:
            await self.desk.maintain(self.engine.load)
        except Exception:
            log.exception("could not load the models")

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("ready as %s (%s) in %d servers", self.user, self.user.id, len(self.guilds))
        if self._warm_up is None:
            if not self.engine.is_indexed():
                log.warning("nothing is indexed yet: run `revue index` or /reindex")
            self._warm_up = asyncio.create_task(self._load_model())

    async def deferred(self, interaction: discord.Interaction, work: Callable[[], T]) -> T:
        """A slash command's engine work: admitted by the fair limits (``Refused`` before
        anything is shown), then the interaction deferred and ``work`` run on a desk worker."""
        with self.desk.admit(asker(interaction)) as ticket:
            await interaction.response.defer(thinking=True)
            return await self.desk.run(ticket, work)

    async def on_message(self, message: discord.Message) -> None:
        """Questions are handled by the ask cog; there are no prefix commands."""

    async def close(self) -> None:
        if self._warm_up is not None and not self._warm_up.done():
            self._warm_up.cancel()
        self.lag.stop()
        # The answers being sent are noted before the desk and the log close: otherwise a note
        # still in flight is dropped (seen with PostgreSQL, whose round trip is longer), and a
        # reply to that answer after a restart is not taken for a follow-up.
        await self.answers.noted()
        await super().close()
        self.desk.close()
        self.answers.close()
        self.servers.close()


class ShardedRevueBot(RevueBot, commands.AutoShardedBot):
    """The same bot over several gateway shards (``REVUE_SHARDS``), one process."""


def make_bot(engine: Revue, settings: BotSettings, **options: Any) -> RevueBot:
    """A ``RevueBot``, sharded when ``REVUE_SHARDS`` is set (a number, or auto: Discord says)."""
    if settings.shards is None:
        return RevueBot(engine, settings, **options)
    count = None if settings.shards == "auto" else settings.shards
    ids = settings.shard_ids or None
    return ShardedRevueBot(engine, settings, shard_count=count, shard_ids=ids, **options)
