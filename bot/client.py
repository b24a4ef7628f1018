"""The Revue Discord bot: the engine and settings come in; cogs add the features."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.conversation import Answers
from bot.errors import RevueTree
from bot.render import NO_PINGS
from bot.settings import BotSettings
from index.engine import Revue

log = logging.getLogger(__name__)

COGS = (
    "bot.cogs.ask",
    "bot.cogs.sources",
    "bot.cogs.reindex",
    "bot.cogs.timeline",
    "bot.cogs.compare",
    "bot.cogs.feeds",
    "bot.cogs.feedback",
)


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
        # One answer log (state.db) for the answers sent, the votes and the follow-ups.
        self.answers = Answers(engine)
        self._warm_up: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        for name in COGS:
            await self.load_extension(name)
        synced = await self.tree.sync()
        log.info("synced %d application commands", len(synced))

    async def _load_model(self) -> None:
        """Load the models now, off the event loop, so the first answer is quick."""
        try:
            await asyncio.to_thread(self.engine.load)
        except Exception:
            log.exception("could not load the models")

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("ready as %s (%s) in %d servers", self.user, self.user.id, len(self.guilds))
        if self._warm_up is None:
            if not self.engine.is_indexed():
                log.warning("nothing is indexed yet: run `revue index` or /reindex")
            self._warm_up = asyncio.create_task(self._load_model())

    async def on_message(self, message: discord.Message) -> None:
        """Questions are handled by the ask cog; there are no prefix commands."""

    async def close(self) -> None:
        if self._warm_up is not None and not self._warm_up.done():
            self._warm_up.cancel()
        await super().close()
        self.answers.close()
