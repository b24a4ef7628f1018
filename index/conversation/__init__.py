"""Conversations with the bot: the answers it sent and the votes on them (``answers``), a
follow-up made standalone (``followup``), and a 👎 as an evaluation question (``export``)."""

from index.conversation.export import eval_lines
from index.conversation.followup import standalone
from index.storage.states import AnswerStore

# What callers name the answer log: whichever backend keeps it (``storage.states``).
AnswerLog = AnswerStore

__all__ = ["AnswerLog", "eval_lines", "standalone"]
