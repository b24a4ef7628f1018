"""The answers the bot sent and the votes on them, in PostgreSQL: ``AnswerLog``
(``storage.answers``) with the same methods and records, shared by every bot process, so a
vote or a follow-up finds its question whichever process answered it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
from psycopg.rows import dict_row

from index.errors import AnswerNotFound
from index.records import Answer, AnswerRecord, Feedback, VoteKind
from index.storage.answer_rows import check_vote, now_text, record, shown, storable
from index.storage.postgres.session import Session
from index.storage.postgres.state import MIGRATIONS, MIGRATIONS_TABLE

COLUMNS = (
    "id, question, asked, answer, abstained, language, citations, created_at, previous_id, "
    "channel_id, message_id"
)


def _text(moment: dt.datetime) -> str:
    # As SQLite keeps it (``now_text``): ISO 8601 in UTC, to the second.
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _answers(
    conn: psycopg.Connection, where: str, params: list[Any], limit: int | None = None
) -> list[AnswerRecord]:
    query = f"SELECT {COLUMNS} FROM answers WHERE {where} ORDER BY id DESC"  # noqa: S608
    if limit is not None:
        query += f" LIMIT {int(limit)}"
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query.encode(), params).fetchall()
    return [record({**row, "created_at": _text(row["created_at"])}) for row in rows]


def _get(conn: psycopg.Connection, answer_id: int) -> AnswerRecord:
    rows = _answers(conn, "id = %s", [answer_id])
    if not rows:
        raise AnswerNotFound(f"no answer {answer_id} is remembered")
    return rows[0]


class PostgresAnswerLog:
    """Answers (id ↔ Discord message ↔ question, answer, citations) and one vote per user per
    answer. Thread-safe: the bot writes from worker threads."""

    def __init__(self, url: str) -> None:
        self._session = Session(url, MIGRATIONS_TABLE, MIGRATIONS)
        self._session.ensure()

    def close(self) -> None:
        self._session.close()

    def record(
        self,
        question: str,
        answer: Answer,
        previous_id: int | None = None,
        channel_id: int | None = None,
    ) -> AnswerRecord:
        """Keep ``answer`` (to ``question`` as typed) before it is sent: its id goes into the
        vote buttons' ids."""
        row = shown(answer)
        values = [
            storable(question), storable(answer.question), row["answer"],
            bool(row["abstained"]), row["language"], row["citations"], now_text(),
            previous_id, channel_id,
        ]  # fmt: skip

        def insert(conn: psycopg.Connection) -> AnswerRecord:
            new = conn.execute(
                "INSERT INTO answers (question, asked, answer, abstained, language, citations, "
                "created_at, previous_id, channel_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                values,
            ).fetchone()
            assert new is not None  # RETURNING gives one row
            return _get(conn, new[0])

        return self._session.run(insert)

    def revise(self, answer_id: int, answer: Answer) -> None:
        """Keep what answer ``answer_id`` became once read (quotes dropped, or a decline)."""
        row = shown(answer)
        values = [row["answer"], bool(row["abstained"]), row["language"], row["citations"]]
        self._session.run(
            lambda conn: conn.execute(
                "UPDATE answers SET answer = %s, abstained = %s, language = %s, citations = %s "
                "WHERE id = %s",
                [*values, answer_id],
            )
        )

    def sent(self, answer_id: int, channel_id: int, message_id: int) -> None:
        """Where Discord shows the answer (a channel or a thread, and the message)."""
        self._session.run(
            lambda conn: conn.execute(
                "UPDATE answers SET channel_id = %s, message_id = %s WHERE id = %s",
                [channel_id, message_id, answer_id],
            )
        )

    def get(self, answer_id: int) -> AnswerRecord:
        return self._session.run(lambda conn: _get(conn, answer_id))

    def by_message(self, message_id: int) -> AnswerRecord | None:
        """The answer Discord shows as message ``message_id``, if it is one of Revue's."""
        rows = self._session.run(lambda conn: _answers(conn, "message_id = %s", [message_id]))
        return rows[0] if rows else None

    def latest_in(self, channel_id: int) -> AnswerRecord | None:
        """The latest answer sent into ``channel_id`` (a thread's latest, for a follow-up)."""
        where = "channel_id = %s AND message_id IS NOT NULL"
        rows = self._session.run(lambda conn: _answers(conn, where, [channel_id], 1))
        return rows[0] if rows else None

    def vote(self, answer_id: int, user_id: int, vote: VoteKind) -> VoteKind | None:
        """Record ``user_id``'s vote on the answer, replacing theirs; returns the vote it
        replaced (None for a first vote)."""
        check_vote(vote)

        def upsert(conn: psycopg.Connection) -> VoteKind | None:
            _get(conn, answer_id)  # raises AnswerNotFound
            # One click at a time per (answer, user) until the commit: two clicks at once each
            # see the other's vote or none, never a vote overwritten unseen. (``FOR UPDATE``
            # alone locks nothing before the first vote's row exists.)
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"vote:{answer_id}:{user_id}"],
            )
            before = conn.execute(
                "SELECT vote FROM votes WHERE answer_id = %s AND user_id = %s",
                [answer_id, user_id],
            ).fetchone()
            conn.execute(
                "INSERT INTO votes (answer_id, user_id, vote, voted_at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote, "
                "voted_at = excluded.voted_at",
                [answer_id, user_id, vote, now_text()],
            )
            return before[0] if before else None

        return self._session.run(upsert)

    def feedback(self, vote: VoteKind | None = None) -> list[Feedback]:
        """Every vote (or only ``vote``s), latest first, each with its answer."""
        where, params = ("WHERE vote = %s", [vote]) if vote else ("", [])
        query = (
            f"SELECT answer_id, user_id, vote, voted_at FROM votes {where} "  # noqa: S608
            "ORDER BY voted_at DESC, answer_id DESC"
        )

        def select(conn: psycopg.Connection) -> list[Feedback]:
            answers: dict[int, AnswerRecord] = {}
            out = []
            for answer_id, user_id, kind, voted_at in conn.execute(query.encode(), params):
                if answer_id not in answers:
                    answers[answer_id] = _get(conn, answer_id)
                out.append(Feedback(answers[answer_id], user_id, kind, _text(voted_at)))
            return out

        return self._session.run(select)
