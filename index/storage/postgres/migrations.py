"""Ordered, named schema migrations, each applied once per database and recorded in a table of
its own set (``revue_state_migrations`` for the state), as ``sqlite_utils.Migrations`` does for
SQLite.

Several processes may start at once against a new database (N bots and an indexer): each applies
the missing migrations under ``pg_advisory_xact_lock`` on a key of its set, in one transaction,
so one of them creates the tables and the others find them recorded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class Migration:
    """One step of a schema: its statements, run in order in one transaction."""

    name: str
    statements: tuple[str, ...]


def lock_key(name: str) -> int:
    """A stable 64-bit advisory lock key for ``name`` (the same in every process and version:
    Python's ``hash`` is salted per process, PostgreSQL's ``hashtext`` is not documented)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def apply(conn: psycopg.Connection, table: str, migrations: Sequence[Migration]) -> list[str]:
    """Apply the ``migrations`` not yet recorded in ``table`` (created if missing), in order;
    returns the names applied now. ``conn`` must be in autocommit mode (no open transaction)."""
    names = [m.name for m in migrations]
    if len(set(names)) != len(names):
        raise ValueError(f"migration names repeat in {table}: {names}")
    applied = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(table)])
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, "
                "applied_at timestamptz NOT NULL DEFAULT now())"
            ).format(sql.Identifier(table))
        )
        query = sql.SQL("SELECT name FROM {}").format(sql.Identifier(table))
        done = {row[0] for row in conn.execute(query)}
        for migration in migrations:
            if migration.name in done:
                continue
            for statement in migration.statements:
                conn.execute(statement.encode("utf-8"))
            record = sql.SQL("INSERT INTO {} (name) VALUES (%s)").format(sql.Identifier(table))
            conn.execute(record, [migration.name])
            applied.append(migration.name)
    return applied
