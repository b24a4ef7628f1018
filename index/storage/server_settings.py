"""Each Discord server's settings (``protocols.ServerConfig``) in ``state.db`` (migration
``003_server_settings``); ``postgres.server_settings`` is the same in PostgreSQL, with the same
columns: ``row`` and ``config`` turn records into rows and back for both."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from index.storage.protocols import ServerConfig
from index.storage.state import writing

if TYPE_CHECKING:
    import sqlite_utils

COLUMNS = ("server_id", "channels", "news_channel", "thread_when_busy")


def row(config: ServerConfig) -> dict[str, Any]:
    """The columns of ``config``; channels as "1,2" ("" for none, NULL for not set)."""
    channels = config.channels
    return {
        "server_id": config.server_id,
        "channels": None if channels is None else ",".join(str(c) for c in channels),
        "news_channel": config.news_channel,
        "thread_when_busy": config.thread_when_busy,
    }


def config(server_id: int, found: Mapping[str, Any] | None) -> ServerConfig:
    """The record of a row (None: nothing stored, every default applies)."""
    if found is None:
        return ServerConfig(server_id)
    text = found["channels"]
    channels = None if text is None else tuple(int(c) for c in text.split(",") if c)
    return ServerConfig(server_id, channels, found["news_channel"], found["thread_when_busy"])


def changed(current: ServerConfig, change: Callable[[ServerConfig], ServerConfig]) -> ServerConfig:
    """``change(current)``, checked: it keeps the server, and stores no negative rate."""
    new = change(current)
    if new.server_id != current.server_id:
        raise ValueError(f"a change of server {current.server_id} names {new.server_id}")
    if new.thread_when_busy is not None and new.thread_when_busy < 0:
        raise ValueError("messages per minute cannot be negative")
    return new


class SqliteServerSettings:
    """The ``server_settings`` table of ``state.db``; thread-safe (the bot reads and writes
    from its lookup threads, and closes it on the event loop)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        # Closing a SQLite connection while another thread runs a statement on it crashes the
        # process (``storage.answers``): every statement and the close hold this lock.
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def get(self, server_id: int) -> ServerConfig:
        with self._lock:
            return self._get(server_id)

    def all(self) -> tuple[ServerConfig, ...]:
        with self._lock:
            rows = list(self.db.table("server_settings").rows_where(order_by="server_id"))
        return tuple(config(r["server_id"], r) for r in rows)

    def update(
        self, server_id: int, change: Callable[[ServerConfig], ServerConfig]
    ) -> ServerConfig:
        # The write lock is held before the read: another process changing the same server
        # waits (up to the connection's 10 s) instead of being overwritten.
        with self._lock, writing(self.db):
            new = changed(self._get(server_id), change)
            if new.is_empty():  # back to every default: no row
                self.db.execute("DELETE FROM server_settings WHERE server_id = ?", [server_id])
            else:
                self.db.table("server_settings").upsert(row(new), pk="server_id")
        return new

    def _get(self, server_id: int) -> ServerConfig:
        found = self.db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM server_settings WHERE server_id = ?",  # noqa: S608
            [server_id],
        ).fetchone()
        return config(server_id, dict(zip(COLUMNS, found, strict=True)) if found else None)
