"""The bot's Prometheus metrics, served at ``REVUE_METRICS_PORT`` when it is set: questions and
what became of them per server, how long each stage took, what waits, how the event loop keeps
time, the index's size and generation, and the feed polls.

``prometheus_client`` is imported in this module only. Each bot has a registry of its own (two
bots in one test process count apart), served from the library's own HTTP thread: a scrape
reads counters and a few numbers the bot keeps, never the engine, so it cannot wait behind an
answer. Servers are labelled by id: a label per server is fine for the tens of servers a
self-hosted bot is in; past thousands, drop the label with a relabelling rule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from index.records import Answer, IndexSize

log = logging.getLogger(__name__)

# Seconds: the quotes take 0.8 s (p50) on 2 cores, reading and writing 10 to 25 s each
# (docs/benchmarks.md), a wait in line anything up to minutes.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)
STAGES = ("wait", "draft", "read", "write", "send")


class Metrics:
    """The counters, histograms and gauges of one bot, and their HTTP endpoint."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        per_server = ["server"]
        self.questions = Counter(
            "revue_questions", "Questions asked (refused ones included)", per_server, registry=r
        )
        self.answers = Counter(
            "revue_answers", "Questions answered with quotes", per_server, registry=r
        )
        self.declines = Counter(
            "revue_declines", "Questions the coverage does not answer", per_server, registry=r
        )
        self.refusals = Counter(
            "revue_refusals",
            "Questions refused by the fair limits",
            [*per_server, "why"],
            registry=r,
        )
        self.failures = Counter(
            "revue_failures", "Questions that failed with an error", per_server, registry=r
        )
        self.stages = Histogram(
            "revue_stage_seconds",
            "Seconds per stage: wait (for a worker), draft (search and quotes), read (the "
            "reader's decision), write (the written answer), send (to Discord)",
            ["stage"],
            buckets=BUCKETS,
            registry=r,
        )
        self.polls = Counter(
            "revue_feed_polls",
            "Polls of one followed feed, by outcome (failed: the feed could not be read)",
            ["outcome"],
            registry=r,
        )
        self.poll_errors = Counter(
            "revue_feed_poll_errors",
            "Rounds of polls that failed as a whole, or whose new entries were not indexed",
            registry=r,
        )
        self.sizes = {
            "articles": Gauge("revue_index_articles", "Articles indexed", registry=r),
            "chunks": Gauge("revue_index_chunks", "Passages indexed", registry=r),
            "generation": Gauge(
                "revue_index_generation", "Commits that made the index", registry=r
            ),
        }
        self._server: WSGIServer | None = None
        self.port: int | None = None

    def answered(self, server: int, answer: Answer) -> None:
        """A question's final answer: quotes, or a decline."""
        counter = self.declines if answer.abstained else self.answers
        counter.labels(server_label(server)).inc()

    def failed(self, server: int) -> None:
        self.failures.labels(server_label(server)).inc()

    def timed(self, stage: str) -> AbstractContextManager[object]:
        """Time the block as ``stage``."""
        timer: AbstractContextManager[object] = self.stages.labels(stage).time()
        return timer

    def watch(self, name: str, doc: str, read: Callable[[], float]) -> None:
        """A gauge read when scraped (``read`` must be quick and thread-safe)."""
        Gauge(name, doc, registry=self.registry).set_function(read)

    def index(self, size: IndexSize | None) -> None:
        """The index's size, as last read by the bot (absent before the first index)."""
        if size is None:
            return
        for name, gauge in self.sizes.items():
            gauge.set(getattr(size, name))

    def serve(self, port: int, host: str = "0.0.0.0") -> int:  # noqa: S104 - a container's port
        """Serve ``/metrics`` on ``host:port`` (0: any free port); the port."""
        server, _ = start_http_server(port, host, registry=self.registry)
        self._server = server
        self.port = server.server_port
        log.info("metrics at http://%s:%d/metrics", host, self.port)
        return self.port

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def server_label(server: int) -> str:
    """The label of a server: its id, or ``dm`` for direct messages."""
    return str(server) if server else "dm"
