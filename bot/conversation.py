"""What the ask cog needs for conversations: the answer log, the previous answer a message
follows up (a reply to one of Revue's answers, or a message in a thread Revue started), and how
busy a channel is (a busy channel gets its answers in threads)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

import discord

from bot.render import trim
from index.conversation import AnswerLog
from index.records import AnswerRecord

log = logging.getLogger(__name__)
T = TypeVar("T")
WINDOW = 60.0  # seconds: REVUE_THREAD_WHEN_BUSY counts messages per minute
THREAD_NAME_LIMIT = 100  # Discord's limit on a thread's name
# Seconds a reply to one of Revue's messages waits for answers still being sent to be noted: a
# send is bounded by discord.py's HTTP retries, and this only bounds a stuck one.
NOTE_WAIT = 30.0


class Opens(Protocol):
    def answers(self) -> AnswerLog: ...


class Lookup(Protocol):
    def __call__(self, work: Callable[[], T]) -> Awaitable[T]: ...


class Answers:
    """The engine's answer log, opened on first use and only ever used off the event loop."""

    def __init__(self, engine: Opens, lookup: Lookup) -> None:
        self.engine = engine
        self._lookup = lookup  # the desk's lookup threads
        self._log: AnswerLog | None = None
        self._lock = threading.Lock()
        self._showing: set[asyncio.Future[None]] = set()  # answers being sent, not noted yet

    def _open(self) -> AnswerLog:
        with self._lock:
            if self._log is None:
                self._log = self.engine.answers()
            return self._log

    async def run(self, action: Callable[[AnswerLog], T]) -> T:
        """``action(log)`` in a worker thread (SQLite waits on other writers)."""
        return await self._lookup(lambda: action(self._open()))

    @asynccontextmanager
    async def showing(self) -> AsyncIterator[None]:
        """Around sending an answer and noting which message shows it. A user can reply to
        that message before the note is written (the bot fuzz did, 1 run in 7: the reply was
        then not a follow-up, and in a quiet channel it went unanswered); ``noted`` waits."""
        noted = asyncio.get_running_loop().create_future()
        self._showing.add(noted)
        try:
            yield
        finally:
            self._showing.discard(noted)
            noted.set_result(None)

    async def noted(self) -> None:
        """Until the answers being sent now are noted (at most ``NOTE_WAIT`` s); those sent
        after this call are not waited for, so a busy bot does not keep a reply waiting."""
        if not self._showing:
            return
        _, late = await asyncio.wait(set(self._showing), timeout=NOTE_WAIT)
        if late:
            log.warning("%d answers were still being sent after %.0f s", len(late), NOTE_WAIT)

    def close(self) -> None:
        with self._lock:
            if self._log is not None:
                self._log.close()
            self._log = None


class ChannelPace:
    """Messages per channel in the last minute, to tell a busy channel from a quiet one."""

    def __init__(self) -> None:
        self._seen: dict[int, deque[float]] = {}

    def count(self, channel_id: int) -> int:
        """Count one more message in ``channel_id``; the messages of the last minute, it
        included."""
        now = time.monotonic()
        seen = self._seen.setdefault(channel_id, deque())
        seen.append(now)
        while seen and seen[0] < now - WINDOW:
            seen.popleft()
        if len(self._seen) > 10_000:  # forget channels quiet for a minute
            self._seen = {c: s for c, s in self._seen.items() if s and s[-1] >= now - WINDOW}
        return len(seen)


def replies_to(message: discord.Message, user_id: int) -> bool:
    """Whether ``message`` is a reply to a message of ``user_id`` (Revue): addressed to it,
    with or without the reply's ping."""
    ref = message.reference
    replied = ref.resolved if ref is not None else None
    return isinstance(replied, discord.Message) and replied.author.id == user_id


def started_by(channel: Any, user_id: int) -> bool:
    """Whether ``channel`` is a thread that ``user_id`` (Revue) started."""
    return isinstance(channel, discord.Thread) and channel.owner_id == user_id


async def previous_answer(
    answers: Answers, message: discord.Message, me: int
) -> AnswerRecord | None:
    """The answer ``message`` follows up: the one it replies to, or the latest in a thread Revue
    started; None when it follows none (or its store cannot be read: it is then a question)."""
    ref = message.reference
    replied = ref.resolved if ref is not None else None
    try:
        if ref is not None and ref.message_id is not None:
            if isinstance(replied, discord.Message) and replied.author.id != me:
                return None  # a reply to someone else: not a follow-up
            message_id = ref.message_id
            found = await answers.run(lambda log: log.by_message(message_id))
            if found is None and replies_to(message, me):
                await answers.noted()  # the answer replied to may not be noted yet
                found = await answers.run(lambda log: log.by_message(message_id))
            return found
        if started_by(message.channel, me):
            thread_id = message.channel.id
            return await answers.run(lambda log: log.latest_in(thread_id))
    except Exception:
        log.exception("could not look up the answer message %s follows", message.id)
    return None


async def open_thread(message: discord.Message, question: str) -> discord.Thread | None:
    """A thread from the question's message for the answer; None (and logged) when Discord
    refuses, and the answer goes into the channel instead."""
    name = trim(" ".join(question.split()), THREAD_NAME_LIMIT) or "Revue"
    try:
        return await message.create_thread(name=name)
    except (discord.HTTPException, ValueError) as exc:
        log.warning("could not start a thread for message %s: %s", message.id, exc)
        return None
