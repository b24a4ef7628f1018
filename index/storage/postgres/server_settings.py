"""Each Discord server's settings in PostgreSQL: ``SqliteServerSettings``
(``storage.server_settings``) with the same methods, rows and records, shared by every bot
process that uses the database."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from psycopg.rows import dict_row

from index.storage.postgres.session import Session
from index.storage.postgres.state import MIGRATIONS, MIGRATIONS_TABLE
from index.storage.protocols import ServerConfig
from index.storage.server_settings import COLUMNS, changed, config, row

SELECT = f"SELECT {', '.join(COLUMNS)} FROM server_settings"  # noqa: S608


def _get(conn: psycopg.Connection, server_id: int, lock: bool = False) -> ServerConfig:
    query = SELECT + " WHERE server_id = %s" + (" FOR UPDATE" if lock else "")
    with conn.cursor(row_factory=dict_row) as cur:
        return config(server_id, cur.execute(query.encode(), [server_id]).fetchone())


class PostgresServerSettings:
    """The ``server_settings`` table; thread-safe (one transaction at a time, ``Session``)."""

    def __init__(self, url: str) -> None:
        self._session = Session(url, MIGRATIONS_TABLE, MIGRATIONS)
        self._session.ensure()

    def close(self) -> None:
        self._session.close()

    def get(self, server_id: int) -> ServerConfig:
        return self._session.run(lambda conn: _get(conn, server_id))

    def all(self) -> tuple[ServerConfig, ...]:
        def select(conn: psycopg.Connection) -> tuple[ServerConfig, ...]:
            with conn.cursor(row_factory=dict_row) as cur:
                rows = cur.execute((SELECT + " ORDER BY server_id").encode()).fetchall()
            return tuple(config(r["server_id"], r) for r in rows)

        return self._session.run(select)

    def update(
        self, server_id: int, change: Callable[[ServerConfig], ServerConfig]
    ) -> ServerConfig:
        def write(conn: psycopg.Connection) -> ServerConfig:
            # The row exists, then is locked until the commit: another process changing the
            # same server waits for this change and then reads it, instead of overwriting it.
            conn.execute(
                "INSERT INTO server_settings (server_id) VALUES (%s) ON CONFLICT DO NOTHING",
                [server_id],
            )
            new = changed(_get(conn, server_id, lock=True), change)
            if new.is_empty():  # back to every default: no row
                conn.execute("DELETE FROM server_settings WHERE server_id = %s", [server_id])
                return new
            values = row(new)
            # An upsert, not an UPDATE: a reset by another process may have deleted the row
            # while this one waited on its lock (an UPDATE would then change nothing).
            conn.execute(
                "INSERT INTO server_settings (server_id, channels, news_channel, thread_when_busy)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (server_id) DO UPDATE SET"
                " channels = excluded.channels, news_channel = excluded.news_channel,"
                " thread_when_busy = excluded.thread_when_busy",
                [server_id, *(values[c] for c in COLUMNS[1:])],
            )
            return new

        return self._session.run(write)
