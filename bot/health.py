"""How late the event loop runs: the gateway's heartbeats and every reply wait on it.

A task asks to sleep ``every`` seconds and records how much later it woke up. Anything that holds
the loop (a slow call made on it, a worker thread holding the GIL) shows up as lag; a lag past
``warn`` is logged, since discord.py's heartbeat is sent from the loop too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

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

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0–100) of the lags kept, 0 when there are none."""
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]
