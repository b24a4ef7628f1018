"""One short sentence for every failure a user can meet; the log keeps the details."""

from __future__ import annotations

import logging
import math

import discord
from discord import app_commands

from bot.desk import Refused
from bot.limits import Refusal, Why
from bot.render import NO_PINGS
from index.errors import (
    DatabaseUnavailable,
    FeedError,
    IndexBusy,
    IndexMissing,
    InvalidFilter,
    InvalidQuestion,
    NeedsLanguageModel,
    RevueError,
    WriterUnavailable,
)

log = logging.getLogger(__name__)
CHANNEL = discord.AppCommandOptionType.channel

GENERIC = "Something went wrong on my side; it has been logged."


class NotAdmin(app_commands.CheckFailure):
    """The caller may not run an admin command."""

    def __init__(self) -> None:
        super().__init__("Only server managers and Revue admins can do that.")


WAIT = {
    Why.IN_FLIGHT: "Your previous question is still being answered: ask again once it is",
    Why.RATE: "You are asking faster than I can answer: ask again in {} s",
    Why.CHANNEL: "This channel has several questions waiting: ask again in {} s",
    Why.SERVER: "This server has many questions waiting: ask again in {} s",
    Why.BUSY: "I'm busy answering other questions: ask again in {} s",
}


def refusal_message(refusal: Refusal) -> str:
    """Why a question must wait, and for how long (whole seconds, at least 1)."""
    return WAIT[refusal.why].format(max(1, math.ceil(refusal.retry_after))) + "."


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
    if isinstance(error, DatabaseUnavailable):
        return "I can't reach my database right now; try again in a minute."
    if isinstance(error, NeedsLanguageModel):
        return "Checking a claim needs the language model, and none is set up here."
    if isinstance(error, WriterUnavailable):
        return "The language model is not answering right now; try again in a minute."
    if isinstance(error, Refused):
        return refusal_message(error.refusal)
    if isinstance(error, app_commands.CheckFailure) and str(error):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command only works in a server."
    if isinstance(error, app_commands.TransformerError) and error.type is CHANNEL:
        # discord.py finds a channel option in the server's cache: not there, the bot cannot see
        # it (or it is another server's).
        return "I can't see that channel: give me View Channel there, or pick one of this server."
    if isinstance(error, RevueError):
        return "I couldn't answer that: the index is not in a usable state."
    return GENERIC


def reindex_failure(error: RevueError) -> str:
    """Why a /reindex failed, for the admin who ran it: the engine's own words (a corpus path
    that is not there, a damaged index), except for a concurrent writer, which gets the everyday
    sentence."""
    if isinstance(error, IndexBusy):
        return user_message(error)
    return str(error)


def expected(error: BaseException) -> bool:
    """Whether ``error`` is an everyday refusal (logged briefly) rather than a bug."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return isinstance(
        error, RevueError | Refused | app_commands.CheckFailure | app_commands.TransformerError
    )


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
