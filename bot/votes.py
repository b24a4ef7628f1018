"""The 👍/👎 buttons under every answer: ``DynamicItem``s whose custom id carries the vote and
the answer id, so a click is understood by any running bot, after a restart too, without a view
kept in memory. (Not in the cog's module: the ask cog imports them, and an extension's module is
loaded apart from its imports, which would make two classes of one button.)
"""

from __future__ import annotations

import logging
import re
from typing import Any, cast

import discord

from bot.conversation import Answers
from bot.render import NO_PINGS
from index.errors import AnswerNotFound
from index.records import VoteKind

log = logging.getLogger(__name__)

TEMPLATE = r"revue:vote:(?P<vote>up|down):(?P<answer>\d+)"
EMOJI: dict[VoteKind, str] = {"up": "👍", "down": "👎"}
LABEL: dict[VoteKind, str] = {"up": "Helpful", "down": "Not helpful"}


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """One of the two vote buttons under answer ``answer_id``."""

    def __init__(self, vote: VoteKind, answer_id: int) -> None:
        self.vote, self.answer_id = vote, answer_id
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji=EMOJI[vote],
                custom_id=f"revue:vote:{vote}:{answer_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> VoteButton:
        return cls(cast(VoteKind, match["vote"]), int(match["answer"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        answers = getattr(interaction.client, "answers", None)  # RevueBot's answer log
        if isinstance(answers, Answers):
            await record_vote(answers, interaction, self.answer_id, self.vote)


def vote_view(answer_id: int) -> discord.ui.View:
    """The buttons to send under answer ``answer_id`` (persistent: no time-out)."""
    view = discord.ui.View(timeout=None)
    for vote in EMOJI:
        view.add_item(VoteButton(vote, answer_id))
    return view


def acknowledgement(vote: VoteKind, before: VoteKind | None) -> str:
    if before == vote:
        return f"You already marked this answer {EMOJI[vote]}."
    if before is not None:
        return f"Changed your vote to {EMOJI[vote]}. Thanks!"
    return f"Thanks for the {EMOJI[vote]}: it helps us improve the answers."


async def record_vote(
    answers: Answers, interaction: discord.Interaction, answer_id: int, vote: VoteKind
) -> None:
    """Keep the vote (replacing the user's earlier one) and say so privately."""
    user = interaction.user.id
    try:
        before = await answers.run(lambda log: log.vote(answer_id, user, vote))
        text = acknowledgement(vote, before)
    except AnswerNotFound:
        text = "I no longer have that answer, so the vote could not be kept."
    except Exception:
        log.exception("could not record a vote on answer %s", answer_id)
        text = "Your vote could not be kept this time; it has been logged."
    try:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
    except discord.HTTPException as exc:
        log.warning("could not acknowledge a vote on answer %s: %s", answer_id, exc)
