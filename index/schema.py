"""The store's schema as numbered migrations, applied in order, each in one transaction.

``Store`` (the only module that imports sqlite-utils) passes its ``sqlite_utils.Database``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Database = Any  # a sqlite_utils.Database


def _m001_initial(db: Database) -> None:
    db["articles"].create(
        {
            "rowid": int,
            "id": str,
            "title": str,
            "source": str,
            "author": str,
            "date": str,
            "url": str,
            "language": str,
            "text": str,
            "content_hash": str,
            "origin": str,
        },
        pk="rowid",
        not_null={"id", "text", "content_hash"},
    )
    db["articles"].create_index(["id"], unique=True)
    db["chunks"].create(
        {
            "id": int,
            "article_id": str,
            "ordinal": int,
            "start": int,
            "end": int,
            "text": str,
            "vector": bytes,
        },
        pk="id",
        not_null={"article_id", "start", "end", "text", "vector"},
    )
    db["chunks"].create_index(["article_id"])
    db["chunks"].enable_fts(
        ["text"], fts_version="FTS5", tokenize="unicode61 remove_diacritics 2", create_triggers=True
    )
    db["meta"].create({"key": str, "value": str}, pk="key")


def _m002_staging_and_groups(db: Database) -> None:
    # Chunks embedded by an unfinished run, kept so that the next run need not embed them again.
    db["staged_chunks"].create(
        {
            "rowid": int,
            "article_id": str,
            "content_hash": str,
            "ordinal": int,
            "start": int,
            "end": int,
            "text": str,
            "vector": bytes,
        },
        pk="rowid",
        not_null={"article_id", "content_hash", "start", "end", "text", "vector"},
    )
    db["staged_chunks"].create_index(["article_id"])
    # Wire copies: articles with the same group_id are one dispatch run by several outlets.
    db["articles"].add_column("group_id", str)
    db["articles"].add_column("signature", bytes)
    db["articles"].create_index(["group_id"])
    high = db.execute("select coalesce(max(id), 0) from chunks").fetchone()[0]
    db["meta"].upsert({"key": "chunk_id_high", "value": str(high)}, pk="key")


MIGRATIONS: tuple[tuple[str, Callable[[Database], None]], ...] = (
    ("001_initial", _m001_initial),
    ("002_staging_and_groups", _m002_staging_and_groups),
)
