"""How an answer becomes a row and a row an ``AnswerRecord``, for both state backends (SQLite's
``answers`` and PostgreSQL's ``postgres.answers``): the same text is kept, and the same record
read back, whichever database holds it."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict
from typing import Any

from index.records import (
    Answer,
    AnswerRecord,
    Attribution,
    Citation,
    Copy,
    FigureChange,
    FirstReport,
    VoteKind,
)

VOTES: tuple[VoteKind, ...] = ("up", "down")
# SQLite and PostgreSQL keep UTF-8, which has no surrogates; a Python string can hold lone ones
# (a JSON escape such as "\ud800", or a terminal's undecodable bytes, read as \udc80-\udcff).
# PostgreSQL's text has no NUL either, which SQLite keeps: both become U+FFFD so that the two
# backends keep the same text.
UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


def storable(text: str) -> str:
    """``text`` as a database can keep it: each surrogate or NUL becomes U+FFFD."""
    return UNSTORABLE.sub("\ufffd", text)


def now_text() -> str:
    """Now as answers and votes keep it: ISO 8601, UTC, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def check_vote(vote: str) -> None:
    if vote not in VOTES:
        raise ValueError(f"a vote is 'up' or 'down', not {vote!r}")


def shown(answer: Answer) -> dict[str, Any]:
    """The columns of what an answer shows (set when it is recorded, and when it is revised)."""
    return {
        "answer": storable(answer.answer),
        "abstained": int(answer.abstained),
        "language": answer.language,
        "citations": storable(
            json.dumps([asdict(c) for c in answer.citations], ensure_ascii=False)
        ),
    }


def record(row: dict[str, Any]) -> AnswerRecord:
    """An ``answers`` row (columns by name) as the frozen record callers get."""
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
    first = data.pop("first", None)  # absent from answers kept before first reports
    if first is not None:
        change = first.pop("figure", None)
        first = FirstReport(**first, figure=FigureChange(**change) if change else None)
    said = data.pop("attribution", None)  # rows kept before issue 25 have none
    attribution = Attribution(**said) if said else None
    return Citation(**data, also_in=copies, first=first, attribution=attribution)
