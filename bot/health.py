"""Whether the bot is well: how late its event loop runs, and the pulse it writes for
``revue health`` (a container's HEALTHCHECK).

``LoopLag``: a task asks to sleep ``every`` seconds and records how much later it woke up.
Anything that holds the loop (a slow call made on it, a worker thread holding the GIL) shows up
as lag; a lag past ``warn`` is logged, since discord.py's heartbeat is sent from the loop too.

``Pulse``: every ``PULSE_EVERY`` seconds the bot writes, from its event loop, whether it is
connected, its loop's lag and how long its oldest question has waited. A pulse that stops (the
loop is stuck, the process is gone), a lost connection, or a question stuck at the desk makes
the bot unhealthy. A file, not a port: it works with no metrics port, and a check inside the
container needs no network.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

PULSE_FILE = "bot-health.json"
PULSE_EVERY = 10.0
# Unhealthy past these. A pulse three beats old means the loop or the process is stuck; the
# longest wait an answer can honestly have is a full queue behind the writer (5 written
# answers at 24.5 s p95 each, docs/benchmarks.md): five minutes is stuck, not busy.
STALE_AFTER = 3 * PULSE_EVERY
STUCK_AFTER = 300.0
LAG_LIMIT = 5.0

log = logging.getLogger(__name__)


class LoopLag:
    """Samples of the event loop's lag, in seconds (the last ``keep``)."""

    def __init__(self, every: float = 0.05, keep: int = 20_000, warn: float = 0.25) -> None:
        self.every, self.warn = every, warn
        self.samples: deque[float] = deque(maxlen=keep)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="revue-loop-lag")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def clear(self) -> None:
        self.samples.clear()

    async def _watch(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.every)
            lag = max(0.0, time.perf_counter() - asked - self.every)
            self.samples.append(lag)
            if lag > self.warn:
                log.warning("the event loop was held for %.0f ms", lag * 1000)

    def recent(self, seconds: float) -> float:
        """The longest lag over about the last ``seconds`` (0 when there is none)."""
        count = max(1, round(seconds / self.every))
        return max(
            (self.samples[-n] for n in range(1, min(count, len(self.samples)) + 1)), default=0.0
        )

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0–100) of the lags kept, 0 when there are none."""
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Pulse:
    """The bot's state at one instant, as ``revue health`` reads it."""

    at: float  # time.time() when written
    connected: bool  # logged in, every shard's gateway open
    lag: float  # the event loop's longest lag over the last beat, in seconds
    longest_wait: float  # seconds the oldest question now at the desk has been there
    trouble: str | None = None  # why the bot cannot answer, as it knows (no index, no model…)

    def problem(self, now: float) -> str | None:
        """Why the bot is unhealthy, or None when it is well."""
        if now - self.at > STALE_AFTER:
            return f"no pulse for {now - self.at:.0f} s (the bot is stuck or stopped)"
        if not self.connected:
            return "not connected to Discord"
        if self.lag > LAG_LIMIT:
            return f"the event loop is held ({self.lag:.1f} s late)"
        if self.longest_wait > STUCK_AFTER:
            return f"a question has waited {self.longest_wait:.0f} s for its answer"
        return self.trouble

    def write(self, path: Path) -> None:
        """Replace the pulse at ``path`` at once (a reader never sees half of one)."""
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(asdict(self)), encoding="utf-8")
        os.replace(temporary, path)


class NoPulse(Exception):
    """No pulse can be read: the bot never started here, or the file is not one."""


def read_pulse(path: Path) -> Pulse:
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
        return Pulse(**fields)
    except FileNotFoundError:
        raise NoPulse(f"no pulse at {path}: the bot has not started (yet)") from None
    except (OSError, ValueError, TypeError) as exc:
        raise NoPulse(f"{path} is not a pulse the bot wrote ({exc})") from None
