"""What Revue remembers besides the index: followed feeds, the answers the bot sent with the
votes on them, and each Discord server's settings, in ``state.db`` beside the index
(``sqlite_utils.Migrations``, its own set).

A separate file, because the index is rebuilt under a writer lock, one generation at a time,
while these rows are written at any moment by the bot (a vote, a feed polled) and must survive
any rebuild.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from index.errors import IndexDamaged
from index.storage.layout import state_lock

MIGRATIONS = sqlite_utils.Migrations("revue-state")
STATE_FILE = "state.db"


@MIGRATIONS(name="001_feeds")
def _feeds(db: sqlite_utils.Database) -> None:
    db.table("feeds").create(
        {
            "url": str,
            "title": str,
            "added_at": str,
            "etag": str,
            "last_modified": str,
            "checked_at": str,  # the last poll, whatever its outcome
            "ok_at": str,  # the last poll that read the feed (new entries or a 304)
            "failures": int,  # polls failed in a row; the back-off grows with it
            "retry_at": str,  # no poll before this (ISO, UTC) after a failure
            "error": str,  # why the last poll failed; None once one succeeds
            "saved": int,  # entries saved into the corpus, in all
        },
        pk="url",
        not_null={"url", "added_at"},
        defaults={"failures": 0, "saved": 0},
    )
    # Every entry ever saved (or found already in the corpus), so a feed that keeps an entry
    # for weeks saves it once, even after the file was edited or the feed changed its link.
    db.table("feed_entries").create(
        {"feed_url": str, "key": str, "path": str, "saved_at": str},
        pk=("feed_url", "key"),
        not_null={"feed_url", "key", "saved_at"},
    )


@MIGRATIONS(name="002_answers_and_votes")
def _answers_and_votes(db: sqlite_utils.Database) -> None:
    # Every answer the bot sent, so a vote or a follow-up finds its question after a restart.
    db.table("answers").create(
        {
            "id": int,
            "question": str,  # as the user typed it
            "asked": str,  # the standalone question the index was asked
            "answer": str,
            "abstained": int,
            "language": str,
            "citations": str,  # JSON: the Citation records
            "created_at": str,
            "previous_id": int,  # the answer this one follows up
            "channel_id": int,  # a channel or a thread
            "message_id": int,  # set once Discord has the message
        },
        pk="id",
        not_null={"question", "asked", "answer", "created_at"},
        foreign_keys=[("previous_id", "answers", "id")],
    )
    db.table("answers").create_index(["message_id"])
    db.table("answers").create_index(["channel_id", "id"])
    db.table("votes").create(
        {"answer_id": int, "user_id": int, "vote": str, "voted_at": str},
        pk=("answer_id", "user_id"),  # one vote per user per answer: a second click changes it
        not_null={"answer_id", "user_id", "vote", "voted_at"},
        foreign_keys=[("answer_id", "answers", "id")],
    )


@MIGRATIONS(name="003_server_settings")
def _server_settings(db: sqlite_utils.Database) -> None:
    # What each Discord server's managers set with /settings; NULL: not set, the bot's
    # environment default applies (``protocols.ServerConfig``). A row with nothing set is deleted.
    db.table("server_settings").create(
        {
            "server_id": int,
            "channels": str,  # comma-separated channel ids; "" for none
            "news_channel": int,  # 0: announcements turned off
            "thread_when_busy": int,  # 0: never
        },
        pk="server_id",
    )


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def open_state(data_dir: Path) -> sqlite_utils.Database:
    """The state database of ``data_dir``, created and brought up to date; safe to share
    between threads and processes, one writer at a time (WAL; writers wait up to 10 s for each
    other). Creating and migrating it is one process at a time (``state_lock``)."""
    path = state_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
    db = sqlite_utils.Database(conn)
    try:
        with state_lock(data_dir):
            db.execute("PRAGMA journal_mode=WAL")
            MIGRATIONS.apply(db)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise IndexDamaged(f"{path} is not a readable Revue state database: {exc}") from exc
    return db


@contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[None]:
    """One transaction holding SQLite's write lock from its start (``BEGIN IMMEDIATE``), so a
    read inside it cannot be overwritten by another process before the write. Neither
    ``with conn:`` nor a plain ``BEGIN`` does this: sqlite-utils 4 commits each ``execute``
    outside an explicit transaction at once, which lost 4 of 8 concurrent ``/settings``
    changes from two processes in CI."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        db.rollback()  # a failed COMMIT too: the connection must not stay in a transaction
        raise
