"""The store's schema as named migrations (``sqlite_utils.Migrations``), each in one transaction.

Revue 0.1 recorded applied migrations in a table of its own, ``_migrations``. A migration named
there counts as applied: readers of such an index need no write (a read-only data directory, or
a reindex holding the writer lock, must not stop them), and the first writer copies the records
into ``_sqlite_migrations``. The old table is left in place, so that a Revue 0.1 process sharing
the data directory during an upgrade still finds its schema current.
"""

from __future__ import annotations

import sqlite_utils

from index.stemming import stemmed_text

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


@MIGRATIONS(name="003_stemmed_keywords")
def _stemmed_keywords(db: sqlite_utils.Database) -> None:
    # BM25 over Snowball stems (index/stemming.py); chunks_fts stays for phrases and exact words.
    # rowid = chunks.id, as for chunks_fts.
    db.execute(
        "create virtual table chunks_stem "
        "using fts5(stems, tokenize='unicode61 remove_diacritics 2')"
    )
    rows = db.execute(
        "select c.id, c.text, a.language from chunks c join articles a on a.id = c.article_id"
    )
    db.conn.executemany(
        "insert into chunks_stem (rowid, stems) values (?, ?)",
        ((cid, stemmed_text(text, language)) for cid, text, language in rows),
    )
    # Staged chunks get their stems when staged; those staged before this migration (a run that
    # died) are dropped, to be embedded again, rather than indexed without them.
    db.execute("delete from staged_chunks")
    db.table("staged_chunks").add_column("stems", str)


@MIGRATIONS(name="004_filter_indexes")
def _filter_indexes(db: sqlite_utils.Database) -> None:
    # Filters select articles by date range and outlet: without these, each filtered question
    # read every article row (texts included), ~70 ms at 36,000 articles (bench/filters.py).
    articles = db.table("articles")
    articles.create_index(["date"], if_not_exists=True)
    articles.create_index(["source"], if_not_exists=True)


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the schema up to date (a writer only)."""
    with db.atomic():
        _carry_over_legacy(db)
    MIGRATIONS.apply(db)


def is_current(db: sqlite_utils.Database) -> bool:
    """Whether every migration has been applied; reads only (a read-only store can ask)."""
    applied = {m.name for m in MIGRATIONS.applied(db)} | _legacy_names(db)
    return all(m.name in applied for m in MIGRATIONS.pending(db))


def _legacy_names(db: sqlite_utils.Database) -> set[str]:
    legacy = db.table(LEGACY_TABLE)
    return {r["name"] for r in legacy.rows} if legacy.exists() else set()


def _carry_over_legacy(db: sqlite_utils.Database) -> None:
    missing = _legacy_names(db) - {m.name for m in MIGRATIONS.applied(db)}
    if not missing:
        return
    MIGRATIONS.ensure_migrations_table(db)
    legacy = db.table(LEGACY_TABLE).rows_where(order_by="rowid")
    db.table(MIGRATIONS.migrations_table).insert_all(
        {"migration_set": MIGRATIONS.name, "name": r["name"], "applied_at": r["applied_at"]}
        for r in legacy
        if r["name"] in missing
    )
