"""The news tools behind the front door (a part ``Revue`` is composed of): followed feeds,
outlets, timelines, outlet comparisons, and the bot's conversations (answers, votes,
follow-ups), over the state it holds (feeds, answers, votes) and what it asks of the engine
(``Asking``).

Each method is a few lines over its flow package (``following``, ``coverage``,
``conversation``), so that ``engine.py`` keeps to asking and indexing.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from index.conversation import AnswerLog, standalone
from index.coverage.claims import DEPTH as CLAIM_DEPTH
from index.coverage.claims import LIMIT, OnVerdict, check_claim
from index.coverage.compare import DEPTH, compare_outlets
from index.coverage.timeline import build_timeline
from index.errors import NeedsLanguageModel, RevueError
from index.following import Following, PollReport
from index.records import NO_FILTERS, ClaimCheck, Comparison, Filters, Timeline, Unit
from index.search.decision import Judges
from index.storage.states import open_answer_log, open_subscriptions
from index.writing.stance import StanceJudge

if TYPE_CHECKING:
    import numpy as np

    from index.indexing.pipeline import Progress
    from index.model.encoder import Encoder
    from index.records import IndexSummary
    from index.search.candidates import AnswerConfig, Evidence
    from index.search.decision import Baseline
    from index.search.retrieval import Retriever
    from index.settings import Settings
    from index.storage.protocols import Library
    from index.writing.writer import Writer


class Asking(Protocol):
    """What the news tools ask of the engine."""

    @property
    def embedder(self) -> Encoder: ...
    @property
    def answer_config(self) -> AnswerConfig: ...
    @property
    def writer(self) -> Writer | None: ...
    def index(
        self, corpus_paths: Sequence[Path], progress: Progress | None = None, prune: bool = True
    ) -> IndexSummary: ...
    def check_question(self, question: str) -> str: ...
    def baseline(self, query_vec: np.ndarray) -> Baseline: ...
    def reading(self) -> AbstractContextManager[tuple[Retriever, Library]]: ...
    def evidence(self, question: str, k: int = 10, filters: Filters = NO_FILTERS) -> Evidence: ...


class NewsDesk:
    """The news tools: the followed feeds (opened on first use) and the conversations' log."""

    def __init__(self, settings: Settings, engine: Asking) -> None:
        self.settings = settings
        self.engine = engine
        self._lock = threading.Lock()
        self._following: Following | None = None

    @property
    def feeds_dir(self) -> Path:
        return self.settings.feeds_dir or self.settings.data_dir / "feeds"

    @property
    def following(self) -> Following:
        """The followed feeds (in ``state.db`` or the database, opened on first use)."""
        with self._lock:
            following = self._following
            if following is None:
                state = open_subscriptions(self.settings)
                following = self._following = Following(state, self.feeds_dir)
            return following

    def poll(self, force: bool = False) -> PollReport:
        """Poll the feeds that are due (all with ``force``), save their new entries, and index
        the saved entries; answers keep coming from the current index meanwhile."""
        every = dt.timedelta(minutes=self.settings.poll_minutes)
        report = PollReport(self.following.poll(every, force))
        if not report.added:
            return report
        try:
            # The feeds folder alone, adding only: parsing the whole corpus again cost most of a
            # poll at 36,000 articles, and the poller may be any process of a shared database,
            # whose folders need not hold what the others saved.
            return replace(report, index=self.engine.index([], prune=False))
        except RevueError as exc:  # saved all the same: the next poll or reindex indexes them
            return replace(report, index_error=str(exc))

    def outlets(self, filters: Filters = NO_FILTERS) -> list[tuple[str, int]]:
        """Every outlet in the index (of the articles ``filters`` allow), with its article
        count, largest first."""
        with self.engine.reading() as (_, store):
            return store.outlets(filters)

    def timeline(
        self, topic: str, filters: Filters = NO_FILTERS, unit: Unit | None = None
    ) -> Timeline:
        """How many articles (of those ``filters`` allow) match ``topic`` per outlet and per
        ``unit``; by default the unit suits the span (see ``index.coverage.timeline``)."""
        engine = self.engine
        text = engine.check_question(topic)
        qvec = engine.embedder.encode_queries([text])[0]
        baseline = engine.baseline(qvec)
        with engine.reading() as (retriever, _):
            return build_timeline(retriever, text, qvec, baseline, filters, unit or "auto")

    def compare(self, question: str, filters: Filters = NO_FILTERS) -> Comparison:
        """Each outlet's best verbatim quote on ``question``, and the outlets silent on it."""
        engine = self.engine
        evidence = engine.evidence(question, DEPTH, filters)
        judges = Judges(engine.embedder.encode_passages, engine.baseline(evidence.query_vec))
        outlets = self.outlets(filters)
        return compare_outlets(evidence, judges, outlets, engine.answer_config, filters)

    def check(
        self, claim: str, filters: Filters = NO_FILTERS, on_verdict: OnVerdict | None = None,
        limit: int = LIMIT,
    ) -> ClaimCheck:  # fmt: skip
        """What the coverage says about ``claim``, outlet by outlet (the first ``limit``):
        supports it, contradicts it, or does not say, each with its verbatim quote. Needs the
        language model; ``on_verdict`` hears each outlet's verdict as it is judged."""
        engine = self.engine
        text = engine.check_question(claim)
        writer = engine.writer
        if writer is None:
            raise NeedsLanguageModel(
                "checking a claim needs the language model: run `revue model --writer`, "
                "or set REVUE_LLM_URL"
            )
        started = time.perf_counter()
        evidence = engine.evidence(text, CLAIM_DEPTH, filters)
        client = writer.client()
        judge = StanceJudge(client.yes_probability).judge
        embed, baseline = engine.embedder.encode_passages, engine.baseline(evidence.query_vec)
        outlets = self.outlets(filters)
        found = check_claim(evidence, embed, baseline, judge, outlets, limit, on_verdict, filters)
        return replace(found, model=writer.name, seconds=round(time.perf_counter() - started, 1))

    # -- conversations (the bot's answers, votes, follow-ups) ------------------------------
    def answers(self) -> AnswerLog:
        """The answers the bot sent and the votes on them (in ``state.db`` or the database);
        the caller closes it."""
        return open_answer_log(self.settings)

    def standalone(self, previous: str, followup: str) -> str:
        """``followup`` as a question that stands alone, given the ``previous`` question."""
        return standalone(previous, followup, self.settings.max_question_chars)

    def close(self) -> None:
        with self._lock:
            if self._following is not None:
                self._following.close()
            self._following = None
