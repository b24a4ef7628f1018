"""Copying ``state.db`` (followed feeds, the entries they saved, answers and votes, each Discord
server's settings) into the database, for ``revue migrate``: a bot moved to PostgreSQL keeps
following the same feeds without saving their entries again, votes on its old messages still
find their answers, and each server keeps its /settings.

Rows already there are left as they are (``on conflict do nothing``), so a second run copies
only what is new; answer ids are kept (votes and follow-ups point at them), and the identity
sequence is moved past them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from index.storage.postgres.connect import connect
from index.storage.postgres.migrations import apply
from index.storage.postgres.state import MIGRATIONS, MIGRATIONS_TABLE

# Table -> its columns, in the order they are copied (feeds in the order they were followed).
TABLES: dict[str, tuple[str, ...]] = {
    "feeds": (
        "url", "title", "added_at", "etag", "last_modified", "checked_at", "ok_at",
        "failures", "retry_at", "error", "saved",
    ),
    "feed_entries": ("feed_url", "key", "path", "saved_at"),
    "answers": (
        "id", "question", "asked", "answer", "abstained", "language", "citations",
        "created_at", "previous_id", "channel_id", "message_id",
    ),
    "votes": ("answer_id", "user_id", "vote", "voted_at"),
    "server_settings": ("server_id", "channels", "news_channel", "thread_when_busy"),
}  # fmt: skip


def copy_state(state_db: Path, url: str) -> dict[str, int]:
    """Rows copied per table (none where ``state_db`` does not exist)."""
    if not state_db.exists():
        return {}
    source = sqlite3.connect(f"file:{state_db}?mode=ro", uri=True)
    conn = connect(url, autocommit=True)
    try:
        apply(conn, MIGRATIONS_TABLE, MIGRATIONS)
        with conn.transaction():
            copied = {table: _copy(source, conn, table) for table in TABLES}
            conn.execute(
                "select setval(pg_get_serial_sequence('answers', 'id'), "
                "greatest((select coalesce(max(id), 0) from answers), 1))"
            )
        return copied
    finally:
        source.close()
        conn.close()


def _copy(source: sqlite3.Connection, conn: psycopg.Connection[Any], table: str) -> int:
    columns = TABLES[table]
    names = ", ".join(columns)
    try:
        rows = source.execute(f"select {names} from {table} order by rowid").fetchall()
    except sqlite3.OperationalError:
        return 0  # a state.db from before this table existed
    if table == "answers":  # SQLite keeps the flag as 0 or 1
        rows = [(*r[:4], bool(r[4]), *r[5:]) for r in rows]
    insert = sql.SQL("insert into {} ({}) values ({}) on conflict do nothing").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join([sql.Placeholder()] * len(columns)),
    )
    with conn.cursor() as cur:
        before = _count(cur, table)
        cur.executemany(insert, rows)
        return _count(cur, table) - before


def _count(cur: psycopg.Cursor[Any], table: str) -> int:
    row = cur.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0
