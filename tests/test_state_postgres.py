"""What only the PostgreSQL state does: one process polls the feeds at a time (an advisory
lock), several processes migrate a new database at once, and a server that goes away gives a
clear ``DatabaseUnavailable`` and then works again, with the same objects, once it is back."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest

from index.errors import DatabaseUnavailable, PollingElsewhere
from index.following import Following
from index.ingest.web import FeedResponse
from index.records import Answer
from index.settings import Settings
from index.storage.states import open_answer_log, open_subscriptions
from tests.pg import TemporaryPostgres

EVERY = dt.timedelta(minutes=30)
FEED = "http://127.0.0.1/rss"


def settings_for(url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=url)


class SlowFeed:
    """A feed fetch that waits until the test lets it go: a poll held in the middle."""

    def __init__(self) -> None:
        self.fetching = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, url: str, *validators: Any) -> FeedResponse:
        self.calls += 1
        self.fetching.set()
        assert self.release.wait(30)
        return FeedResponse(None, None, None)  # a 304: nothing new


def test_one_process_polls_the_due_feeds_the_others_poll_nothing(
    pg_url: str, tmp_path: Path
) -> None:
    settings = settings_for(pg_url, tmp_path)
    slow, other = SlowFeed(), SlowFeed()
    # Two Followings with connections of their own, as two bot processes have.
    first = Following(open_subscriptions(settings), tmp_path / "feeds", get=slow)
    second = Following(open_subscriptions(settings), tmp_path / "feeds", get=other)
    try:
        first.subscriptions.add(FEED, "Le Midi", dt.datetime.now(dt.UTC))
        with ThreadPoolExecutor(1) as pool:
            polling = pool.submit(first.poll, EVERY)
            assert slow.fetching.wait(30)
            with pytest.raises(PollingElsewhere, match="another process is polling"):
                second.poll(EVERY, force=True)
            slow.release.set()
            (polled,) = polling.result(30)
        assert polled.outcome == "unchanged" and slow.calls == 1 and other.calls == 0
        other.release.set()
        (again,) = second.poll(EVERY, force=True)  # the lock went with the first poll
        assert again.outcome == "unchanged" and other.calls == 1
    finally:
        slow.release.set()
        first.close()
        second.close()


def _slow_304(url: str, *validators: Any) -> FeedResponse:
    import time

    time.sleep(1.5)  # a slow feed: the poll holds the lock while the others ask for it
    return FeedResponse(None, None, None)


def _poll_once(url: str, data_dir: str, start: Any, results: Any) -> None:
    """One bot process: open the state of a new database with the others, then poll."""
    from index.errors import PollingElsewhere

    start.wait()
    try:
        subscriptions = open_subscriptions(settings_for(url, Path(data_dir)))
        following = Following(subscriptions, Path(data_dir) / "feeds", get=_slow_304)
        try:
            results.put(f"polled {len(following.poll(EVERY, force=True))}")
        except PollingElsewhere:
            results.put("elsewhere")
        finally:
            following.close()
    except Exception as exc:
        results.put(repr(exc))


@pytest.mark.slow  # starts processes
def test_of_processes_polling_at_once_exactly_one_polls(pg_url: str, tmp_path: Path) -> None:
    import multiprocessing

    from tests.deadlines import HANG

    feeds = open_subscriptions(settings_for(pg_url, tmp_path))
    feeds.add(FEED, "Le Midi", dt.datetime.now(dt.UTC))
    feeds.close()
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(3), ctx.Queue()
    procs = [
        ctx.Process(target=_poll_once, args=(pg_url, str(tmp_path / n), start, results))
        for n in "abc"
    ]
    for p in procs:
        p.start()
    try:
        outcomes = sorted(results.get(timeout=HANG) for _ in procs)
    finally:
        for p in procs:
            p.join(timeout=HANG)
            if p.is_alive():
                p.kill()
    assert outcomes == ["elsewhere", "elsewhere", "polled 1"]


def test_two_polls_of_one_process_also_take_turns(pg_url: str, tmp_path: Path) -> None:
    """A session lock is reentrant within its session: each poll takes it on a connection of
    its own, so the bot's scheduled round and a /follow's round do not both poll."""
    feeds = open_subscriptions(settings_for(pg_url, tmp_path))
    try:
        with feeds.polling() as mine, feeds.polling() as also_mine:
            assert mine and not also_mine
        with feeds.polling() as after:
            assert after
    finally:
        feeds.close()


def test_the_poll_lock_is_free_again_as_soon_as_a_poll_ends(pg_url: str, tmp_path: Path) -> None:
    """Released when the poll ends, raised or not, before the next poll asks: not only once
    the server has ended the lock's connection (a poll right after another found it held)."""
    feeds = open_subscriptions(settings_for(pg_url, tmp_path))
    try:
        for _ in range(30):
            with feeds.polling() as mine:
                assert mine
        for _ in range(10):
            with pytest.raises(RuntimeError), feeds.polling():
                raise RuntimeError("the poll failed")
            with feeds.polling() as mine:
                assert mine
    finally:
        feeds.close()


def test_revue_poll_says_another_process_is_polling(make_engine: Any, pg_url: str) -> None:
    from tests.test_cli import invoke

    engine = make_engine(database_url=pg_url)
    holder = open_subscriptions(engine.settings)
    try:
        with holder.polling() as mine:
            assert mine
            said = invoke(engine, "poll")
            assert said.exit_code == 0, said.output
            assert "another process is polling the feeds now" in said.output
            as_json = invoke(engine, "poll", "--json")
            assert '"polled_elsewhere": true' in as_json.output
    finally:
        holder.close()


def test_processes_starting_at_once_migrate_a_new_database_once(
    pg_url: str, tmp_path: Path
) -> None:
    settings = settings_for(pg_url, tmp_path)
    start = threading.Barrier(8)

    def open_both(n: int) -> int:
        start.wait()
        opened = open_subscriptions(settings) if n % 2 else open_answer_log(settings)
        opened.close()
        return n

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(open_both, range(8))) == list(range(8))
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("select name from revue_state_migrations order by name").fetchall()
    assert [r[0] for r in rows] == ["001_feeds", "002_answers_and_votes", "003_server_settings"]


@pytest.fixture
def own_server() -> Iterator[TemporaryPostgres]:
    """A server of this test's own, stopped and restarted without the session's noticing."""
    server = TemporaryPostgres.start()
    yield server
    server.remove()


def test_a_server_that_goes_away_is_reported_then_used_again(
    own_server: TemporaryPostgres, tmp_path: Path
) -> None:
    settings = settings_for(own_server.database(), tmp_path)
    log, feeds = open_answer_log(settings), open_subscriptions(settings)
    try:
        kept = log.record("q?", Answer("q?", "a", False, "en"))
        feeds.add(FEED, "Le Midi", dt.datetime.now(dt.UTC))
        own_server.stop()
        for call in (lambda: log.get(kept.id), feeds.all, lambda: log.vote(kept.id, 1, "up")):
            with pytest.raises(DatabaseUnavailable, match="database") as down:
                call()
            assert "\n" not in str(down.value)  # one clear line, not a traceback's worth
        with pytest.raises(DatabaseUnavailable), feeds.polling():
            pass
        own_server.restart()
        # The same objects: a lost connection is made again on the next call.
        assert log.get(kept.id) == kept and [f.url for f in feeds.all()] == [FEED]
        assert log.vote(kept.id, 1, "up") is None
    finally:
        log.close()
        feeds.close()


def test_a_restart_between_two_calls_is_not_seen_by_the_caller(
    own_server: TemporaryPostgres, tmp_path: Path
) -> None:
    """A connection that died while idle (the server restarted since) is made again and the
    call retried: nothing had been sent on it, so nothing is done twice."""
    settings = settings_for(own_server.database(), tmp_path)
    log = open_answer_log(settings)
    try:
        first = log.record("q?", Answer("q?", "a", False, "en"))
        own_server.stop()
        own_server.restart()
        second = log.record("q2?", Answer("q2?", "b", False, "en"))
        assert second.id > first.id and log.get(first.id) == first
    finally:
        log.close()


def test_a_connection_the_server_ended_is_made_again(pg_url: str, tmp_path: Path) -> None:
    """An administrator, a failover or an idle timeout ends the connection between two calls:
    the next call connects again, once, and the caller sees nothing."""
    settings = settings_for(pg_url, tmp_path)
    log, feeds = open_answer_log(settings), open_subscriptions(settings)
    try:
        kept = log.record("q?", Answer("q?", "a", False, "en"))
        feeds.add(FEED, "Le Midi", dt.datetime.now(dt.UTC))
        with psycopg.connect(pg_url, autocommit=True) as admin:
            ended = admin.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = current_database() and pid <> pg_backend_pid()"
            ).fetchall()
        assert len(ended) == 2
        assert log.get(kept.id) == kept and feeds.get(FEED) is not None
    finally:
        log.close()
        feeds.close()


def test_a_database_that_cannot_be_reached_says_so_when_opened(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:9/nowhere"
    with pytest.raises(DatabaseUnavailable, match="cannot be reached"):
        open_subscriptions(settings_for(url, tmp_path))
