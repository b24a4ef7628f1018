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
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from index.errors import InvalidFilter, InvalidQuestion
from index.records import Answer, IndexSize

log = logging.getLogger(__name__)

# Seconds: the quotes take 0.8 s (p50) on 2 cores, reading and writing 10 to 25 s each
# (docs/benchmarks.md), a wait in line anything up to minutes.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)
STAGES = ("wait", "draft", "read", "write", "send")


class MetricsUnavailable(Exception):
    """The metrics endpoint cannot listen where it was told to; the message names the setting."""


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
            "Questions refused: by the fair limits, or invalid (empty, too long, a bad filter)",
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
        self.failing = 0  # questions failed in a row: the health check's "still answering"
        self._server: WSGIServer | None = None
        self.port: int | None = None

    # Each question is counted once when it comes (``asked``) and once more by its outcome:
    # ``answered`` (quotes or a decline, once read), ``refused`` or ``failed``.
    def asked(self, server: int) -> None:
        self.questions.labels(server_label(server)).inc()

    def answered(self, server: int, answer: Answer) -> None:
        """A question's final answer: quotes, or a decline."""
        counter = self.declines if answer.abstained else self.answers
        counter.labels(server_label(server)).inc()
        self.failing = 0

    def refused(self, server: int, why: str) -> None:
        self.refusals.labels(server_label(server), why).inc()

    def failed(self, server: int) -> None:
        self.failures.labels(server_label(server)).inc()
        self.failing += 1

    def ended(self, server: int, error: BaseException) -> None:
        """A question that ended in ``error``: refused (the fair limits, an invalid question
        or filter) or failed (anything else)."""
        why = refused_because(error)
        if why is None:
            self.failed(server)
        else:
            self.refused(server, why)

    @contextmanager
    def question(self, server: int) -> Iterator[None]:
        """Count a question, and its outcome when it ends in an exception (which goes on)."""
        self.asked(server)
        try:
            yield
        except Exception as exc:
            self.ended(server, exc)
            raise

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
        """Serve ``/metrics`` on ``host:port`` (0: any free port); the port.
        ``MetricsUnavailable`` when that address cannot be taken."""
        try:
            server, _ = start_http_server(port, host, registry=self.registry)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise MetricsUnavailable(
                f"REVUE_METRICS_PORT={port}: cannot serve metrics on {host}:{port} ({reason})"
            ) from None
        self._server = server
        self.port = server.server_port
        log.info("metrics at http://%s:%d/metrics", host, self.port)
        return self.port

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def refused_because(error: BaseException) -> str | None:
    """Why a question was refused, or None when ``error`` is a failure."""
    refusal = getattr(error, "refusal", None)  # bot.desk.Refused: the fair limits
    if refusal is not None:
        return str(refusal.why.value)
    cause = getattr(error, "original", None) or error  # as the command tree wraps it
    if isinstance(cause, InvalidQuestion | InvalidFilter):
        return "invalid"
    return None


def server_label(server: int) -> str:
    """The label of a server: its id, or ``dm`` for direct messages."""
    return str(server) if server else "dm"
