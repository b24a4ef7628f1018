"""The answers the bot sent and the votes on them, in ``state.db`` (migration
``002_answers_and_votes``): a vote or a follow-up finds its question after a restart, and
``revue feedback`` lists what users thought of each answer."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlite_utils

from index.errors import AnswerNotFound
from index.records import Answer, AnswerRecord, Citation, Copy, Feedback, VoteKind
from index.storage.state import open_state

VOTES: tuple[VoteKind, ...] = ("up", "down")
# SQLite keeps UTF-8, which has no surrogates; a Python string can hold lone ones (a JSON escape
# such as "\ud800", or a terminal's undecodable bytes, which Python reads as \udc80-\udcff).
SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` as SQLite can keep it: each surrogate becomes U+FFFD (the replacement mark)."""
    return SURROGATE.sub("\ufffd", text)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _shown(answer: Answer) -> dict[str, Any]:
    return {
        "answer": storable(answer.answer),
        "abstained": int(answer.abstained),
        "language": answer.language,
        "citations": json.dumps([asdict(c) for c in answer.citations], ensure_ascii=False),
    }


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
            **_shown(answer),
            "created_at": _now(),
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
            self.db.table("answers").update(answer_id, _shown(answer))

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
        if vote not in VOTES:
            raise ValueError(f"a vote is 'up' or 'down', not {vote!r}")
        self.get(answer_id)  # raises AnswerNotFound
        key = [answer_id, user_id]
        with self._lock, self.db.conn:
            before = self.db.execute(
                "SELECT vote FROM votes WHERE answer_id = ? AND user_id = ?", key
            ).fetchone()
            self.db.execute(
                "INSERT INTO votes (answer_id, user_id, vote, voted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote, "
                "voted_at = excluded.voted_at",
                [*key, vote, _now()],
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
        return [_record(row) for row in rows]


def _record(row: dict[str, Any]) -> AnswerRecord:
    return AnswerRecord(
        id=row["id"],
        question=row["question"],
        asked=row["asked"],
        answer=row["answer"],
        abstained=bool(row["abstained"]),
        language=row["language"] or "",
        citations=tuple(_citation(c) for c in json.loads(row["citations"] or "[]")),
        created_at=row["created_at"],
        previous_id=row["previous_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
    )


def _citation(data: dict[str, Any]) -> Citation:
    copies = tuple(Copy(**c) for c in data.pop("also_in", ()))
    return Citation(**data, also_in=copies)
