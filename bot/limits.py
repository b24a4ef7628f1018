"""Fair limits on questions: who may ask now, and how long the others should wait.

Each user has one question in flight at most and a token bucket (a burst, then one question per
``every`` seconds), so a follow-up right after an answer is welcome while a flood is slowed. A
channel, a server and the whole bot each hold a bounded number of questions waiting or being
answered: beyond them the asker is told to come back in N seconds rather than queued without end.
This module only counts; the waiting room that hands out the engine's workers is ``bot.desk``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Limits:
    """The numbers behind the limits (``BotSettings`` fills them from ``REVUE_*``)."""

    burst: int = 3  # questions a user may ask back to back
    every: float = 10.0  # then one more per this many seconds (0: no per-user rate)
    per_channel: int = 6  # questions waiting or being answered in one channel
    per_server: int = 16  # … in one server
    total: int = 48  # … in all: the length of the waiting room in front of the engine


@dataclass(frozen=True)
class Asker:
    """Who asks, and where (``server`` is 0 in direct messages)."""

    user: int
    channel: int
    server: int


class Why(Enum):
    """Why a question must wait; ``bot.errors`` words each for the user."""

    IN_FLIGHT = "in flight"
    RATE = "rate"
    CHANNEL = "channel"
    SERVER = "server"
    BUSY = "busy"


@dataclass(frozen=True)
class Refusal:
    why: Why
    retry_after: float  # seconds, an estimate for everything but RATE


class Bucket:
    """A token bucket: ``burst`` tokens, one more every ``every`` seconds."""

    def __init__(self, limits: Limits, now: float) -> None:
        self.capacity, self.every = limits.burst, limits.every
        self.tokens, self.at = float(limits.burst), now

    def _fill(self, now: float) -> None:
        if self.every > 0:
            self.tokens = min(self.capacity, self.tokens + (now - self.at) / self.every)
        self.at = now

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: now)."""
        self._fill(now)
        missing = 1 - self.tokens
        return 0.0 if missing <= 1e-9 else missing * self.every  # 1e-9: float refill sums

    def take(self, now: float) -> None:
        self._fill(now)
        self.tokens -= 1

    def full(self, now: float) -> bool:
        self._fill(now)
        return self.tokens >= self.capacity


class Ticket:
    """An admitted question; ``release`` (once) frees its places and times the answer."""

    def __init__(self, throttle: Throttle, asker: Asker) -> None:
        self.throttle, self.asker = throttle, asker
        self.released = False

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.throttle._release(self)


class Throttle:
    """Admits a question (a ``Ticket``) or says why it must wait (a ``Refusal``)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits, self.clock = limits, clock
        self.buckets: dict[int, Bucket] = {}
        self.asking: set[int] = set()
        self.channels: Counter[int] = Counter()
        self.servers: Counter[int] = Counter()
        self.total = 0
        self.workers = 1
        # Seconds an answer takes, averaged (EWMA); the "try again in N s" estimates use it.
        # 1 s to start: the measured p50 of an answer on 2 cores is 0.8 s (docs/benchmarks.md).
        self.mean_seconds = 1.0

    def admit(self, asker: Asker) -> Ticket | Refusal:
        now = self.clock()
        refusal = self._refusal(asker, now)
        if refusal is not None:
            return refusal
        if self.limits.every > 0:
            self.buckets.setdefault(asker.user, Bucket(self.limits, now)).take(now)
        self.asking.add(asker.user)
        self.channels[asker.channel] += 1
        self.servers[asker.server] += 1
        self.total += 1
        return Ticket(self, asker)

    def _refusal(self, asker: Asker, now: float) -> Refusal | None:
        if asker.user in self.asking:
            return Refusal(Why.IN_FLIGHT, self.mean_seconds)
        bucket = self.buckets.get(asker.user)
        wait = bucket.wait(now) if bucket is not None and self.limits.every > 0 else 0.0
        if wait > 0:
            return Refusal(Why.RATE, wait)
        for why, held, cap in (
            (Why.CHANNEL, self.channels[asker.channel], self.limits.per_channel),
            (Why.SERVER, self.servers[asker.server], self.limits.per_server),
            (Why.BUSY, self.total, self.limits.total),
        ):
            if held >= cap:
                return Refusal(why, self.drain_seconds(held - cap + 1))
        return None

    def timed(self, seconds: float) -> None:
        """An answer took ``seconds`` of a worker's time."""
        self.mean_seconds = 0.8 * self.mean_seconds + 0.2 * max(0.05, seconds)

    def drain_seconds(self, places: int) -> float:
        """Roughly how long until ``places`` questions ahead have been answered."""
        return max(1.0, places / max(1, self.workers) * self.mean_seconds)

    def _release(self, ticket: Ticket) -> None:
        asker = ticket.asker
        self.asking.discard(asker.user)
        for counter, key in ((self.channels, asker.channel), (self.servers, asker.server)):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]
        self.total -= 1
        if len(self.buckets) > 10_000:  # a full bucket is the same as none: forget it
            now = self.clock()
            self.buckets = {u: b for u, b in self.buckets.items() if not b.full(now)}
