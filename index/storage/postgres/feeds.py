"""The followed feeds in PostgreSQL: ``Subscriptions`` (``storage.subscriptions``) with the same
methods and records, for any number of bot processes sharing one database.

Exactly one process polls at a time: ``polling`` holds a session-level advisory lock on a
connection of its own for the whole poll, so the lock is neither released by the transactions
of the other calls nor shared with another thread of this process (a session lock is reentrant
within its session).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from index.errors import DatabaseUnavailable, FeedError
from index.storage.answer_rows import storable
from index.storage.feed_status import ERROR_CHARS, FeedStatus, retry_wait
from index.storage.postgres.connect import connect
from index.storage.postgres.migrations import lock_key
from index.storage.postgres.session import Session
from index.storage.postgres.state import MIGRATIONS, MIGRATIONS_TABLE

POLL_LOCK = lock_key("revue-feed-poll")
COLUMNS = (
    "url, title, added_at, checked_at, ok_at, failures, retry_at, error, saved, etag, last_modified"
)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    # psycopg returns timestamptz in the session's time zone; callers compare with UTC ones.
    return moment.astimezone(dt.UTC) if moment is not None else None


def _status(row: dict[str, Any]) -> FeedStatus:
    added_at = _utc(row["added_at"])
    assert added_at is not None  # NOT NULL
    return FeedStatus(
        url=row["url"],
        title=row["title"],
        added_at=added_at,
        checked_at=_utc(row["checked_at"]),
        ok_at=_utc(row["ok_at"]),
        failures=row["failures"],
        retry_at=_utc(row["retry_at"]),
        error=row["error"],
        saved=row["saved"],
        etag=row["etag"],
        last_modified=row["last_modified"],
    )


def _get(conn: psycopg.Connection, url: str) -> FeedStatus | None:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {COLUMNS} FROM feeds WHERE url = %s", [url]).fetchone()  # noqa: S608
    return _status(row) if row is not None else None


def _try_lock(conn: psycopg.Connection) -> bool:
    try:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", [POLL_LOCK]).fetchone()
    except psycopg.OperationalError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DatabaseUnavailable(f"cannot take the feed-poll lock: {first}") from exc
    return bool(row and row[0])


def _unlock(conn: psycopg.Connection) -> None:
    """Release the lock now: closing the connection releases it too, but only once the server
    has ended that backend, a few ms later, when the next poll may already have asked."""
    with contextlib.suppress(psycopg.OperationalError):  # gone with the server: released
        conn.execute("SELECT pg_advisory_unlock(%s)", [POLL_LOCK])


class PostgresSubscriptions:
    """Reads and writes the ``feeds`` and ``feed_entries`` tables; thread-safe."""

    def __init__(self, url: str) -> None:
        self._session = Session(url, MIGRATIONS_TABLE, MIGRATIONS)
        self._session.ensure()

    def close(self) -> None:
        self._session.close()

    @contextmanager
    def polling(self) -> Iterator[bool]:
        """True while this process holds the feed-poll lock; False when another one does."""
        conn = connect(self._session.url, autocommit=True)
        try:
            mine = _try_lock(conn)
            try:
                yield mine
            finally:
                if mine:
                    _unlock(conn)
        finally:
            conn.close()

    def add(self, url: str, title: str | None, now: dt.datetime) -> FeedStatus:
        def insert(conn: psycopg.Connection) -> FeedStatus:
            added = conn.execute(
                "INSERT INTO feeds (url, title, added_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (url) DO NOTHING",
                # PostgreSQL's text keeps no NUL (SQLite does): a feed's odd bytes must not fail.
                [url, storable(title) if title is not None else None, now],
            )
            if added.rowcount == 0:
                raise FeedError(f"{url} is already followed")
            status = _get(conn, url)
            assert status is not None
            return status

        return self._session.run(insert)

    def remove(self, url: str) -> FeedStatus:
        """Stop following ``url``; what it saved stays in the corpus."""

        def delete(conn: psycopg.Connection) -> FeedStatus:
            status = _get(conn, url)
            if status is None:
                raise FeedError(f"{url} is not followed (see `revue following`)")
            conn.execute("DELETE FROM feeds WHERE url = %s", [url])
            conn.execute("DELETE FROM feed_entries WHERE feed_url = %s", [url])
            return status

        return self._session.run(delete)

    def get(self, url: str) -> FeedStatus | None:
        return self._session.run(lambda conn: _get(conn, url))

    def all(self) -> tuple[FeedStatus, ...]:
        def select(conn: psycopg.Connection) -> tuple[FeedStatus, ...]:
            with conn.cursor(row_factory=dict_row) as cur:
                cur.execute(f"SELECT {COLUMNS} FROM feeds ORDER BY added_at, seq")  # noqa: S608
                return tuple(_status(row) for row in cur)

        return self._session.run(select)

    def read(self, feed: FeedStatus, now: dt.datetime, headers: dict[str, str | None]) -> None:
        """A poll read the feed (200 or 304): validators kept, failures forgotten."""
        etag = headers.get("etag", feed.etag)
        modified = headers.get("last_modified", feed.last_modified)
        self._session.run(
            lambda conn: conn.execute(
                "UPDATE feeds SET checked_at = %s, ok_at = %s, failures = 0, retry_at = NULL, "
                "error = NULL, etag = %s, last_modified = %s WHERE url = %s",
                [now, now, etag, modified, feed.url],
            )
        )

    def failed(self, feed: FeedStatus, now: dt.datetime, error: str) -> FeedStatus:
        """A poll failed: the next try waits twice as long as the last (``retry_wait``)."""
        failures = feed.failures + 1

        def update(conn: psycopg.Connection) -> FeedStatus:
            conn.execute(
                "UPDATE feeds SET checked_at = %s, failures = %s, retry_at = %s, error = %s "
                "WHERE url = %s",
                [
                    now,
                    failures,
                    now + retry_wait(failures),
                    storable(error)[:ERROR_CHARS],
                    feed.url,
                ],
            )
            status = _get(conn, feed.url)
            assert status is not None
            return status

        return self._session.run(update)

    def seen(self, feed_url: str) -> set[str]:
        """The keys (links, or entry ids) of every entry of ``feed_url`` already saved."""
        query = "SELECT key FROM feed_entries WHERE feed_url = %s"
        return self._session.run(lambda conn: {r[0] for r in conn.execute(query, [feed_url])})

    def saved_files(self) -> dict[str, str]:
        """Entry key (its link) -> corpus file, for every entry any feed saved."""
        query = "SELECT key, path FROM feed_entries WHERE path IS NOT NULL"
        return self._session.run(lambda conn: {r[0]: r[1] for r in conn.execute(query)})

    def remember(self, feed_url: str, entries: dict[str, str | None], now: dt.datetime) -> None:
        """Record entries as saved (key -> the corpus file, or None when it was already
        there), and count the files written."""
        if not entries:
            return
        rows = [(feed_url, key, path, now) for key, path in entries.items()]
        written = sum(1 for path in entries.values() if path)

        def upsert(conn: psycopg.Connection) -> None:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO feed_entries (feed_url, key, path, saved_at) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (feed_url, key) DO UPDATE SET "
                    "path = excluded.path, saved_at = excluded.saved_at",
                    rows,
                )
            conn.execute("UPDATE feeds SET saved = saved + %s WHERE url = %s", [written, feed_url])

        self._session.run(upsert)
