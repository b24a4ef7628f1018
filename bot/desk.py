"""The engine's workers, behind fair limits: a bounded pool that servers take turns on.

Questions admitted by ``bot.limits.Throttle`` wait here for one of ``workers`` threads. A freed
worker goes to the waiting server that got a worker longest ago (the servers take turns, each in
the order its questions came), so a flood from one server cannot starve the others. The event
loop only awaits: the engine's work never runs on it, and no more than ``workers`` answers are
computed at once (more threads would only share the same cores, and hold the GIL from the gateway
longer).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

from bot.limits import Asker, Limits, Refusal, Throttle, Ticket
from bot.metrics import Metrics

T = TypeVar("T")
# Written answers waiting at most: the embedded writer takes 10.5 s (p50) to 24.5 s (p95) each on
# 2 cores (docs/benchmarks.md, "The writer"), so a sixth in line would come a minute or more late.
WRITE_BACKLOG = 5


class Refused(Exception):
    """A question must wait (``refusal`` says why and for how long); ``bot.errors`` words it."""

    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal
        super().__init__(f"{refusal.why.value}: retry after {refusal.retry_after:.1f} s")


class FairSlots:
    """``workers`` slots; a freed one goes to the waiting server served longest ago."""

    def __init__(self, workers: int) -> None:
        self.free = workers
        self.waiting: dict[int, deque[asyncio.Future[None]]] = {}
        self.served: dict[int, int] = {}  # server -> the turn it last got a slot
        self.turns = 0

    @asynccontextmanager
    async def slot(self, server: int) -> AsyncIterator[None]:
        await self._acquire(server)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, server: int) -> None:
        if self.free > 0 and not self.waiting:
            self.free -= 1
            self._serve(server)
            return
        turn = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(server, deque()).append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # the slot was handed over just as the asker gave up
            else:
                self._forget(server, turn)
            raise

    def _serve(self, server: int) -> None:
        self.turns += 1
        self.served[server] = self.turns
        if len(self.served) > 10_000:  # only the order of the servers waiting matters
            self.served = {s: t for s, t in self.served.items() if s in self.waiting}

    def _forget(self, server: int, turn: asyncio.Future[None]) -> None:
        queue = self.waiting.get(server)
        if queue is not None and turn in queue:
            queue.remove(turn)
            if not queue:
                del self.waiting[server]

    def _release(self) -> None:
        while self.waiting:
            server = min(self.waiting, key=lambda s: self.served.get(s, 0))
            queue = self.waiting[server]
            turn = queue.popleft()
            if not queue:
                del self.waiting[server]
            if not turn.done():
                self._serve(server)
                turn.set_result(None)
                return
        self.free += 1


class Desk:
    """Admits questions (``admit``), runs the engine's work for them (``run``), and writes
    answers on a separate single worker (``write``), so a slow writer never holds the quotes."""

    def __init__(self, limits: Limits, workers: int = 2, metrics: Metrics | None = None) -> None:
        self.metrics = metrics or Metrics()
        # When each question now at the desk came (waiting or worked on): the health check's
        # "still answering" is that none has been there past a deadline.
        self.at_desk: dict[object, float] = {}
        self.throttle = Throttle(limits)
        self.throttle.workers = workers
        self.slots = FairSlots(workers)
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="revue-answer")
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="revue-write")
        self.writing = 0  # written answers started or waiting for the writer
        # Quick reads outside the questions' turns (the sources, an outlet autocomplete on each
        # keystroke, feed lists, the answer log): two threads of their own, so they never wait
        # behind a slow answer and a burst of keystrokes cannot start a thread each.
        self.lookups = ThreadPoolExecutor(2, thread_name_prefix="revue-lookup")
        # Indexing and feed polls, one at a time (each takes the index's writer lock anyway).
        self.upkeep = ThreadPoolExecutor(1, thread_name_prefix="revue-upkeep")
        # Claim checks, one at a time: a minute of the language model's calls that holds neither
        # an answer worker nor the writer's queue; its calls take turns with the questions'
        # reading and writing at the model's lock.
        self.checks = ThreadPoolExecutor(1, thread_name_prefix="revue-check")

    def admit(self, asker: Asker) -> Ticket:
        """A ticket to ask now (release it when the answer is sent), or ``Refused``."""
        admitted = self.throttle.admit(asker)
        if isinstance(admitted, Refusal):
            raise Refused(admitted)
        return admitted

    async def run(self, ticket: Ticket, work: Callable[[], T], stage: str = "engine") -> T:
        """``work()`` on a worker thread, once this server's turn comes; the wait and the work
        are timed (the work as ``stage``)."""
        key, came = object(), time.monotonic()
        self.at_desk[key] = came
        try:
            async with self.slots.slot(ticket.asker.server):
                started = time.monotonic()
                self.metrics.stages.labels("wait").observe(started - came)
                try:
                    return await asyncio.get_running_loop().run_in_executor(self.pool, work)
                finally:
                    took = time.monotonic() - started
                    self.throttle.timed(took)
                    self.metrics.stages.labels(stage).observe(took)
        finally:
            del self.at_desk[key]

    def longest_wait(self) -> float:
        """Seconds the question longest at the desk has been there, drafting, reading or
        writing (0: none is). Read from the metrics' thread: one call, no check-then-read."""
        came = min(self.at_desk.values(), default=None)
        return 0.0 if came is None else time.monotonic() - came

    async def lookup(self, work: Callable[[], T]) -> T:
        """A quick read of the engine, off the event loop, on the lookup threads."""
        return await asyncio.get_running_loop().run_in_executor(self.lookups, work)

    async def maintain(self, work: Callable[[], T]) -> T:
        """Indexing or a feed poll, off the event loop, one at a time."""
        return await asyncio.get_running_loop().run_in_executor(self.upkeep, work)

    async def check(self, work: Callable[[], T]) -> T:
        """A claim check on its own worker; only the running one counts as at the desk (a
        queue of checks is not a stuck bot), and its stage time is its run, not its wait."""
        loop = asyncio.get_running_loop()
        key = object()

        def run() -> T:
            started = time.monotonic()
            loop.call_soon_threadsafe(self.at_desk.__setitem__, key, started)
            try:
                return work()
            finally:
                self.metrics.stages.labels("check").observe(time.monotonic() - started)

        try:
            return await loop.run_in_executor(self.checks, run)
        finally:
            loop.call_soon(self.at_desk.pop, key, None)

    def can_write(self) -> bool:
        """Whether a written answer may be started: past ``WRITE_BACKLOG`` waiting, the quotes
        stand alone rather than promise a text that would come minutes later."""
        return self.writing < WRITE_BACKLOG

    async def write(self, work: Callable[[], T], stage: str = "write") -> T:
        """``work()`` on the writer's single worker (reading and writing: one language model)."""
        self.writing += 1
        key = object()
        self.at_desk[key] = started = time.monotonic()
        try:
            return await asyncio.get_running_loop().run_in_executor(self.writer, work)
        finally:
            self.writing -= 1
            del self.at_desk[key]
            self.metrics.stages.labels(stage).observe(time.monotonic() - started)

    def close(self) -> None:
        for pool in (self.pool, self.writer, self.lookups, self.upkeep, self.checks):
            pool.shutdown(wait=False, cancel_futures=True)
