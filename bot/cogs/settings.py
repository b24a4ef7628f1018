"""``/settings`` (server managers): this server's question channels, news channel and busy-thread
rule, kept in the state (``state.db`` or PostgreSQL) over the environment's defaults. Each
setting has its own ``reset`` back to the default, apart from turning it off."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import RevueBot
from bot.render import NO_PINGS
from bot.settings import BotSettings
from index.storage.states import NEWS_OFF, ServerConfig

MAX_CHANNELS = 25  # question channels per server: more is a mistake rather than a need
HOW = "Change them with `/settings channels`, `news-channel` or `busy-threads`."


class NotManager(app_commands.CheckFailure):
    """The caller may not change this server's settings."""

    def __init__(self) -> None:
        super().__init__("Only server managers (Manage Server) can see or change my settings.")


def default_channels(guild: discord.Guild, defaults: BotSettings) -> tuple[int, ...]:
    """The ``REVUE_CHANNELS`` of this server (the others' ids mean nothing here)."""
    return tuple(c for c in defaults.channels if guild.get_channel(c) is not None)


def default_news(guild: discord.Guild, defaults: BotSettings) -> int | None:
    news = defaults.news_channel
    return news if news is not None and guild.get_channel(news) is not None else None


def mentions(channels: tuple[int, ...]) -> str:
    return ", ".join(f"<#{c}>" for c in channels) or "none"


def busy_text(per_minute: int) -> str:
    if per_minute == 0:
        return "never"
    return f"when a channel has more than {per_minute} messages a minute"


def describe(config: ServerConfig, guild: discord.Guild, defaults: BotSettings) -> str:
    """``/settings show``: each value, and whether it is set here or the bot's default."""
    here, default = "set here", "default"
    if config.channels is None:
        channels = f"{mentions(default_channels(guild, defaults))} ({default})"
    else:
        channels = f"{mentions(config.channels)} ({here})"
    if config.news_channel is None:
        news = default_news(guild, defaults)
        news_line = f"{f'<#{news}>' if news else 'none'} ({default})"
    else:
        news_line = f"{f'<#{config.news_channel}>' if config.news_channel else 'off'} ({here})"
    busy = config.thread_when_busy
    threads = (
        f"{busy_text(defaults.thread_when_busy)} ({default})"
        if busy is None
        else f"{busy_text(busy)} ({here})"
    )
    return "\n".join(
        [
            "**My settings in this server**",
            f"• Question channels (every message is a question): {channels}",
            f"• News channel (new articles from followed feeds): {news_line}",
            f"• Answers go into a new thread: {threads}",
            HOW,
        ]
    )


def refusal(channel: discord.TextChannel, guild: discord.Guild, replying: bool) -> str | None:
    """Why the bot cannot use ``channel`` (None: it can): another server's, or missing the
    permissions it needs there (to read and post, and to reply for a question channel)."""
    if channel.guild.id != guild.id:
        return "That channel is in another server."
    allowed = channel.permissions_for(guild.me)
    needed = {"View Channel": allowed.view_channel, "Send Messages": allowed.send_messages}
    if replying:
        needed["Read Message History"] = allowed.read_message_history
    missing = [name for name, ok in needed.items() if not ok]
    if missing:
        return f"I can't use {channel.mention}: give me {' and '.join(missing)} there first."
    return None


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Settings(commands.GroupCog, group_name="settings", group_description="My settings here"):
    """This server's settings, for its managers; every reply is private."""

    channels = app_commands.Group(
        name="channels", description="Channels where every message is a question for me"
    )
    news = app_commands.Group(
        name="news-channel", description="Where I announce new articles from followed feeds"
    )
    busy = app_commands.Group(
        name="busy-threads", description="When my answers go into a new thread"
    )

    def __init__(self, bot: RevueBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Manage Server, checked here too: the default permission is only what Discord shows,
        and a server's admins can grant the command to anyone."""
        if interaction.guild is None or not interaction.permissions.manage_guild:
            raise NotManager()
        return True

    @app_commands.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show my settings in this server, and which are the bot's defaults."""
        guild = self.guild(interaction)
        config = await self.bot.servers.config(guild.id)
        await self.reply(interaction, describe(config, guild, self.bot.settings))

    @channels.command(name="add")
    @app_commands.describe(channel="A text channel of this server where I should answer")
    async def add_channel(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        """Make every message in a channel a question for me."""
        guild = self.guild(interaction)
        current = await self.current_channels(guild)
        why = refusal(channel, guild, replying=True)
        if why is None and channel.id in current:
            why = f"{channel.mention} is already a question channel."
        if why is None and len(current) >= MAX_CHANNELS:
            why = f"This server has {MAX_CHANNELS} question channels already: remove one first."
        if why is not None:
            await self.reply(interaction, why)
            return

        # The change is applied to the stored value as it is then (another manager may have
        # changed it meanwhile): it adds the channel once, and never past MAX_CHANNELS.
        def add(cs: tuple[int, ...]) -> tuple[int, ...]:
            return cs if channel.id in cs or len(cs) >= MAX_CHANNELS else (*cs, channel.id)

        await self.change(interaction, self.with_channels(guild, add))
        await self.reply(interaction, f"Every message in {channel.mention} is now a question.")

    @channels.command(name="remove")
    @app_commands.describe(channel="A question channel where I should answer only mentions")
    async def remove_channel(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        """Stop taking every message in a channel as a question (mentions still are)."""
        guild = self.guild(interaction)
        if channel.id not in await self.current_channels(guild):
            await self.reply(interaction, f"{channel.mention} is not a question channel here.")
            return
        keep = self.with_channels(guild, lambda cs: tuple(c for c in cs if c != channel.id))
        await self.change(interaction, keep)
        await self.reply(interaction, f"{channel.mention} is no longer a question channel.")

    @channels.command(name="reset")
    async def reset_channels(self, interaction: discord.Interaction) -> None:
        """Use the bot's default question channels (REVUE_CHANNELS) here again."""
        await self.change(interaction, lambda c: replace(c, channels=None))
        found = default_channels(self.guild(interaction), self.bot.settings)
        await self.reply(
            interaction, f"Question channels are the default again: {mentions(found)}."
        )

    @news.command(name="set")
    @app_commands.describe(channel="A text channel of this server for the announcements")
    async def set_news(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        """Announce new articles from followed feeds in a channel."""
        why = refusal(channel, self.guild(interaction), replying=False)
        if why is not None:
            await self.reply(interaction, why)
            return
        await self.change(interaction, lambda c: replace(c, news_channel=channel.id))
        await self.reply(interaction, f"New articles will be announced in {channel.mention}.")

    @news.command(name="off")
    async def news_off(self, interaction: discord.Interaction) -> None:
        """Announce new articles nowhere in this server."""
        await self.change(interaction, lambda c: replace(c, news_channel=NEWS_OFF))
        await self.reply(interaction, "New articles will not be announced in this server.")

    @news.command(name="reset")
    async def reset_news(self, interaction: discord.Interaction) -> None:
        """Use the bot's default news channel (REVUE_NEWS_CHANNEL) here again."""
        await self.change(interaction, lambda c: replace(c, news_channel=None))
        news = default_news(self.guild(interaction), self.bot.settings)
        where = f"<#{news}>" if news else "none in this server"
        await self.reply(interaction, f"The news channel is the default again: {where}.")

    @busy.command(name="set")
    @app_commands.describe(
        per_minute="Messages per minute in a channel above which I answer in a thread (0: never)"
    )
    async def set_busy(
        self, interaction: discord.Interaction, per_minute: app_commands.Range[int, 0, 1000]
    ) -> None:
        """Answer in a new thread when a channel is busy, so answers do not scroll away."""
        await self.change(interaction, lambda c: replace(c, thread_when_busy=per_minute))
        await self.reply(interaction, f"Answers go into a new thread {busy_text(per_minute)}.")

    @busy.command(name="reset")
    async def reset_busy(self, interaction: discord.Interaction) -> None:
        """Use the bot's default busy-thread rule (REVUE_THREAD_WHEN_BUSY) here again."""
        await self.change(interaction, lambda c: replace(c, thread_when_busy=None))
        rule = busy_text(self.bot.settings.thread_when_busy)
        await self.reply(interaction, f"Answers go into a new thread {rule} (the default).")

    def guild(self, interaction: discord.Interaction) -> discord.Guild:
        assert interaction.guild is not None  # guild only, and interaction_check
        return interaction.guild

    async def current_channels(self, guild: discord.Guild) -> tuple[int, ...]:
        config = await self.bot.servers.config(guild.id)
        if config.channels is None:
            return default_channels(guild, self.bot.settings)
        return config.channels

    def with_channels(
        self, guild: discord.Guild, edit: Callable[[tuple[int, ...]], tuple[int, ...]]
    ) -> Callable[[ServerConfig], ServerConfig]:
        """A change of the question channels, applied to what is stored when the change is
        written (another manager's change meanwhile counts), or to the defaults if nothing is."""
        defaults = default_channels(guild, self.bot.settings)

        def change(config: ServerConfig) -> ServerConfig:
            current = defaults if config.channels is None else config.channels
            return replace(config, channels=edit(current))

        return change

    async def change(
        self, interaction: discord.Interaction, change: Callable[[ServerConfig], ServerConfig]
    ) -> None:
        """Write a change (off the event loop); the reply waits on it, so the interaction is
        deferred first: a slow database must not outlast Discord's 3 s."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.servers.update(self.guild(interaction).id, change)

    async def reply(self, interaction: discord.Interaction, text: str) -> None:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


async def setup(bot: RevueBot) -> None:
    await bot.add_cog(Settings(bot))
