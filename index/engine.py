"""The front door: ``Revue`` indexes a corpus and answers questions about it.

The two flows behind it, one sub-package per step:

    an article:  ingest (files, feeds, pages) -> indexing (chunks, wire copies, embeddings,
                 staging) -> storage (SQLite + FAISS, one generation at a time)
    a question:  model (encode it) -> search.retrieval (dense + BM25, fused) -> search.candidates
                 (windows of the best passages, scored) -> search.reading (the reader, where one
                 is set up, reads the first windows) -> search.decision (the windows to quote, or
                 a decline) -> search.citations (numbered verbatim citations, or the decline's
                 text) -> writing (optional: a short answer in the asker's language, each
                 sentence checked against the quotes it cites)

The command line (``cli/``) and the Discord bot (``bot/``) use this class and nothing deeper.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.conversation import AnswerLog
from index.coverage.claims import OnVerdict
from index.coverage.firsts import Tracer
from index.errors import InvalidQuestion
from index.following import Following, PollReport
from index.indexing.pipeline import Progress, run_index
from index.ingest.corpus import load_corpus
from index.model.encoder import Encoder, PairReader
from index.models import Models
from index.newsdesk import NewsDesk
from index.records import (
    NO_FILTERS,
    Answer,
    Article,
    ArticleInfo,
    ClaimCheck,
    Comparison,
    Filters,
    Hit,
    IndexSize,
    IndexSummary,
    SearchMode,
    Timeline,
    Unit,
)
from index.search.candidates import AnswerConfig, Evidence
from index.search.citations import Draft, compose
from index.search.decision import LLM_READING, UNREAD, Baseline, Judges
from index.search.language import detect_language
from index.search.reading import reorder
from index.search.retrieval import Retriever
from index.search.retrievers import Retrievers
from index.settings import Settings
from index.storage.backends import index_writer, move_index, open_index
from index.storage.protocols import Library, MoveReport
from index.text import titled
from index.writing.checking import Support
from index.writing.writer import OnProgress, Writer

log = logging.getLogger("revue")


class Revue:
    """Answers questions about the indexed coverage. Thread-safe for readers.

    The embedding model is loaded on first use; the index is (re)opened whenever a newer
    generation has been written, so a long-running bot picks up a reindex without a restart.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        embedder: Encoder | None = None,
        reader: PairReader | None = None,
    ):
        self.settings = settings or Settings()
        self.models = Models(self.settings, embedder, reader)
        self._lock = threading.RLock()
        self._index = open_index(self.settings)
        self.retrievers = Retrievers(self._index)  # one per thread, as its connection is
        self.desk = NewsDesk(self.settings, self)
        self._answer_config: AnswerConfig | None = None  # set once the reader is known

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @property
    def embedder(self) -> Encoder:
        """The embedding model, loaded on first use (a few seconds)."""
        return self.models.embedder

    @property
    def reader(self) -> PairReader | None:
        """What reads (question, passage) pairs; None where the cosine decides alone."""
        return self.models.reader

    @property
    def writer(self) -> Writer | None:
        """The language model that writes answers from the quotes; None where none is set up."""
        return self.models.writer

    @property
    def reads_slowly(self) -> bool:
        """Whether a language model reads the passages (seconds each)."""
        return self.models.reads_slowly

    @property
    def answer_config(self) -> AnswerConfig:
        """How quotes are chosen and declines decided: the language model's rule where it
        reads, the cosine's otherwise (the two are calibrated apart, docs/benchmarks.md)."""
        if self._answer_config is None:
            self._answer_config = LLM_READING if self.reads_slowly else AnswerConfig()
        return self._answer_config

    @answer_config.setter
    def answer_config(self, config: AnswerConfig) -> None:
        self._answer_config = config

    def load(self) -> None:
        """Load every model now, and start the embedded writer's server where it is the writer
        (the bot calls this off its event loop, so the first answer is quick)."""
        self.models.load()

    # -- writing ----------------------------------------------------------------------------
    def index(
        self, corpus_paths: Sequence[Path], progress: Progress | None = None, prune: bool = True
    ) -> IndexSummary:
        """Index ``corpus_paths`` and the entries saved from followed feeds (which a reindex of
        the corpus alone would otherwise drop): only new or changed articles are embedded;
        articles the corpus lacks are removed, unless ``prune`` is off."""
        paths = [*corpus_paths, *([self.feeds_dir] if self.feeds_dir.is_dir() else [])]
        corpus = load_corpus(paths, (lambda n: progress("parse", n, 0)) if progress else None)
        if progress:
            progress("parse", len(corpus.articles), len(corpus.articles))
        with index_writer(self.settings) as writer:
            return run_index(writer, corpus, self.embedder, progress, prune)

    def migrate_to(
        self, url: str, progress: Callable[[int, int], None] | None = None
    ) -> MoveReport:
        """Copy this engine's embedded index (SQLite + FAISS) into the PostgreSQL database at
        ``url``, vectors included: nothing is embedded again; an interrupted copy resumes."""
        return move_index(self.settings, url, progress)

    def is_indexed(self) -> bool:
        return self._index.exists()

    def size(self) -> IndexSize | None:
        """The index's articles, chunks and generation; None before the first index."""
        if not self.is_indexed():
            return None
        with self.reading() as (_, library):
            return library.index_size()

    # -- reading ----------------------------------------------------------------------------
    def retriever(self) -> Retriever:
        """The current index's retriever (a new one when something was committed since)."""
        return self.retrievers.current()

    def reading(self) -> AbstractContextManager[tuple[Retriever, Library]]:
        """This thread's retriever and the articles of one snapshot of the index, every read
        under it made at one instant (see ``IndexReader.reading``)."""
        return self.retrievers.reading()

    def check_question(self, question: str) -> str:
        text = (question or "").strip()
        # Zero-width, format and control characters alone (U+200B, NUL) say nothing either.
        if not any(c.isprintable() and not c.isspace() for c in text):
            raise InvalidQuestion("the question is empty")
        limit = self.settings.max_question_chars
        if len(text) > limit:
            raise InvalidQuestion(
                f"the question is {len(text)} characters long; the limit is {limit}"
            )
        return text

    def search(
        self,
        query: str,
        k: int = 10,
        mode: SearchMode = "hybrid",
        rerank: bool = True,
        filters: Filters = NO_FILTERS,
    ) -> list[Hit]:
        """The best passages of the articles ``filters`` allow; in hybrid mode the reader
        reorders the first ``settings.rerank``."""
        text = self.check_question(query)
        self.retriever()  # IndexMissing before any model work is spent on a question
        qvec = self.embedder.encode_queries([text])[0]
        depth = self.settings.rerank if rerank and mode == "hybrid" else 0
        reader = self.reader if depth else None  # not even loaded when nothing is reordered
        with self.reading() as (retriever, store):
            hits = retriever.search(text, qvec, k=max(k, depth), mode=mode, filters=filters)
            top_ids = {h.article_id for h in hits[:depth]}
            articles = _articles(store, top_ids) if reader else {}
        if reader is not None:
            top = hits[:depth]
            texts = [titled(articles[h.article_id].title, h.text) for h in top]
            hits = reorder(top, texts, text, reader.score) + hits[depth:]
        return hits[:k]

    def evidence(self, question: str, k: int = 10, filters: Filters = NO_FILTERS) -> Evidence:
        """The question's vector, the best passages (of the articles ``filters`` allow), their
        articles and their wire copies."""
        text = self.check_question(question)
        self.retriever()  # IndexMissing before any model work is spent on a question
        translated = self._french(text)
        asked = translated or text
        qvec = self.embedder.encode_queries([asked])[0]
        with self.reading() as (retriever, store):
            hits = retriever.search(asked, qvec, k=k, filters=filters)
            articles = _articles(store, {h.article_id for h in hits})
            copies = store.copies_of(articles)
            coverage = store.coverage()
        return Evidence(text, qvec, tuple(hits), articles, copies, coverage, translated)

    def _french(self, question: str) -> str | None:
        """An English question in French, where the settings translate (see ``translate``)."""
        wanted = self.settings.translate
        if wanted == "off" or (wanted == "auto" and not self.reads_slowly):
            return None
        if detect_language(question) != "en":
            return None
        return self.models.french(question)

    def ask(self, question: str, k: int = 10, filters: Filters = NO_FILTERS) -> Answer:
        """Numbered verbatim quotes that answer ``question`` from the articles ``filters``
        allow, or a decline."""
        return replace(self.answer(self.evidence(question, k, filters)), filters=filters)

    def answer(self, evidence: Evidence, read: bool = True) -> Answer:
        """The quotes of ``evidence`` that answer its question, as the reader (or, without one
        or with ``read`` off, the cosine) decides, or a decline."""
        reader = self.reader if read else None
        judges = Judges(
            self.embedder.encode_passages,
            self.baseline(evidence.query_vec),
            reader.score if reader is not None else None,
        )
        config = self.answer_config if read else UNREAD
        answer = compose(evidence, judges, config)
        # Traced once, on the answer shown in the end: a draft that will be read is not.
        if read and self.settings.first_reports:
            try:
                answer = self.tracer.trace(answer, evidence.articles)
            except Exception as exc:  # the first reports decorate an answer: never lose it
                log.warning("the first reports of %r were not traced: %s", evidence.question, exc)
        return answer

    @property
    def tracer(self) -> Tracer:
        """Finds who stated each quoted fact first (index.coverage.firsts)."""
        return Tracer(self._similar, self.embedder.encode_passages, self._fetch)

    def _similar(self, text: str, k: int) -> list[Hit]:
        query = text[: self.settings.max_question_chars]
        qvec = self.embedder.encode_queries([query])[0]
        with self.reading() as (retriever, _):
            return retriever.search(query, qvec, k=k, distinct=False)

    def _fetch(self, ids: set[str]) -> dict[str, Article]:
        with self.reading() as (_, store):
            return _articles(store, ids)

    def draft(self, question: str, k: int = 10, filters: Filters = NO_FILTERS) -> Draft:
        """The answer to show at once: where a language model reads (seconds a passage), the
        cosine's quotes, undeclined, for ``read`` to finish; otherwise the answer itself."""
        evidence = self.evidence(question, k, filters)
        slow = self.reads_slowly
        answer = self.answer(evidence, read=not slow)
        # Declined unread (nothing found, or a name no passage mentions): reading would too.
        return Draft(evidence, replace(answer, filters=filters), slow and not answer.abstained)

    def read(self, draft: Draft) -> Answer:
        """The answer ``draft`` becomes once the reader has read its passages."""
        if not draft.pending:
            return draft.answer
        return replace(self.answer(draft.evidence), filters=draft.answer.filters)

    def write(self, answer: Answer, on_progress: OnProgress | None = None) -> Answer:
        """``answer`` with a short written answer from its quotes, where a writer is set up and
        it did not decline; ``answer.written`` says what was kept, dropped, or why none is shown."""
        writer = self.writer
        if writer is None or answer.abstained:
            return answer
        support = self.support([c.quote for c in answer.citations])
        return replace(answer, written=writer.write(answer, support, on_progress))

    def will_gloss(self, answer: Answer) -> bool:
        """Whether ``gloss`` would translate any of ``answer``'s quotes (cheap: no model)."""
        glosser = self.models.glosser
        return glosser is not None and bool(glosser.wanted(answer))

    def gloss(self, answer: Answer) -> Answer:
        """``answer`` with a checked translation beside each of its first 3 quotes that is in
        another language than the question (REVUE_GLOSS; none without a language model)."""
        glosser = self.models.glosser
        return answer if glosser is None else glosser.gloss_answer(answer)

    def support(self, quotes: Sequence[str]) -> Support:
        """How strongly each of ``quotes`` supports a sentence: its cosine to the quote, in
        standard deviations of its cosines to unrelated news sentences. The quotes are encoded
        once, here, for every sentence checked against them."""
        quote_vecs = self.embedder.encode_passages(list(quotes))

        def score(sentence: str) -> list[float]:
            vec = self.embedder.encode_queries([sentence])[0]
            baseline = self.baseline(vec)
            return [baseline.relevance(float(s)) for s in quote_vecs @ vec]

        return score

    def baseline(self, query_vec: np.ndarray) -> Baseline:
        """The question's cosines to unrelated news sentences (the abstention reference)."""
        return self.models.baseline(query_vec)

    def sources(self) -> list[ArticleInfo]:
        with self.reading() as (_, store):
            return store.articles_info()

    def article(self, article_id: str) -> Article | None:
        with self.reading() as (_, store):
            return store.article(article_id)

    def scratch_for(self, corpus: Sequence[Path]) -> Revue:
        """An engine with its own data directory for this set of corpus paths."""
        joined = "\n".join(str(Path(p).resolve()) for p in corpus)
        return self.scratch(hashlib.sha256(joined.encode()).hexdigest()[:12])

    def scratch(self, key: str) -> Revue:
        """An engine over its own data directory (for evaluations), sharing the models."""
        settings = self.settings.model_copy(update={"data_dir": self.data_dir / "eval" / key})
        return Revue(settings, self.embedder, self.reader)

    def close(self) -> None:
        with self._lock:
            self.retrievers.close()
            self.models.close()
            self.desk.close()

    # -- the news tools (index/newsdesk.py) --------------------------------------------------
    @property
    def feeds_dir(self) -> Path:
        return self.desk.feeds_dir

    @property
    def following(self) -> Following:
        return self.desk.following

    def poll(self, force: bool = False) -> PollReport:
        return self.desk.poll(force)

    def outlets(self, filters: Filters = NO_FILTERS) -> list[tuple[str, int]]:
        return self.desk.outlets(filters)

    def timeline(
        self, topic: str, filters: Filters = NO_FILTERS, unit: Unit | None = None
    ) -> Timeline:
        return self.desk.timeline(topic, filters, unit)

    def compare(self, question: str, filters: Filters = NO_FILTERS) -> Comparison:
        return self.desk.compare(question, filters)

    def check(
        self, claim: str, filters: Filters = NO_FILTERS, on_verdict: OnVerdict | None = None
    ) -> ClaimCheck:
        return self.desk.check(claim, filters, on_verdict)

    def answers(self) -> AnswerLog:
        return self.desk.answers()

    def standalone(self, previous: str, followup: str) -> str:
        return self.desk.standalone(previous, followup)


def _articles(store: Library, ids: set[str]) -> dict[str, Article]:
    found = {article_id: store.article(article_id) for article_id in ids}
    return {article_id: a for article_id, a in found.items() if a is not None}
