"""One connection per state object, guarded by a lock, that survives the server going away.

The bot calls its feeds and answer log from worker threads, so each object keeps one
connection and runs one transaction on it at a time (``Session.run``). A connection lost to a
restarted server or a dropped network must not poison the object: the next call connects again,
and while the server is down each call raises ``DatabaseUnavailable`` with a clear line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import psycopg

from index.errors import DatabaseUnavailable
from index.storage.postgres.connect import connect
from index.storage.postgres.migrations import Migration, apply

T = TypeVar("T")


class Session:
    """Transactions on ``url`` whose schema is brought up to date by ``migrations`` (recorded
    in ``table``) when this object first connects."""

    def __init__(self, url: str, table: str, migrations: tuple[Migration, ...]) -> None:
        self._url, self._table, self._migrations = url, table, migrations
        self._conn: psycopg.Connection | None = None
        self._migrated = False
        self._closed = False
        # Every statement and the close hold it: one connection runs one transaction at once.
        self._lock = threading.RLock()

    @property
    def url(self) -> str:
        return self._url

    def run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """``work(conn)`` in one transaction, committed when it returns. A connection found
        dead before anything was committed (a server restarted since the last call) is made
        again once and the work retried; an unknown outcome (lost during the commit) is not
        retried, so nothing is written twice."""
        with self._lock:
            for attempt in (1, 2):
                conn, fresh = self._connection()
                committing = False
                try:
                    with conn.transaction():
                        result = work(conn)
                        committing = True
                    return result
                except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                    if not conn.broken and not conn.closed:
                        raise  # a statement failed; the connection is fine
                    self._drop()
                    if fresh or committing or attempt == 2:
                        raise DatabaseUnavailable(_lost(exc)) from exc
            raise AssertionError("unreachable: the second attempt returns or raises")

    def ensure(self) -> None:
        """Connect now (and migrate): ``DatabaseUnavailable`` at open rather than at first use."""
        self.run(lambda conn: None)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()

    def _connection(self) -> tuple[psycopg.Connection, bool]:
        """The open connection, or a new one (True: made by this call)."""
        if self._closed:
            raise DatabaseUnavailable("this connection to the database was closed")
        if self._conn is not None:
            return self._conn, False
        # Autocommit, so that each ``conn.transaction()`` is one BEGIN … COMMIT of its own.
        conn = connect(self._url, autocommit=True)
        try:
            if not self._migrated:
                apply(conn, self._table, self._migrations)
                self._migrated = True
        except psycopg.OperationalError as exc:
            conn.close()
            raise DatabaseUnavailable(_lost(exc)) from exc
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn, True

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _lost(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"the connection to the database was lost: {first}"
