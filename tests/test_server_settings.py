"""Each Discord server's settings (``/settings``) in ``state.db`` and in PostgreSQL: nothing
stored means every default; set, turned off and reset are three different things; servers are
apart; changes survive a reopen, are not lost when made at once, and an older state gets the
table on first open."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlite_utils

from index.settings import Settings
from index.storage.states import (
    NEWS_OFF,
    ServerConfig,
    ServerSettings,
    open_server_settings,
    open_subscriptions,
    utc_now,
)

A, B = 900_000_000_000_000_100, 900_000_000_000_000_500
CHANNEL, OTHER = 900_000_000_000_000_200, 900_000_000_000_000_201


@pytest.fixture
def settings(tmp_path: Path, backend: dict[str, Any]) -> Settings:
    return Settings(data_dir=tmp_path / "data", **backend)


@pytest.fixture
def store(settings: Settings) -> Iterator[ServerSettings]:
    opened = open_server_settings(settings)
    yield opened
    opened.close()


def test_a_server_with_nothing_stored_has_every_default(store: ServerSettings) -> None:
    assert store.get(A) == ServerConfig(A, None, None, None)
    assert store.get(A).is_empty() and store.all() == ()


def test_settings_are_set_per_server_and_read_back(store: ServerSettings) -> None:
    set_a = store.update(A, lambda c: replace(c, channels=(CHANNEL, OTHER), news_channel=OTHER))
    store.update(B, lambda c: replace(c, thread_when_busy=25))
    assert set_a == ServerConfig(A, (CHANNEL, OTHER), OTHER, None) == store.get(A)
    assert store.get(B) == ServerConfig(B, None, None, 25)
    assert store.all() == (store.get(A), store.get(B))
    store.update(A, lambda c: replace(c, thread_when_busy=3))  # the other fields stay
    assert store.get(A) == ServerConfig(A, (CHANNEL, OTHER), OTHER, 3)


def test_turned_off_is_kept_apart_from_not_set_and_a_reset_forgets(store: ServerSettings) -> None:
    store.update(A, lambda c: replace(c, channels=(), news_channel=NEWS_OFF, thread_when_busy=0))
    off = store.get(A)
    assert off.channels == () and off.news_channel == NEWS_OFF and off.thread_when_busy == 0
    assert not off.is_empty()
    store.update(A, lambda c: replace(c, channels=None))
    assert store.get(A) == ServerConfig(A, None, NEWS_OFF, 0)
    store.update(A, lambda c: ServerConfig(c.server_id))  # every setting back to the default
    assert store.get(A) == ServerConfig(A) and store.all() == ()  # and no row left


def test_a_change_that_names_another_server_or_a_negative_rate_stores_nothing(
    store: ServerSettings,
) -> None:
    store.update(A, lambda c: replace(c, thread_when_busy=4))
    with pytest.raises(ValueError, match="names"):
        store.update(A, lambda c: replace(c, server_id=B, thread_when_busy=5))
    with pytest.raises(ValueError, match="negative"):
        store.update(A, lambda c: replace(c, thread_when_busy=-1))
    assert store.get(A) == ServerConfig(A, thread_when_busy=4) and store.get(B) == ServerConfig(B)


def test_settings_survive_a_reopen(settings: Settings) -> None:
    first = open_server_settings(settings)
    first.update(A, lambda c: replace(c, channels=(CHANNEL,), news_channel=NEWS_OFF))
    first.close()
    again = open_server_settings(settings)
    try:
        assert again.get(A) == ServerConfig(A, (CHANNEL,), NEWS_OFF, None)
    finally:
        again.close()


def test_changes_made_at_once_by_two_processes_are_all_kept(settings: Settings) -> None:
    """Two stores (two bot processes) each add channels to the same server at the same time:
    each change reads the other's, none is overwritten."""
    stores = [open_server_settings(settings) for _ in range(2)]
    start = threading.Barrier(8)

    def add_channel(n: int, current: ServerConfig) -> ServerConfig:
        time.sleep(0.02)  # a slow change: the other process has time to write in between
        return replace(current, channels=(*(current.channels or ()), n))

    def add(n: int) -> None:
        start.wait()
        stores[n % 2].update(A, lambda c: add_channel(n, c))

    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(add, range(8)))
        assert sorted(stores[0].get(A).channels or ()) == list(range(8))
    finally:
        for store in stores:
            store.close()


def test_an_older_state_db_gets_the_table_and_keeps_its_rows(tmp_path: Path) -> None:
    from index.storage.state import MIGRATIONS, state_path

    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    old = sqlite_utils.Database(sqlite3.connect(state_path(settings.data_dir)))
    MIGRATIONS.apply(old, stop_before="003_server_settings")  # a state.db from before /settings
    old.table("feeds").insert({"url": "http://127.0.0.1/rss", "added_at": "2025-12-01"})
    old.close()
    store = open_server_settings(settings)
    try:
        assert store.all() == ()
        store.update(A, lambda c: replace(c, thread_when_busy=2))
        assert store.get(A).thread_when_busy == 2
    finally:
        store.close()
    feeds = open_subscriptions(settings)
    try:
        assert [f.url for f in feeds.all()] == ["http://127.0.0.1/rss"]
    finally:
        feeds.close()


def test_an_older_postgres_state_gets_the_table_and_keeps_its_rows(
    pg_url: str, tmp_path: Path
) -> None:
    from index.storage.postgres.migrations import apply
    from index.storage.postgres.state import MIGRATIONS, MIGRATIONS_TABLE

    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert apply(conn, MIGRATIONS_TABLE, MIGRATIONS[:2]) == [
            "001_feeds",
            "002_answers_and_votes",
        ]
    settings = Settings(data_dir=tmp_path / "data", database_url=pg_url)
    feeds = open_subscriptions(settings)
    feeds.add("http://127.0.0.1/rss", None, utc_now())
    feeds.close()
    store = open_server_settings(settings)
    try:
        store.update(A, lambda c: replace(c, channels=(CHANNEL,)))
        assert store.get(A).channels == (CHANNEL,)
    finally:
        store.close()
    with psycopg.connect(pg_url) as conn:
        names = [r[0] for r in conn.execute(f"select name from {MIGRATIONS_TABLE} order by name")]
        assert names[-1] == "003_server_settings"
        assert conn.execute("select count(*) from feeds").fetchone() == (1,)
