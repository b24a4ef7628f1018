"""The store's schema as named migrations (``sqlite_utils.Migrations``), each in one transaction.

Indexes written before Revue used ``sqlite_utils.Migrations`` recorded their migrations in a
table of their own, ``_migrations``; ``migrate`` carries those records over, so that nothing is
applied twice.
"""

from __future__ import annotations

import sqlite_utils

MIGRATIONS = sqlite_utils.Migrations("revue")
LEGACY_TABLE = "_migrations"


@MIGRATIONS(name="001_initial")
def _initial(db: sqlite_utils.Database) -> None:
    articles = db.table("articles")
    articles.create(
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
    articles.create_index(["id"], unique=True)
    chunks = db.table("chunks")
    chunks.create(
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
    chunks.create_index(["article_id"])
    chunks.enable_fts(
        ["text"], fts_version="FTS5", tokenize="unicode61 remove_diacritics 2", create_triggers=True
    )
    db.table("meta").create({"key": str, "value": str}, pk="key")


@MIGRATIONS(name="002_staging_and_groups")
def _staging_and_groups(db: sqlite_utils.Database) -> None:
    # Chunks embedded by an unfinished run, kept so that the next run need not embed them again.
    staged = db.table("staged_chunks")
    staged.create(
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
    staged.create_index(["article_id"])
    # Wire copies: articles with the same group_id are one dispatch run by several outlets.
    articles = db.table("articles")
    articles.add_column("group_id", str)
    articles.add_column("signature", bytes)
    articles.create_index(["group_id"])
    high = db.execute("select coalesce(max(id), 0) from chunks").fetchone()[0]
    db.table("meta").upsert({"key": "chunk_id_high", "value": str(high)}, pk="key")


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the schema up to date (a writer only)."""
    with db.atomic():
        _carry_over_legacy(db)
    MIGRATIONS.apply(db)


def is_current(db: sqlite_utils.Database) -> bool:
    """Whether every migration has been applied; reads only (a read-only store can ask)."""
    if db.table(LEGACY_TABLE).exists():
        return False
    return not MIGRATIONS.pending(db)


def _carry_over_legacy(db: sqlite_utils.Database) -> None:
    legacy = db.table(LEGACY_TABLE)
    if not legacy.exists():
        return
    MIGRATIONS.ensure_migrations_table(db)
    db.table(MIGRATIONS.migrations_table).insert_all(
        (
            {"migration_set": MIGRATIONS.name, "name": r["name"], "applied_at": r["applied_at"]}
            for r in legacy.rows_where(order_by="rowid")
        ),
        ignore=True,
    )
    legacy.drop()
