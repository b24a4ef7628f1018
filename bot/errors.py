"""One short sentence for every failure a user can meet; the log keeps the details."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.render import NO_PINGS
from index.errors import (
    FeedError,
    IndexBusy,
    IndexMissing,
    InvalidFilter,
    InvalidQuestion,
    RevueError,
)

log = logging.getLogger(__name__)

GENERIC = "Something went wrong on my side; it has been logged."


class NotAdmin(app_commands.CheckFailure):
    """The caller may not run an admin command."""

    def __init__(self) -> None:
        super().__init__("Only server managers and Revue admins can do that.")


class OnCooldown(app_commands.CheckFailure):
    """The caller asked again too soon."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(cooldown_message(retry_after))


def cooldown_message(retry_after: float) -> str:
    seconds = max(1, round(retry_after))
    return f"One question at a time, please: ask again in {seconds} s."


def user_message(error: BaseException) -> str:
    """The sentence a user sees for ``error`` (an engine error or a command-tree error)."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, FeedError):  # it may start with the feed's URL: not capitalised
        return f"{error}."
    if isinstance(error, InvalidQuestion | InvalidFilter):
        text = str(error)
        return text[0].upper() + text[1:] + "."
    if isinstance(error, IndexMissing):
        return "Nothing is indexed yet: an admin can run /reindex."
    if isinstance(error, IndexBusy):
        return "The index is being rebuilt right now; try again in a minute."
    if isinstance(error, app_commands.CommandOnCooldown):
        return cooldown_message(error.retry_after)
    if isinstance(error, app_commands.CheckFailure) and str(error):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command only works in a server."
    if isinstance(error, RevueError):
        return "I couldn't answer that: the index is not in a usable state."
    return GENERIC


def reindex_failure(error: RevueError) -> str:
    """Why a /reindex failed, for the admin who ran it: the engine's own words (a corpus path,
    a duplicate id), except for a concurrent writer, which gets the everyday sentence."""
    if isinstance(error, IndexBusy):
        return user_message(error)
    return str(error)


def expected(error: BaseException) -> bool:
    """Whether ``error`` is an everyday refusal (logged briefly) rather than a bug."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return isinstance(error, RevueError | app_commands.CheckFailure)


class RevueTree(app_commands.CommandTree):
    """The command tree with the bot's one error handler."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        name = interaction.command.qualified_name if interaction.command else "?"
        if expected(error):
            log.info("/%s by %s refused: %s", name, interaction.user.id, error)
        else:
            log.error("/%s by %s failed", name, interaction.user.id, exc_info=error)
        message = user_message(error)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_PINGS)
            else:
                await interaction.response.send_message(
                    message, ephemeral=True, allowed_mentions=NO_PINGS
                )
        except discord.HTTPException:
            log.warning("could not tell the user about the error", exc_info=True)
