"""The PostgreSQL schema, as ordered, named migrations recorded in ``revue_migrations``, each
applied in one transaction under an advisory lock (several processes start at once).

Tables: ``articles``; ``chunks`` (offsets into the article text, the vector, the words for
phrase search as a ``tsvector``); ``terms`` (each chunk's Snowball stems with their counts:
the keyword side ranks by BM25 computed from them, as SQLite's FTS5 does, because
``ts_rank_cd`` knows no document frequencies); ``staged_chunks`` (an unfinished run's
embedded chunks); ``meta``. The HNSW index is created by the first commit, once the vectors'
dimension is known (``ensure_vector_index``).
"""

from __future__ import annotations

from typing import Any

import psycopg

MIGRATION_LOCK = 0x5245_5655_0001  # "REVU" 1: one process migrates at a time

MIGRATIONS: list[tuple[str, str]] = [
    (
        "001_index",
        """
        create extension if not exists vector;
        create table meta (key text primary key, value text not null);
        create table articles (
            id text primary key, title text, source text, author text, date text, url text,
            language text, text text not null, content_hash text not null, origin text,
            group_id text, signature bytea
        );
        create index articles_date on articles (date);
        create index articles_source on articles (source);
        create index articles_group on articles (group_id);
        create table chunks (
            id bigint primary key, article_id text not null, ordinal int not null,
            start int not null, "end" int not null, text text not null,
            embedding vector not null, length int not null, words tsvector not null
        );
        create index chunks_article on chunks (article_id);
        create index chunks_words on chunks using gin (words);
        -- The key covers what BM25 reads, so a query's postings come from the index alone:
        -- 65 ms p50 / 165 ms p95 without at 187,200 chunks, 13 / 40 with (FTS5: 17 / 40).
        create table terms (
            term text not null, chunk_id bigint not null, tf int not null, length int not null,
            primary key (term, chunk_id) include (tf, length)
        );
        create index terms_chunk on terms (chunk_id);
        create table staged_chunks (
            seq bigserial primary key, article_id text not null, content_hash text not null,
            ordinal int not null, start int not null, "end" int not null, text text not null,
            embedding vector not null, stems text not null, words text not null
        );
        create index staged_article on staged_chunks (article_id);
        """,
    ),
]


def migrate(conn: psycopg.Connection[Any]) -> None:
    """Apply the migrations not yet applied (each in its own transaction)."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
        conn.execute(
            "create table if not exists revue_migrations "
            "(name text primary key, applied_at timestamptz not null default now())"
        )
        applied = {r[0] for r in conn.execute("select name from revue_migrations")}
        for name, sql in MIGRATIONS:
            if name not in applied:
                conn.execute(sql)
                conn.execute("insert into revue_migrations (name) values (%s)", [name])


def is_current(conn: psycopg.Connection[Any]) -> bool:
    exists = conn.execute("select to_regclass('revue_migrations') is not null").fetchone()
    if not exists or not exists[0]:
        return False
    applied = {r[0] for r in conn.execute("select name from revue_migrations")}
    return all(name in applied for name, _ in MIGRATIONS)


def ensure_vector_index(conn: psycopg.Connection[Any], dim: int) -> None:
    """The HNSW index over the vectors as ``vector(dim)`` (pgvector indexes only a typed
    column or expression), made once: later articles are inserted into it, never rebuilt.
    A model of another dimension replaces it."""
    name = f"chunks_hnsw_{dim}"
    for (other,) in conn.execute(
        "select indexname from pg_indexes where tablename = 'chunks' "
        "and indexname like 'chunks_hnsw_%%' and indexname != %s",
        [name],
    ).fetchall():
        conn.execute(f"drop index {other}")
    conn.execute("set local maintenance_work_mem = '512MB'")
    conn.execute(
        f"create index if not exists {name} on chunks "
        f"using hnsw ((embedding::vector({int(dim)})) vector_ip_ops) "
        "with (m = 16, ef_construction = 64)"
    )
