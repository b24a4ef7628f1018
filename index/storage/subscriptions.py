"""The followed feeds and what each poll of them found, in ``state.db`` (``storage.state``);
``postgres.feeds`` is the same in PostgreSQL."""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlite_utils

from index.errors import FeedError
from index.storage.feed_status import ERROR_CHARS, FeedStatus, retry_wait, utc_now
from index.storage.state import writing


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _status(row: dict[str, Any]) -> FeedStatus:
    return FeedStatus(
        url=row["url"],
        title=row["title"],
        added_at=_moment(row["added_at"]) or utc_now(),
        checked_at=_moment(row["checked_at"]),
        ok_at=_moment(row["ok_at"]),
        failures=row["failures"] or 0,
        retry_at=_moment(row["retry_at"]),
        error=row["error"],
        saved=row["saved"] or 0,
        etag=row["etag"],
        last_modified=row["last_modified"],
    )


F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    """Run ``method`` under the instance's lock: closing a SQLite connection while another
    thread runs a statement on it crashes the process (the answer log did, once)."""

    @functools.wraps(method)
    def run(self: Subscriptions, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return run  # type: ignore[return-value]


class Subscriptions:
    """Reads and writes the ``feeds`` and ``feed_entries`` tables; thread-safe."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._lock = threading.RLock()

    @_locked
    def close(self) -> None:
        self.db.close()

    @contextmanager
    def polling(self) -> Iterator[bool]:
        """Always the right to poll: processes sharing a ``state.db`` on one host may poll at
        once (as before PostgreSQL); each entry is still saved once (``remember``)."""
        yield True

    @_locked
    def add(self, url: str, title: str | None, now: dt.datetime) -> FeedStatus:
        with writing(self.db):  # two processes adding one feed: the second is told so
            if self.get(url) is not None:
                raise FeedError(f"{url} is already followed")
            self.db.table("feeds").insert({"url": url, "title": title, "added_at": _iso(now)})
        status = self.get(url)
        assert status is not None
        return status

    @_locked
    def remove(self, url: str) -> FeedStatus:
        """Stop following ``url``; what it saved stays in the corpus."""
        status = self.get(url)
        if status is None:
            raise FeedError(f"{url} is not followed (see `revue following`)")
        with self.db.atomic():
            self.db.execute("delete from feeds where url = ?", [url])
            self.db.execute("delete from feed_entries where feed_url = ?", [url])
        return status

    @_locked
    def get(self, url: str) -> FeedStatus | None:
        rows = list(self.db.query("select * from feeds where url = ?", [url]))
        return _status(rows[0]) if rows else None

    @_locked
    def all(self) -> tuple[FeedStatus, ...]:
        return tuple(_status(r) for r in self.db.query("select * from feeds order by added_at"))

    @_locked
    def read(self, feed: FeedStatus, now: dt.datetime, headers: dict[str, str | None]) -> None:
        """A poll read the feed (200 or 304): validators kept, failures forgotten."""
        self.db.table("feeds").update(
            feed.url,
            {
                "checked_at": _iso(now),
                "ok_at": _iso(now),
                "failures": 0,
                "retry_at": None,
                "error": None,
                "etag": headers.get("etag", feed.etag),
                "last_modified": headers.get("last_modified", feed.last_modified),
            },
        )

    @_locked
    def failed(self, feed: FeedStatus, now: dt.datetime, error: str) -> FeedStatus:
        """A poll failed: the next try waits twice as long as the last (``FIRST_RETRY`` up to
        ``LONGEST_RETRY``)."""
        with writing(self.db):  # the count as stored: another process may have failed too
            row = self.db.execute("select failures from feeds where url = ?", [feed.url])
            found = row.fetchone()
            failures = (found[0] if found else feed.failures) + 1
            self.db.table("feeds").update(
                feed.url,
                {
                    "checked_at": _iso(now),
                    "failures": failures,
                    "retry_at": _iso(now + retry_wait(failures)),
                    "error": error[:ERROR_CHARS],
                },
            )
        status = self.get(feed.url)
        assert status is not None
        return status

    @_locked
    def seen(self, feed_url: str) -> set[str]:
        """The keys (links, or entry ids) of every entry of ``feed_url`` already saved."""
        rows = self.db.execute("select key from feed_entries where feed_url = ?", [feed_url])
        return {r[0] for r in rows}

    @_locked
    def saved_files(self) -> dict[str, str]:
        """Entry key (its link) -> corpus file, for every entry any feed saved."""
        rows = self.db.execute("select key, path from feed_entries where path is not null")
        return {r[0]: r[1] for r in rows}

    @_locked
    def remember(self, feed_url: str, entries: dict[str, str | None], now: dt.datetime) -> None:
        """Record entries as saved (key -> the corpus file, or None when it was already
        there), and count the files written."""
        if not entries:
            return
        rows = [
            {"feed_url": feed_url, "key": key, "path": path, "saved_at": _iso(now)}
            for key, path in entries.items()
        ]
        written = sum(1 for path in entries.values() if path)
        with self.db.atomic():
            self.db.table("feed_entries").upsert_all(rows, pk=("feed_url", "key"))
            self.db.execute("update feeds set saved = saved + ? where url = ?", [written, feed_url])
