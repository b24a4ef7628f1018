"""The Revue Discord bot: the engine and settings come in; cogs add the features."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import discord
import yarl
from discord.ext import commands

from bot.conversation import Answers
from bot.desk import Desk
from bot.errors import RevueTree
from bot.health import PULSE_EVERY, PULSE_FILE, LoopLag, Pulse
from bot.limits import Asker
from bot.metrics import Metrics
from bot.render import NO_PINGS
from bot.servers import Servers
from bot.settings import BotSettings
from index.engine import Revue
from index.storage.states import open_server_settings

log = logging.getLogger(__name__)
# Questions failed in a row past which the bot is unhealthy: one can fail on its own (a bad
# passage, a timeout); three in a row, with nothing answered between, is the bot, not them.
FAILING = 3
T = TypeVar("T")

COGS = (
    "bot.cogs.ask",
    "bot.cogs.sources",
    "bot.cogs.reindex",
    "bot.cogs.timeline",
    "bot.cogs.compare",
    "bot.cogs.claims",
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
        self.metrics = Metrics()
        # The engine's workers behind the fair limits, and a watch on the event loop's lag.
        self.desk = Desk(settings.limits(), settings.workers, self.metrics)
        # One answer log (state.db) for the answers sent, the votes and the follow-ups.
        self.answers = Answers(engine, self.desk.lookup)
        # Each server's /settings over the environment's defaults, kept in memory.
        self.servers = Servers(
            lambda: open_server_settings(engine.settings), self.desk.lookup, settings
        )
        self.lag = LoopLag()
        self.pulse_file = settings.health_file or engine.data_dir / PULSE_FILE
        self._warm_up: asyncio.Task[None] | None = None
        self._pulse: asyncio.Task[None] | None = None
        self._pulse_failed = False
        self.load_error: str | None = None

    async def setup_hook(self) -> None:
        self.lag.start()
        self._watch()
        self._pulse = asyncio.create_task(self._beat(), name="revue-pulse")
        for name in COGS:
            await self.load_extension(name)
        synced = await self.tree.sync()
        log.info("synced %d application commands", len(synced))

    def _watch(self) -> None:
        """The gauges read at each scrape, and the endpoint when REVUE_METRICS_PORT is set."""
        watch = self.metrics.watch
        watch("revue_connected", "1 when connected to Discord", lambda: float(self.connected()))
        watch("revue_queue_depth", "Questions admitted, not yet answered", self._queued)
        watch("revue_writing_backlog", "Written answers started or waiting", self._writing)
        watch("revue_loop_lag_seconds", "The event loop's longest lag, last 10 s", self._lag)
        watch("revue_longest_wait_seconds", "The oldest question's time at the desk", self._wait)
        if self.settings.metrics_port is not None:
            self.metrics.serve(self.settings.metrics_port, self.settings.metrics_host)

    def _queued(self) -> float:
        return float(self.desk.throttle.total)

    def _writing(self) -> float:
        return float(self.desk.writing)

    def _lag(self) -> float:
        return self.lag.recent(PULSE_EVERY)

    def _wait(self) -> float:
        return self.desk.longest_wait()

    def connected(self) -> bool:
        """Logged in, with every gateway connection open."""
        if self.is_closed() or not self.is_ready():
            return False
        shards = getattr(self, "shards", None)
        if shards:
            return all(not shard.is_closed() for shard in shards.values())
        return self.ws is not None and self.ws.open

    async def _beat(self) -> None:
        """Every PULSE_EVERY seconds: the pulse for `revue health`, written from the loop
        whatever else waits, and the index's size for the metrics, read on a lookup thread
        (a query: a slow database must not stop the pulse)."""
        sizing: asyncio.Task[None] | None = None
        while True:
            self._write_pulse(self.connected())
            if sizing is None or sizing.done():
                sizing = asyncio.create_task(self._read_size())
            await asyncio.sleep(PULSE_EVERY)

    async def _read_size(self) -> None:
        try:
            self.metrics.index(await self.desk.lookup(self.engine.size))
        except Exception as exc:  # the index is being replaced, or the database is away
            log.debug("could not read the index's size: %s", exc)

    def trouble(self) -> str | None:
        """Why questions cannot be answered now, as far as the bot knows; None when they can."""
        if self.load_error is not None:
            return f"the models could not be loaded ({self.load_error})"
        if self.metrics.failing >= FAILING:
            return f"the last {self.metrics.failing} questions failed"
        return None

    def _write_pulse(self, connected: bool) -> None:
        pulse = Pulse(time.time(), connected, self._lag(), self._wait(), self.trouble())
        try:
            pulse.write(self.pulse_file)
            self._pulse_failed = False
        except OSError as exc:
            if not self._pulse_failed:  # once, not every 10 s
                log.warning(
                    "cannot write the pulse for `revue health` to %s: %s", self.pulse_file, exc
                )
            self._pulse_failed = True

    async def _load_model(self) -> None:
        """Load the models now, off the event loop, so the first answer is quick."""
        try:
            await self.desk.maintain(self.engine.load)
        except Exception as exc:
            log.exception("could not load the models")
            self.load_error = str(exc) or exc.__class__.__name__

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("ready as %s (%s) in %d servers", self.user, self.user.id, len(self.guilds))
        if self._warm_up is None:
            if not self.engine.is_indexed():
                log.warning("nothing is indexed yet: run `revue index` or /reindex")
            self._warm_up = asyncio.create_task(self._load_model())

    async def deferred(
        self,
        interaction: discord.Interaction,
        work: Callable[[], T],
        stage: str = "engine",
    ) -> T:
        """A slash command's engine work: admitted by the fair limits (``Refused`` before
        anything is shown), then the interaction deferred and ``work`` run on a desk worker;
        a claim check (``stage="check"``) on the checks' own worker, so a minute-long check
        holds no worker that questions need."""
        with self.desk.admit(asker(interaction)) as ticket:
            await interaction.response.defer(thinking=True)
            if stage == "check":
                return await self.desk.check(work)
            return await self.desk.run(ticket, work, stage)

    async def on_message(self, message: discord.Message) -> None:
        """Questions are handled by the ask cog; there are no prefix commands."""

    async def close(self) -> None:
        for task in (self._warm_up, self._pulse):
            if task is not None and not task.done():
                task.cancel()
        self.lag.stop()
        self.metrics.close()
        if self._pulse is not None:
            self._write_pulse(False)  # stopped on purpose: unhealthy at once, not in 30 s
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
