"""The state (followed feeds, answers, votes) behaves the same in ``state.db`` and in
PostgreSQL: the same records back, the same back-off, the same votes; answers and votes survive a
reopen; and each backend's own part: SQLite lets every process poll, PostgreSQL one at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index.errors import AnswerNotFound, FeedError
from index.records import Answer, Citation, Copy
from index.settings import Settings
from index.storage.states import (
    FIRST_RETRY,
    LONGEST_RETRY,
    AnswerStore,
    FeedState,
    open_answer_log,
    open_subscriptions,
)

NOW = dt.datetime(2025, 12, 1, 12, tzinfo=dt.UTC)
FEED = "http://127.0.0.1/rss"
CITATION = Citation(
    n=1, article_id="a1", title="Titre", source="Le Midi", date="2025-12-01", url=None,
    quote="« Une citation » exacte", start=3, end=25, score=0.8125,
    also_in=(Copy("a2", "AFP", "2025-12-01", None, "Titre"),),
)  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path, backend: dict[str, Any]) -> Settings:
    return Settings(data_dir=tmp_path / "data", **backend)


@pytest.fixture
def feeds(settings: Settings) -> Iterator[FeedState]:
    state = open_subscriptions(settings)
    yield state
    state.close()


@pytest.fixture
def log(settings: Settings) -> Iterator[AnswerStore]:
    answers = open_answer_log(settings)
    yield answers
    answers.close()


def test_a_followed_feed_is_listed_in_order_and_refused_twice(feeds: FeedState) -> None:
    first = feeds.add(FEED, "Le Midi", NOW)
    feeds.add("http://127.0.0.1/b", None, NOW)  # the same second: still after the first
    feeds.add("http://127.0.0.1/a", "A", NOW)
    assert first.url == FEED and first.title == "Le Midi" and first.added_at == NOW
    assert first.checked_at is None and first.failures == 0 and first.saved == 0
    assert [f.url for f in feeds.all()] == [FEED, "http://127.0.0.1/b", "http://127.0.0.1/a"]
    with pytest.raises(FeedError, match="already followed"):
        feeds.add(FEED, "again", NOW)
    assert feeds.remove(FEED) == first
    assert feeds.get(FEED) is None
    with pytest.raises(FeedError, match="is not followed"):
        feeds.remove(FEED)


def test_failures_back_off_and_a_read_forgets_them(feeds: FeedState) -> None:
    feed = feeds.add(FEED, "Le Midi", NOW)
    failed = feeds.failed(feed, NOW, "HTTP 503 " + "x" * 1000)
    assert failed.failures == 1 and failed.retry_at == NOW + FIRST_RETRY
    assert failed.checked_at == NOW and failed.error is not None and len(failed.error) == 500
    assert not failed.due(NOW + FIRST_RETRY / 2, dt.timedelta(minutes=30))
    again = feeds.failed(failed, NOW, "down")
    assert again.retry_at == NOW + 2 * FIRST_RETRY and again.error == "down"
    many = again
    for _ in range(20):
        many = feeds.failed(many, NOW, "down")
    assert many.retry_at == NOW + LONGEST_RETRY
    later = NOW + dt.timedelta(hours=1)
    feeds.read(many, later, {"etag": '"v2"', "last_modified": "Mon, 01 Dec 2025"})
    read = feeds.get(FEED)
    assert read is not None and read.failures == 0 and read.retry_at is None
    assert read.error is None and read.ok_at == later and read.etag == '"v2"'
    feeds.read(read, later, {})  # a 304 keeps the validators
    kept = feeds.get(FEED)
    assert kept is not None and kept.etag == '"v2"' and kept.last_modified == "Mon, 01 Dec 2025"


def test_an_error_with_bytes_no_database_keeps_is_still_recorded(feeds: FeedState) -> None:
    feed = feeds.add(FEED, "Le \x00 Midi", NOW)
    failed = feeds.failed(feed, NOW, "malformed \x00 XML")
    assert failed.failures == 1 and (failed.error or "").startswith("malformed ")


def test_saved_entries_are_remembered_once_and_counted(feeds: FeedState) -> None:
    feeds.add(FEED, "Le Midi", NOW)
    feeds.add("http://127.0.0.1/other", None, NOW)
    feeds.remember(FEED, {"http://x/1": "feeds/1.md", "http://x/2": None}, NOW)
    feeds.remember(FEED, {"http://x/3": "feeds/3.md"}, NOW)
    feeds.remember(FEED, {}, NOW)
    assert feeds.seen(FEED) == {"http://x/1", "http://x/2", "http://x/3"}
    assert feeds.seen("http://127.0.0.1/other") == set()
    assert feeds.saved_files() == {"http://x/1": "feeds/1.md", "http://x/3": "feeds/3.md"}
    status = feeds.get(FEED)
    assert status is not None and status.saved == 2
    feeds.remove(FEED)
    assert feeds.seen(FEED) == set() and feeds.saved_files() == {}


def test_answers_are_recorded_revised_sent_and_found(log: AnswerStore) -> None:
    answer = Answer("Who said it?", "Le Midi did [1].", False, "en", citations=(CITATION,))
    first = log.record("who said it", answer, channel_id=7)
    assert first.question == "who said it" and first.asked == "Who said it?"
    assert first.citations == (CITATION,) and first.message_id is None
    assert log.latest_in(7) is None  # not sent yet
    follow = log.record("and then?", Answer("And then?", "…", True, "en"), previous_id=first.id)
    assert follow.id > first.id and follow.previous_id == first.id and follow.abstained
    log.sent(first.id, 7, 1001)
    log.sent(follow.id, 7, 1002)
    assert log.by_message(1001) == log.get(first.id)
    assert log.latest_in(7) == log.get(follow.id)
    assert log.by_message(999) is None
    log.revise(first.id, Answer("Who said it?", "The coverage does not say.", True, "en"))
    revised = log.get(first.id)
    assert revised.abstained and revised.citations == () and revised.message_id == 1001
    with pytest.raises(AnswerNotFound):
        log.get(10_000)


def test_text_no_database_can_keep_is_kept_as_the_same_replacement(log: AnswerStore) -> None:
    typed = "bad \ud800 and \x00 nul"
    kept = log.record(typed, Answer(typed, typed, False, "en"))
    assert kept.question == kept.asked == kept.answer == "bad \ufffd and \ufffd nul"


def test_votes_replace_each_other_and_are_listed_latest_first(log: AnswerStore) -> None:
    a = log.record("q1", Answer("q1", "a1", False, "en")).id
    b = log.record("q2", Answer("q2", "a2", False, "en")).id
    big = 2**62  # Discord snowflakes need 64 bits
    assert log.vote(a, big, "up") is None
    assert log.vote(a, big, "down") == "up"
    assert log.vote(b, 2, "down") is None
    with pytest.raises(ValueError, match="'up' or 'down'"):
        log.vote(a, 3, "maybe")  # type: ignore[arg-type]
    with pytest.raises(AnswerNotFound):
        log.vote(10_000, 3, "up")
    every = log.feedback()
    assert [(f.answer.id, f.user_id, f.vote) for f in every] == [(b, 2, "down"), (a, big, "down")]
    assert all(dt.datetime.fromisoformat(f.voted_at).tzinfo is not None for f in every)
    assert [f.answer.question for f in log.feedback("down")] == ["q2", "q1"]
    assert log.feedback("up") == []


def test_answers_and_votes_survive_a_reopen(settings: Settings) -> None:
    first = open_answer_log(settings)
    kept = first.record("q?", Answer("q?", "a", False, "fr", citations=(CITATION,)))
    first.sent(kept.id, 5, 6)
    first.vote(kept.id, 9, "down")
    first.close()
    again = open_answer_log(settings)
    try:
        assert again.by_message(6) == first_sent(kept, 5, 6)
        (vote,) = again.feedback()
        assert vote.user_id == 9 and vote.vote == "down" and vote.answer.citations == (CITATION,)
    finally:
        again.close()


def first_sent(record: Any, channel_id: int, message_id: int) -> Any:
    from dataclasses import replace

    return replace(record, channel_id=channel_id, message_id=message_id)


def test_feeds_survive_a_reopen(settings: Settings) -> None:
    first = open_subscriptions(settings)
    first.add(FEED, "Le Midi", NOW)
    first.remember(FEED, {"http://x/1": "feeds/1.md"}, NOW)
    first.close()
    again = open_subscriptions(settings)
    try:
        (feed,) = again.all()
        assert feed.url == FEED and feed.saved == 1 and again.seen(FEED) == {"http://x/1"}
    finally:
        again.close()


def test_sqlite_lets_every_process_poll_as_before(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    one, two = open_subscriptions(settings), open_subscriptions(settings)
    try:
        with one.polling() as first, two.polling() as second:
            assert first and second
    finally:
        one.close()
        two.close()
