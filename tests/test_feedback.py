"""Votes under answers, through the real discord.py client against the fake Discord: stored
with the question and citations in state.db, changed by a second click, understood after a
restart, listed by ``revue feedback`` and exported as ``revue eval`` questions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import cli
from index.evaluation import load_questions
from index.records import Answer, Citation
from tests.conftest import CORPUS
from tests.fake_discord import FakeDiscord
from tests.test_bot import (
    ALICE,
    BOB,
    CALLBACK,
    FOLLOWUP,
    MESSAGES,
    _restore_endpoints,  # noqa: F401 - the autouse fixture, for these tests too
    field_text,
    run,
    running_bot,
)

VOTE_ID = re.compile(r"revue:vote:(up|down):(\d+)")


@pytest.fixture
def engine(make_engine: Any, backend: dict[str, Any]) -> Any:
    """The seeds indexed with the fake encoder, in this test's own data directory; the answers
    and votes in ``state.db``, then in PostgreSQL."""
    e = make_engine(**backend)
    e.index([CORPUS])
    return e


def buttons(body: dict[str, Any]) -> dict[str, str]:
    """The vote buttons of a sent message: custom id by emoji."""
    found = [c for row in body.get("components", []) for c in row["components"]]
    return {b["emoji"]["name"]: b["custom_id"] for b in found if VOTE_ID.fullmatch(b["custom_id"])}


async def acknowledgements(fake: FakeDiscord, count: int) -> list[dict[str, Any]]:
    """The bot's replies to the first ``count`` button clicks (type 4: a message)."""
    replies = await fake.wait_for("POST", CALLBACK, count)
    return [r.json for r in replies]


def test_votes_are_stored_changed_and_still_work_after_a_restart(engine):
    question = "How many monthly users does Gemini claim?"

    async def scenario() -> dict[str, Any]:
        async with FakeDiscord() as fake:
            async with running_bot(engine, fake):
                await fake.send_message(question, author=ALICE)
                (reply,) = await fake.wait_for("POST", MESSAGES)
                ids = buttons(reply.json)
                assert set(ids) == {"👍", "👎"}
                await fake.click(reply.response, ids["👍"], author=ALICE)
                await acknowledgements(fake, 1)
                await fake.click(reply.response, ids["👎"], author=ALICE)  # changes her vote
                acks = await acknowledgements(fake, 2)
            async with running_bot(engine, fake):  # a new bot, the same data directory
                await fake.click(reply.response, ids["👍"], author=BOB)
                acks = await acknowledgements(fake, 3)
        assert all(a["type"] == 4 and a["data"]["flags"] & 64 for a in acks)  # private
        assert acks[0]["data"]["content"].startswith("Thanks for the 👍")
        assert acks[1]["data"]["content"].startswith("Changed your vote to 👎")
        assert acks[2]["data"]["content"].startswith("Thanks for the 👍")
        return reply.json

    body = run(scenario())
    log = engine.answers()
    votes = {f.user_id: f for f in log.feedback()}
    log.close()
    assert {u: f.vote for u, f in votes.items()} == {1001: "down", 1002: "up"}  # one row each
    answer = votes[1001].answer
    assert answer.question == question and answer.asked == question
    assert answer.citations and any("650 millions" in c.quote for c in answer.citations)
    assert answer.citations[0].quote[:40] in field_text(body).replace("\n", " ")
    assert answer.message_id is not None and answer.channel_id is not None


def test_slash_ask_answers_carry_vote_buttons_and_a_vote_on_a_lost_answer_is_refused(engine):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(engine, fake):
            await fake.slash("ask", {"question": "Who is Nick Turley?"}, author=ALICE)
            (followup,) = await fake.wait_for("POST", FOLLOWUP)
            ids = buttons(followup.json)
            assert set(ids) == {"👍", "👎"}
            answer_id = int(VOTE_ID.fullmatch(ids["👍"])[2])  # type: ignore[index]
            await fake.click(followup.response, ids["👍"], author=BOB)
            await fake.wait_for("POST", CALLBACK, 2)  # the /ask deferral, then this vote's
            lost = {**followup.response, "components": [{"type": 1, "components": [
                {"type": 2, "style": 2, "custom_id": "revue:vote:down:999999",
                 "emoji": {"name": "👎"}}]}]}  # fmt: skip
            await fake.click(lost, "revue:vote:down:999999", author=BOB)
            replies = [r.json for r in await fake.wait_for("POST", CALLBACK, 3)]
        texts = [r["data"]["content"] for r in replies if r["type"] == 4]
        assert texts[0].startswith("Thanks for the 👍")
        assert texts[1].startswith("I no longer have that answer")
        log = engine.answers()
        (vote,) = log.feedback()
        log.close()
        assert vote.answer.id == answer_id and vote.answer.question == "Who is Nick Turley?"

    run(scenario())


def _down_voted(engine: Any) -> int:
    """An answer kept in the log with a 👍 and two 👎, as the bot would have left it."""
    quote = "Nick Turley, responsable de ChatGPT"
    cited = Citation(1, "afp", "T", "AFP", "2025-12-02", None, quote, 0, len(quote), 1.0)
    log = engine.answers()
    first = log.record("Who runs ChatGPT?", Answer("Who runs ChatGPT?", "x [1]", False, "en"))
    record = log.record("and Gemini?", Answer("Who runs Gemini?", "y [1]", False, "en", (cited,)))
    log.sent(record.id, 42, 4242)
    log.vote(first.id, 1001, "up")
    log.vote(record.id, 1001, "down")
    log.vote(record.id, 1002, "down")
    log.close()
    return record.id


def test_revue_feedback_lists_votes_as_json(engine):
    answer_id = _down_voted(engine)
    result = CliRunner().invoke(cli, ["feedback", "--json"], obj=engine, catch_exceptions=False)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3
    down = [r for r in rows if r["answer_id"] == answer_id]
    assert {r["user_id"] for r in down} == {1001, 1002} and {r["vote"] for r in down} == {"down"}
    assert down[0]["question"] == "and Gemini?" and down[0]["asked"] == "Who runs Gemini?"
    assert down[0]["citations"][0]["quote"] == "Nick Turley, responsable de ChatGPT"
    assert down[0]["message_id"] == 4242
    text = CliRunner().invoke(cli, ["feedback"], obj=engine).stdout
    assert "👎 answer" in text and "asked as: Who runs Gemini?" in text


def test_a_thumbs_down_is_exported_as_an_eval_question_to_complete(engine, tmp_path: Path):
    answer_id = _down_voted(engine)
    out = tmp_path / "todo.jsonl"
    result = CliRunner().invoke(
        cli, ["feedback", "--export", str(out)], obj=engine, catch_exceptions=False
    )
    assert "1 question written" in result.stderr and "evidence" in result.stderr
    (line,) = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert line["id"] == f"feedback-{answer_id}" and line["voted_down"] == 2
    assert line["evidence"] == [] and "evidence" in line["todo"]
    assert line["cited"] == ["Nick Turley, responsable de ChatGPT"]
    (question,) = load_questions(out)  # what `revue eval` reads
    assert question.question == "Who runs Gemini?" and question.answerable
    assert question.evidence == () and question.lang == "en"


def test_closing_the_answer_log_while_workers_write_to_it_does_not_crash(
    tmp_path: Path, backend: dict[str, Any]
):
    """The bot closes its answer log on shutdown while workers may still note sent answers:
    closing a SQLite connection under a running statement crashed a busy suite once."""
    import sqlite3
    import threading

    from index.errors import DatabaseUnavailable
    from index.settings import Settings
    from index.storage.states import open_answer_log

    log = open_answer_log(Settings(data_dir=tmp_path, **backend))
    kept = log.record("q?", Answer("q?", "a", False, "en"))
    errors: list[BaseException] = []
    started = threading.Barrier(5)

    def note() -> None:
        started.wait()
        try:
            for n in range(100_000):
                log.sent(kept.id, 1, n)
                log.latest_in(1)
        # "closed database" (SQLite), "…was closed" (PostgreSQL): the clear way to stop
        except (sqlite3.ProgrammingError, DatabaseUnavailable) as exc:
            errors.append(exc)

    workers = [threading.Thread(target=note) for _ in range(4)]
    for w in workers:
        w.start()
    started.wait()
    log.close()
    for w in workers:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in workers)
    assert len(errors) == 4 and all("closed" in str(e) for e in errors)
