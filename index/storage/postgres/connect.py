"""Connections to the database: psycopg 3 with pgvector's numpy adapters registered."""

from __future__ import annotations

import contextlib

import psycopg
from pgvector.psycopg import register_vector
from psycopg.conninfo import conninfo_to_dict

from index.errors import DatabaseUnavailable

# A database that does not answer within this is reported as down, not waited on.
CONNECT_TIMEOUT_S = 5


def connect(url: str, autocommit: bool = False) -> psycopg.Connection:
    """A new connection to ``url`` (``DatabaseUnavailable`` if the server cannot be reached)."""
    try:
        conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"the database cannot be reached: {_first_line(exc)}") from exc
    # Not yet where the extension is not created: the migrations create it, then register.
    with contextlib.suppress(psycopg.ProgrammingError):
        register_vector(conn)
    return conn


def describe(url: str) -> str:
    """``host:port/database`` of ``url``, for messages (never its password)."""
    info = conninfo_to_dict(url)
    host = info.get("host") or "localhost"
    return f"{host}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
