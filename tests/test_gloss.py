"""Bilingual evidence: beside a French quote under an English question, its English gloss, made by
the language model (the fake endpoint here) and checked (numbers, names, closeness by the real
embedding model) before it is shown, marked as a machine translation and never in quotation
marks; through the engine, the command line and the fake Discord."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.records import Answer
from index.writing.gloss import LABEL, Glosser, names, numbers
from tests.conftest import CORPUS
from tests.deadlines import HANG
from tests.fake_discord import FakeDiscord
from tests.fake_llm import FakeLLM, Reply
from tests.test_bot import ALICE, CHANNEL_EDIT, QUESTION_CHANNEL, field_text, run, running_bot
from tests.test_cli import invoke

QUESTION = "How many monthly users does Gemini have?"
QUOTE_START = "Mi-novembre, la filiale d’Alphabet a revendiqué plus de 650 millions"
FAITHFUL = (
    "In mid-November, the Alphabet subsidiary claimed more than 650 million monthly users for "
    "its Gemini chatbot, a figure almost doubled in seven months, while OpenAI puts the number "
    "of internet users who use ChatGPT every week at more than 800 million."
)
NO_NUMBER = FAITHFUL.replace("800 million", "many millions")
NO_NAME = FAITHFUL.replace("Gemini chatbot", "chatbot")
FAR = (  # the names and numbers, about something else: the cosine drops it
    "The weather will be rainy in the west: 650 and 800 millimetres for Alphabet, Gemini, OpenAI "
    "and ChatGPT."
)


def test_numbers_are_compared_whatever_the_separators():
    assert numbers("5 milliards, 1 200 000 euros, 3,5 % en 2024", "fr") == {
        "5",
        "1200000",
        "3.5",
        "2024",
    }
    assert numbers("5 billion, 1,200,000 euros, 3.5% in 2024", "en") == {
        "5",
        "1200000",
        "3.5",
        "2024",
    }


def test_names_are_capitalised_runs_not_at_a_sentence_start_and_acronyms():
    found = names("Selon Le Monde, le président Emmanuel Macron a reçu l'OTAN à l'Élysée.")
    assert found == ["Le Monde", "Emmanuel Macron", "OTAN", "Élysée"]
    assert names("« Nous gagnerons », a dit Jean-Luc Mélenchon (LFI).") == [
        "Jean-Luc Mélenchon",
        "LFI",
    ]


def _glosser(llm: FakeLLM, cosine: float = 0.95) -> Glosser:
    from index.writing.client import ChatClient, Endpoint

    client = ChatClient(Endpoint(llm.url, retries=0))

    def encode(texts: Any) -> np.ndarray:
        return np.array([[1.0, 0.0], [cosine, (1 - cosine**2) ** 0.5]])

    return Glosser(lambda: client, encode, threshold=0.9)


QUOTE = (
    "Mi-novembre, la filiale d’Alphabet a revendiqué plus de 650 millions d’utilisateurs mensuels "
    "pour son chatbot Gemini, un chiffre quasiment doublé en sept mois, tandis qu’OpenAI évalue à "
    "plus de 800 millions le nombre d’internautes qui utilisent ChatGPT chaque semaine."
)


@pytest.mark.parametrize(
    ("reply", "cosine", "kept", "why"),
    [
        (FAITHFUL, 0.95, True, "every check passed"),
        (NO_NUMBER, 0.95, False, "numbers missing: 800"),
        (NO_NAME, 0.95, False, "names missing: Gemini"),
        (FAITHFUL, 0.5, False, "cosine 0.500 < 0.9"),
        ("", 0.95, False, "no translation"),
    ],
)
def test_a_gloss_is_kept_only_when_every_check_passes(reply, cosine, kept, why):
    with FakeLLM(Reply(reply)) as llm:
        check = _glosser(llm, cosine).check(QUOTE, "en")
        (request,) = llm.writes
    assert check.kept is kept and why in check.reason
    assert "French into English" in request.system and QUOTE in request.user


def _engine(make_engine: Any, embedder: Any, llm: FakeLLM, **settings: Any) -> Any:
    """An engine over the seed articles with the real embedding model, the fake model as its
    writer, and no reader (the cosine picks the quotes)."""
    from index.engine import Revue
    from index.settings import Settings

    indexed = make_engine(model=embedder)
    indexed.index([CORPUS])
    options = {"writer": "endpoint", "llm_url": llm.url, "llm_retries": 0, "reader": "none"}
    options["gloss"] = "auto"  # off by default (docs/benchmarks.md, "Bilingual evidence")
    return Revue(Settings(data_dir=indexed.data_dir, **{**options, **settings}), embedder)


@pytest.mark.parametrize(
    ("reply", "shown"), [(FAITHFUL, True), (NO_NUMBER, False), (NO_NAME, False), (FAR, False)]
)
def test_an_english_question_over_french_quotes_gets_checked_glosses(
    make_engine, embedder, reply, shown
):
    with FakeLLM(Reply(reply)) as llm:
        engine = _engine(make_engine, embedder, llm)
        answer = engine.gloss(engine.ask(QUESTION))
    (first, *_) = answer.citations
    assert first.quote.startswith(QUOTE_START)
    assert first.gloss == (FAITHFUL if shown else None)
    assert first.quote == QUOTE  # the verbatim quote stands, glossed or not


def test_no_gloss_when_off_or_when_the_question_is_french(make_engine, embedder):
    with FakeLLM(Reply(FAITHFUL)) as llm:
        off = _engine(make_engine, embedder, llm, gloss="off")
        assert all(c.gloss is None for c in off.gloss(off.ask(QUESTION)).citations)
        french = _engine(make_engine, embedder, llm)
        asked = french.ask("Combien d'utilisateurs mensuels revendique Gemini ?")
        assert not french.will_gloss(asked)
        assert all(c.gloss is None for c in french.gloss(asked).citations)
        assert not llm.writes  # the model was never asked


def test_no_language_model_no_gloss(seed_engine):
    answer = seed_engine.ask(QUESTION)
    assert seed_engine.gloss(answer) == answer and not seed_engine.will_gloss(answer)


def test_the_command_line_shows_the_gloss_marked_and_outside_the_quotes(make_engine, embedder):
    with FakeLLM(Reply(FAITHFUL)) as llm:
        engine = _engine(make_engine, embedder, llm)
        as_json = json.loads(invoke(engine, "ask", "--json", "--no-write", QUESTION).output)
        text = invoke(engine, "ask", "--no-write", QUESTION).output
    assert as_json["citations"][0]["gloss"] == FAITHFUL
    assert f"    {LABEL}: {FAITHFUL}\n" in text
    assert f"“{FAITHFUL}" not in text and QUOTE in text  # the original, verbatim, stays


def test_stored_answers_without_glosses_still_load():
    from index.storage.answer_rows import _citation

    row = {
        "n": 1,
        "article_id": "a",
        "title": None,
        "source": None,
        "date": None,
        "url": None,
        "quote": "q",
        "start": 0,
        "end": 1,
        "score": 0.5,
    }
    assert _citation(row).gloss is None


def test_discord_edits_the_gloss_in_beside_the_quote(make_engine, embedder, tmp_path: Path):
    # The writer's answer first (the fake model's reply is no answer: it is dropped), then the
    # gloss, on the writer's worker.
    with FakeLLM(Reply(FAITHFUL)) as llm:
        engine = _engine(make_engine, embedder, llm)

        async def scenario() -> None:
            async with FakeDiscord() as fake, running_bot(engine, fake):
                await fake.send_message(QUESTION, author=ALICE)
                deadline = time.monotonic() + HANG
                while time.monotonic() < deadline:
                    edits = fake.sent("PATCH", CHANNEL_EDIT)
                    if edits and LABEL in field_text(edits[-1].json):
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError(f"no gloss was edited in: {fake.requests}")
            fields = field_text(edits[-1].json)
            assert f"-# {LABEL}: In mid-November, the Alphabet subsidiary" in fields
            assert "“In mid-November" not in fields and "“Mi-novembre" in fields

        run(scenario())
        log = engine.answers()
        try:  # the answer log keeps what the message shows: the glosses too
            record = log.latest_in(QUESTION_CHANNEL)
        finally:
            log.close()
            engine.close()
        assert record is not None and record.citations[0].gloss == FAITHFUL


@pytest.mark.parametrize("count", [1, 3, 10])
def test_glosses_fit_discords_limits_marked_and_outside_the_quotes(count):
    from dataclasses import replace

    import discord

    from bot.render import check_limits, render_answer
    from cli.output import citation_lines
    from tests.test_bot_render import citation

    citations = tuple(
        replace(citation(n, "mot " * 400), gloss=f"word {n} " * 200) for n in range(1, count + 1)
    )
    answer = Answer("Q?", "Voici [1]", False, "en", citations)
    reply = render_answer(answer)
    check_limits(reply.content, reply.embeds)
    values = [f.value or "" for e in reply.embeds for f in e.fields]
    assert all(f"\n-# {LABEL}: word" in v for v in values)
    assert all("“word" not in v for v in values)
    assert isinstance(reply.embeds[0], discord.Embed)
    lines = citation_lines(citations[0])
    assert lines[-1].startswith(f"    {LABEL}: word 1") and lines[-2].startswith("    “mot")
