"""The index in PostgreSQL, for readers: a connection per thread, each question read in one
REPEATABLE READ, READ ONLY transaction (one consistent snapshot while writers commit beside
it), and a clear ``DatabaseUnavailable`` when the server goes away, with a new connection on
the next question once it is back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import IsolationLevel

from index.errors import DatabaseUnavailable, IndexMissing
from index.storage.postgres import schema
from index.storage.postgres.connect import connect, describe
from index.storage.postgres.library import Library
from index.storage.protocols import Snapshot


class PostgresIndex:
    """Opens the index in the database at ``url`` for reading, from any thread."""

    def __init__(self, url: str, exact_up_to: int) -> None:
        self.url = url
        self.exact_up_to = exact_up_to
        self._local = threading.local()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active = 0  # readings under way: ``close`` waits for them
        self._conns: list[psycopg.Connection[Any]] = []

    def exists(self) -> bool:
        try:
            with self.reading():
                return True
        except IndexMissing:
            return False

    @contextmanager
    def reading(self) -> Iterator[Snapshot]:
        conn = self._thread_conn()
        with self._lock:
            self._active += 1
        try:
            with conn.transaction():
                library = self._library(conn)
                yield Snapshot(library, library)
        except psycopg.OperationalError as exc:
            if not (conn.broken or conn.closed):
                raise  # a statement cancelled or timed out: the server itself is there
            self._forget(conn)
            raise DatabaseUnavailable(f"the database stopped answering: {_line(exc)}") from exc
        finally:
            with self._lock:
                self._active -= 1
                self._idle.notify_all()

    def _library(self, conn: psycopg.Connection[Any]) -> Library:
        """This thread's library for the commit its transaction sees: the same object while
        nothing is committed, so the engine keeps its retriever (and what it cached)."""
        # One statement a question: the schema was brought up to date when the connection was.
        meta = dict(conn.execute("select key, value from meta").fetchall())
        if not int(meta.get("generation") or 0):
            raise IndexMissing(f"no index in the database {describe(self.url)} yet")
        kept: Library | None = getattr(self._local, "library", None)
        if kept is None or kept.conn is not conn or kept.meta != meta:
            kept = self._local.library = Library(conn, meta, self.exact_up_to)
        return kept

    def _thread_conn(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        conn = connect(self.url, autocommit=True)
        if not schema.is_current(conn):
            schema.migrate(conn)
            conn.close()
            conn = connect(self.url, autocommit=True)  # the vector type registered now
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with self._lock:
            self._conns.append(conn)
        self._local.conn = conn
        return conn

    def _forget(self, conn: psycopg.Connection[Any]) -> None:
        self._local.conn = None
        self._local.library = None
        with self._lock:
            if conn in self._conns:
                self._conns.remove(conn)
        conn.close()

    def close(self) -> None:
        """Close every thread's connection, once no reading is under way."""
        with self._lock:
            while self._active:
                self._idle.wait()
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()


def _line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
