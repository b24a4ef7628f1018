"""What search asks of storage, in domain terms: the public face of ``index/storage``.

Retrieval, selection and the timeline type against these protocols, never against ``Store`` or
``VectorIndex``: the SQLite + FAISS index is the first implementation, and a second backend
(issue 23: PostgreSQL with pgvector) implements the same methods. Ids are chunk ids; filters
are ``Filters`` records; results are plain values and frozen records, never rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from index.records import (
    Answer,
    AnswerRecord,
    Article,
    ArticleInfo,
    Chunk,
    Copy,
    Coverage,
    Feedback,
    Filters,
    IndexSize,
    VoteKind,
)
from index.storage.feed_status import FeedStatus

# Chunk ids -> those of them a filter allows.
Keep = Callable[[Sequence[int]], Collection[int]]


@dataclass(frozen=True)
class StoredChunk(Chunk):
    """A chunk as read back from storage, with its id (the vector index's id)."""

    id: int


class NearestChunks(Protocol):
    """Dense search over the chunks' vectors."""

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest chunk ids, best first, with cosines; among ``allowed`` if given."""
        ...


class ChunkReader(Protocol):
    """The chunks of one consistent snapshot of the index: keyword and phrase search, the
    chunks and their vectors, and what filters and wire groups allow."""

    def stem_search(
        self, stems: Sequence[str], k: int, keep: Keep | None = None, share: float = 1.0
    ) -> list[tuple[int, float]]: ...

    def phrase_search(
        self, runs: Sequence[str], k: int, keep: Keep | None = None, share: float = 1.0
    ) -> list[tuple[int, str]]: ...

    def matching(
        self, stems: Sequence[Sequence[str]], words: Sequence[str], filters: Filters
    ) -> set[int]:
        """Every chunk (of the articles ``filters`` allow) holding, for each group of
        ``stems``, one of its stems, and every one of ``words`` as written; unranked."""
        ...

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]: ...

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]: ...

    def chunk_ids(self, filters: Filters) -> np.ndarray: ...

    def checker(self, filters: Filters) -> Keep: ...

    def article_share(self, filters: Filters) -> float: ...

    def groups_of(self, article_ids: Iterable[str]) -> dict[str, str]: ...

    def bylines(self, article_ids: Sequence[str]) -> dict[str, Copy]: ...


class Library(ChunkReader, Protocol):
    """A snapshot's articles: what a question's answer and the news tools read besides chunks."""

    def article(self, article_id: str) -> Article | None: ...

    def copies_of(self, article_ids: Iterable[str]) -> dict[str, tuple[Copy, ...]]: ...

    def coverage(self) -> Coverage: ...

    def index_size(self) -> IndexSize: ...

    def articles_info(self) -> list[ArticleInfo]: ...

    def outlets(self, filters: Filters) -> list[tuple[str, int]]: ...


@dataclass(frozen=True)
class Snapshot:
    """One consistent view of the index: its articles and chunks, and its vectors. A new
    ``vectors`` or ``store`` object means something was committed since the last snapshot
    (what a retriever keeps about the index is then stale)."""

    store: Library
    vectors: NearestChunks


class IndexReader(Protocol):
    """The index as the engine reads it, from any thread."""

    def exists(self) -> bool: ...

    def reading(self) -> AbstractContextManager[Snapshot]:
        """A snapshot whose every read is made at one instant (``IndexMissing`` before the
        first index)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class NewArticle:
    """An article with its chunks and their vectors, ready to be staged."""

    article: Article
    chunks: tuple[Chunk, ...]
    vectors: np.ndarray


@dataclass(frozen=True)
class Staged:
    """What one run staged and now commits: the articles added and changed (their chunks are
    staged), the ids removed, new wire signatures and every article's wire group."""

    added: tuple[Article, ...]
    changed: tuple[Article, ...]
    removed: tuple[str, ...]
    signatures: Mapping[str, bytes]
    groups: Mapping[str, str | None]


class IndexWriter(Protocol):
    """One indexing run's view of the index: what is indexed, a staging area that survives a
    crash, and the commit that makes the staged work live in one step."""

    def model(self) -> str | None:
        """The fingerprint of the model the live index was embedded with (None: empty)."""
        ...

    def article_hashes(self) -> dict[str, str]: ...

    def signed_ids(self) -> set[str]: ...

    def signatures(self) -> dict[str, bytes]: ...

    def publication_order(self) -> dict[str, tuple[str, str]]: ...

    def staged_for(self, fingerprint: str, keep: Mapping[str, str]) -> dict[str, str]:
        """Forget staged work of another model or of articles not in ``keep`` (id -> content
        hash); what stays staged, as id -> content hash."""
        ...

    def stage(self, items: Sequence[NewArticle]) -> None: ...

    def commit(self, staged: Staged, dim: int, meta: Mapping[str, str]) -> None: ...

    def refresh(self) -> None:
        """Nothing changed: repair what is derived (the embedded index's FAISS file)."""
        ...

    def counts(self) -> tuple[int, int]: ...

    def group_count(self) -> int: ...


@dataclass(frozen=True)
class MoveReport:
    """What copying an index into another backend did (``revue migrate``)."""

    target: str  # where to, without credentials (host:port/database)
    articles: int  # in the target now
    copied: int  # articles copied by this run (staged by an earlier one included)
    resumed: int  # of them, staged by an interrupted earlier run
    unchanged: int  # already in the target with the same content
    removed: int  # in the target, not in the index copied
    chunks: int  # chunks (and vectors) in the target now
    dim: int
    seconds: float
    state: Mapping[str, int] = field(default_factory=dict)  # rows copied: feeds, answers…


class FeedState(Protocol):
    """The followed feeds and what each poll found (``Subscriptions`` in ``state.db``, or
    PostgreSQL's ``feeds`` table); thread-safe. ``states.open_subscriptions`` opens one."""

    def close(self) -> None: ...

    def polling(self) -> AbstractContextManager[bool]:
        """Held around a poll: True when this process may poll, False when another one is
        polling now (then it polls nothing, so that each due feed is fetched once)."""
        ...

    def add(self, url: str, title: str | None, now: dt.datetime) -> FeedStatus: ...

    def remove(self, url: str) -> FeedStatus: ...

    def get(self, url: str) -> FeedStatus | None: ...

    def all(self) -> tuple[FeedStatus, ...]: ...

    def read(self, feed: FeedStatus, now: dt.datetime, headers: dict[str, str | None]) -> None:
        """A poll read the feed (200 or 304): validators kept, failures forgotten."""
        ...

    def failed(self, feed: FeedStatus, now: dt.datetime, error: str) -> FeedStatus:
        """A poll failed: the next try waits longer (``feed_status.retry_wait``)."""
        ...

    def seen(self, feed_url: str) -> set[str]: ...

    def saved_files(self) -> dict[str, str]: ...

    def remember(self, feed_url: str, entries: dict[str, str | None], now: dt.datetime) -> None:
        """Record entries as saved (key -> corpus file, or None when it was already there)."""
        ...


class AnswerStore(Protocol):
    """The answers the bot sent and one vote per user per answer (``AnswerLog`` in
    ``state.db``, or PostgreSQL's ``answers`` and ``votes``); thread-safe.
    ``states.open_answer_log`` opens one; the caller closes it."""

    def close(self) -> None: ...

    def record(
        self,
        question: str,
        answer: Answer,
        previous_id: int | None = None,
        channel_id: int | None = None,
    ) -> AnswerRecord: ...

    def revise(self, answer_id: int, answer: Answer) -> None: ...

    def sent(self, answer_id: int, channel_id: int, message_id: int) -> None: ...

    def get(self, answer_id: int) -> AnswerRecord:
        """The answer ``answer_id`` (``AnswerNotFound`` when none is remembered)."""
        ...

    def by_message(self, message_id: int) -> AnswerRecord | None: ...

    def latest_in(self, channel_id: int) -> AnswerRecord | None: ...

    def vote(self, answer_id: int, user_id: int, vote: VoteKind) -> VoteKind | None:
        """Record ``user_id``'s vote, replacing theirs; returns the one it replaced."""
        ...

    def feedback(self, vote: VoteKind | None = None) -> list[Feedback]: ...


@dataclass(frozen=True)
class ServerConfig:
    """What a Discord server's managers set with ``/settings``. None: not set, so the bot's
    environment default applies (``REVUE_CHANNELS``, ``REVUE_NEWS_CHANNEL``,
    ``REVUE_THREAD_WHEN_BUSY``); a manager who turns a default off stores "nothing" instead:
    no channels ``()``, news channel ``NEWS_OFF``, busy threads 0 (never)."""

    server_id: int
    channels: tuple[int, ...] | None = None  # channels where every message is a question
    news_channel: int | None = None  # where new feed articles are announced
    thread_when_busy: int | None = None  # messages per minute above which answers get a thread

    def is_empty(self) -> bool:
        """Nothing is set: every default applies."""
        return self.channels is None and self.news_channel is None and self.thread_when_busy is None


# A news channel turned off: Discord ids are never 0, and a column of ids keeps it plainly.
NEWS_OFF = 0


class ServerSettings(Protocol):
    """Each Discord server's ``ServerConfig`` (``state.db``'s ``server_settings`` table, or
    PostgreSQL's); thread-safe. ``states.open_server_settings`` opens one; the caller closes it."""

    def close(self) -> None: ...

    def get(self, server_id: int) -> ServerConfig:
        """The server's settings (all None when nothing is stored for it)."""
        ...

    def all(self) -> tuple[ServerConfig, ...]:
        """Every server with something set, by id."""
        ...

    def update(
        self, server_id: int, change: Callable[[ServerConfig], ServerConfig]
    ) -> ServerConfig:
        """Store ``change(current)`` in one transaction, so that two managers changing the same
        server at once (e.g. each adding a channel) both count; returns what is stored now."""
        ...
