"""The answers the bot sent and the votes on them, in ``state.db`` (migration
``002_answers_and_votes``): a vote or a follow-up finds its question after a restart, and
``revue feedback`` lists what users thought of each answer. ``postgres.answers`` is the same in
PostgreSQL; ``answer_rows`` turns answers into rows and back for both."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import sqlite_utils

from index.errors import AnswerNotFound
from index.records import Answer, AnswerRecord, Feedback, VoteKind
from index.storage.answer_rows import check_vote, now_text, record, shown, storable
from index.storage.state import open_state, writing


class AnswerLog:
    """Answers (id ↔ Discord message ↔ question, answer, citations) and one vote per user per
    answer. Thread-safe: the bot writes from worker threads."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        # Every statement and the close hold it: closing a SQLite connection while another
        # thread runs a statement on it crashes the process (seen once in 9 busy suite runs,
        # the bot shutting down while a worker noted a sent answer).
        self._lock = threading.RLock()

    @classmethod
    def open(cls, data_dir: Path) -> AnswerLog:
        """The log in ``data_dir``'s ``state.db`` (created and migrated on first use)."""
        return cls(open_state(data_dir))

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def record(
        self,
        question: str,
        answer: Answer,
        previous_id: int | None = None,
        channel_id: int | None = None,
    ) -> AnswerRecord:
        """Keep ``answer`` (to ``question`` as typed; ``answer.question`` is what the index was
        asked) before it is sent: its id goes into the vote buttons' ids."""
        row = {
            "question": storable(question),
            "asked": storable(answer.question),
            **shown(answer),
            "created_at": now_text(),
            "previous_id": previous_id,
            "channel_id": channel_id,
        }
        with self._lock, self.db.conn:
            answer_id = self.db.table("answers").insert(row).last_rowid
        assert answer_id is not None  # an INSERT always has one
        return self.get(answer_id)

    def revise(self, answer_id: int, answer: Answer) -> None:
        """Keep what answer ``answer_id`` became once read (quotes dropped, or a decline): votes
        and follow-ups then refer to what the message shows in the end."""
        with self._lock, self.db.conn:
            self.db.table("answers").update(answer_id, shown(answer))

    def sent(self, answer_id: int, channel_id: int, message_id: int) -> None:
        """Where Discord shows the answer (a channel or a thread, and the message)."""
        with self._lock, self.db.conn:
            self.db.execute(
                "UPDATE answers SET channel_id = ?, message_id = ? WHERE id = ?",
                [channel_id, message_id, answer_id],
            )

    def get(self, answer_id: int) -> AnswerRecord:
        rows = self._answers("id = ?", [answer_id])
        if not rows:
            raise AnswerNotFound(f"no answer {answer_id} is remembered")
        return rows[0]

    def by_message(self, message_id: int) -> AnswerRecord | None:
        """The answer Discord shows as message ``message_id``, if it is one of Revue's."""
        rows = self._answers("message_id = ?", [message_id])
        return rows[0] if rows else None

    def latest_in(self, channel_id: int) -> AnswerRecord | None:
        """The latest answer sent into ``channel_id`` (a thread's latest, for a follow-up)."""
        rows = self._answers("channel_id = ? AND message_id IS NOT NULL", [channel_id], 1)
        return rows[0] if rows else None

    def vote(self, answer_id: int, user_id: int, vote: VoteKind) -> VoteKind | None:
        """Record ``user_id``'s vote on the answer, replacing theirs; returns the vote it
        replaced (None for a first vote)."""
        check_vote(vote)
        self.get(answer_id)  # raises AnswerNotFound
        key = [answer_id, user_id]
        with self._lock, writing(self.db):  # the vote replaced is the one read
            before = self.db.execute(
                "SELECT vote FROM votes WHERE answer_id = ? AND user_id = ?", key
            ).fetchone()
            self.db.execute(
                "INSERT INTO votes (answer_id, user_id, vote, voted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote, "
                "voted_at = excluded.voted_at",
                [*key, vote, now_text()],
            )
        return before[0] if before else None

    def feedback(self, vote: VoteKind | None = None) -> list[Feedback]:
        """Every vote (or only ``vote``s), latest first, each with its answer."""
        where, params = ("WHERE vote = ?", [vote]) if vote else ("", [])
        with self._lock:
            rows = self.db.execute(
                f"SELECT answer_id, user_id, vote, voted_at FROM votes {where} "  # noqa: S608
                "ORDER BY voted_at DESC, answer_id DESC",
                params,
            ).fetchall()
        answers: dict[int, AnswerRecord] = {}
        out = []
        for answer_id, user_id, kind, voted_at in rows:
            if answer_id not in answers:
                answers[answer_id] = self.get(answer_id)
            out.append(Feedback(answers[answer_id], user_id, kind, voted_at))
        return out

    def _answers(
        self, where: str, params: list[Any], limit: int | None = None
    ) -> list[AnswerRecord]:
        with self._lock:
            rows = list(
                self.db.table("answers").rows_where(where, params, order_by="id DESC", limit=limit)
            )
        return [record(row) for row in rows]
