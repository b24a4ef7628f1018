"""The written answer in Discord: the quotes are sent at once, then edited into the checked
written answer; a dead model leaves the quotes. The real discord.py client against the fake
Discord, the writer against the fake model endpoint, both on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import discord

from bot.render import READING, WRITING, WRITTEN_NOTE, check_limits
from tests.conftest import CORPUS
from tests.deadlines import HANG
from tests.fake_discord import APP_ID, FakeDiscord
from tests.fake_llm import FakeLLM, Reply
from tests.test_bot import (
    ALICE,
    BOB,
    CHANNEL_EDIT,
    FOLLOWUP,
    MESSAGES,
    QUESTION_CHANNEL,
    field_text,
    run,
    running_bot,
)
from tests.test_writing import PAUSED, QUESTION

FOLLOWUP_EDIT = rf"/webhooks/{APP_ID}/[^/]+/messages/\d+"


async def final_edit(fake: FakeDiscord, path: str) -> dict[str, Any]:
    """The edit that ends the writing (earlier ones show the answer so far)."""
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        edits = fake.sent("PATCH", path)
        if edits and not edits[-1].json["content"].endswith(WRITING):
            return dict(edits[-1].json)
        await asyncio.sleep(0.05)
    raise AssertionError(f"the answer was never edited into its final form: {fake.requests}")


def test_the_quotes_come_first_then_the_checked_written_answer(make_engine):
    with FakeLLM(Reply(f"{PAUSED} [1]. Le Sénat a voté contre [1].", delay=0.5)) as llm:
        engine = make_engine(writer="endpoint", llm_url=llm.url)
        engine.index([CORPUS])

        async def scenario() -> None:
            async with FakeDiscord() as fake, running_bot(engine, fake):
                await fake.send_message(QUESTION, author=ALICE)
                (first,) = await fake.wait_for("POST", MESSAGES)
                last = await final_edit(fake, CHANNEL_EDIT)
            assert first.json["content"].endswith(WRITING)
            assert "pause" in field_text(first.json)  # the quotes, before any written word
            assert last["content"] == f"{PAUSED} [1].\n{WRITTEN_NOTE}"
            assert "Sénat" not in last["content"] and field_text(last) == field_text(first.json)
            check_limits(last["content"], [discord.Embed.from_dict(e) for e in last["embeds"]])

        run(scenario())


def test_a_dead_model_leaves_the_quotes_without_an_error(make_engine):
    with FakeLLM() as llm:
        dead = llm.url
    engine = make_engine(writer="endpoint", llm_url=dead, llm_retries=0)
    engine.index([CORPUS])

    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(engine, fake):
            await fake.slash("ask", {"question": QUESTION}, author=BOB)
            (followup,) = await fake.wait_for("POST", FOLLOWUP)
            edit = await final_edit(fake, FOLLOWUP_EDIT)
        assert followup.json["content"].endswith(WRITING)
        assert edit["content"].startswith("Voici ce qu'en disent les articles")
        assert "pause" in field_text(edit)

    run(scenario())


def _reading_engine(make_engine: Any, llm: FakeLLM) -> Any:
    """An engine whose reader is the language model at ``llm`` (REVUE_READER's default where a
    model is set up): the bot shows the cosine's quotes first, then what the reader decided."""
    from index.engine import Revue
    from index.settings import Settings

    indexed = make_engine()
    indexed.index([CORPUS])
    settings = Settings(
        data_dir=indexed.data_dir, writer="endpoint", llm_url=llm.url, llm_retries=0
    )
    return Revue(settings, indexed.embedder)


def test_quotes_first_then_the_reader_declines_by_edit(make_engine):
    with FakeLLM(entails=lambda request: 0.01) as llm:  # no passage answers
        engine = _reading_engine(make_engine, llm)

        async def scenario() -> None:
            async with FakeDiscord() as fake, running_bot(engine, fake):
                await fake.send_message(QUESTION, author=ALICE)
                (first,) = await fake.wait_for("POST", MESSAGES)
                last = await final_edit(fake, CHANNEL_EDIT)
            assert first.json["content"].endswith(READING)
            assert "pause" in field_text(first.json)  # the quotes, before the reader is done
            assert last["content"].startswith("Les articles dont je dispose ne le disent pas.")
            assert "J'ai cherché dans 2 articles" in last["content"]
            assert last["embeds"] == []  # the quotes that do not answer are taken back
            assert llm.checks and not llm.writes  # read, and nothing written for a decline

        run(scenario())
        log = engine.answers()
        try:  # a vote or a follow-up refers to what the message shows in the end: the decline
            record = log.latest_in(QUESTION_CHANNEL)
        finally:
            log.close()
            engine.close()
        assert record is not None and record.abstained and record.citations == ()


def test_quotes_first_then_the_read_quotes_then_the_written_answer(make_engine):
    def believes_pulse(request: Any) -> float:
        return 0.97 if "Pulse" in request.user else 0.02

    with FakeLLM(Reply(f"{PAUSED} [1].", delay=0.2), entails=believes_pulse) as llm:
        engine = _reading_engine(make_engine, llm)

        async def scenario() -> None:
            async with FakeDiscord() as fake, running_bot(engine, fake):
                await fake.slash("ask", {"question": QUESTION}, author=BOB)
                (followup,) = await fake.wait_for("POST", FOLLOWUP)
                last = await final_edit(fake, FOLLOWUP_EDIT)
            assert followup.json["content"].endswith(READING)
            assert last["content"] == f"{PAUSED} [1].\n{WRITTEN_NOTE}"
            quotes = [f["value"] for e in last["embeds"] for f in e["fields"]]
            assert quotes and all("Pulse" in q for q in quotes)  # only what the reader believes

        run(scenario())
        engine.close()


def test_the_terminal_says_the_model_is_reading_then_prints_the_decline(make_engine):
    from click.testing import CliRunner

    from cli.main import cli

    with FakeLLM(entails=lambda request: 0.01) as llm:
        engine = _reading_engine(make_engine, llm)
        result = CliRunner().invoke(cli, ["ask", QUESTION], obj=engine, catch_exceptions=False)
        engine.close()
    assert result.exit_code == 0
    assert "Reading the best passages with the language model" in result.stderr
    assert result.stdout.startswith("Les articles dont je dispose ne le disent pas.")


def test_a_question_declined_before_reading_costs_the_model_nothing(make_engine):
    with FakeLLM() as llm:
        engine = _reading_engine(make_engine, llm)
        draft = engine.draft("What does ChatGPT Plus cost?")  # a name no passage mentions
        assert draft.answer.abstained and not draft.pending
        assert engine.read(draft) == draft.answer and llm.requests == []
        engine.close()
