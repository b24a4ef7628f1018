"""The real discord.py client, with the real engine (fake encoder), against a fake Discord on
loopback. ``test_bot_cli`` runs the installed bot with the real model."""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.client import RevueBot, make_bot
from bot.render import check_limits
from bot.settings import BotSettings
from index.records import Answer, ArticleInfo, Citation
from index.search.citations import Draft
from tests.conftest import CORPUS, write
from tests.deadlines import HANG
from tests.fake_discord import APP_ID, BOT_ID, MANAGE_GUILD, FakeDiscord, user
from tests.settle import Settle, until

ALICE = user(1001, "alice")
BOB = user(1002, "bob")
OTHER_BOT = user(1003, "otherbot", bot=True)
QUESTION_CHANNEL = 900_000_000_000_000_200
QUIET_CHANNEL = 900_000_000_000_000_201
INSTITUT_TITLE = "OpenAI en « Code Rouge »"
MESSAGES = r"/channels/\d+/messages"
FOLLOWUP = rf"/webhooks/{APP_ID}/[^/]+"
ORIGINAL = rf"/webhooks/{APP_ID}/[^/]+/messages/@original"
CALLBACK = r"/interactions/\d+/[^/]+/callback"
CHANNEL_EDIT = rf"/channels/{QUESTION_CHANNEL}/messages/\d+"


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """A scenario on a new event loop; its waits have deadlines (HANG), and pytest-timeout
    stops one that hangs between them."""
    return asyncio.run(coro)


@pytest.fixture(autouse=True)
def _restore_endpoints():
    """The bot points discord.py's class-level endpoints at the fake; put them back after."""
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@asynccontextmanager
async def running_bot(engine: Any, fake: FakeDiscord, **overrides: Any) -> AsyncIterator[RevueBot]:
    """The bot logged in to ``fake`` and ready; closed (and checked for stray routes) after."""
    options = {"channels": [QUESTION_CHANNEL], "question_every": 0, **overrides}
    settings = BotSettings(
        _env_file=None,
        token="fake-token",
        api_base=fake.api_base,
        gateway_url=fake.gateway_url,
        **options,
    )
    bot = make_bot(engine, settings, guild_ready_timeout=0.05)
    started = asyncio.create_task(bot.start("fake-token"))
    ready = asyncio.create_task(bot.wait_until_ready())
    await asyncio.wait({started, ready}, timeout=HANG, return_when=asyncio.FIRST_COMPLETED)
    if started.done():
        ready.cancel()
        started.result()
    assert ready.done(), "the bot did not become ready"
    try:
        yield bot
    finally:
        await bot.close()
        await started
    assert fake.unknown == [], f"the bot called routes the fake does not know: {fake.unknown}"


def field_text(body: dict[str, Any]) -> str:
    return " ".join(
        f"{f['name']} {f['value']}" for e in body.get("embeds", []) for f in e.get("fields", [])
    )


def test_login_syncs_commands_with_descriptions_and_default_permissions(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_index, fake):
            (sync,) = await fake.wait_for("PUT", rf"/applications/{APP_ID}/commands")
        assert fake.sent("GET", "/users/@me") and fake.sent("GET", "/oauth2/applications/@me")
        assert sync.headers["Authorization"] == "Bot fake-token"
        assert fake.gw.intents is not None and fake.gw.intents & (1 << 15)  # message content
        commands = {c["name"]: c for c in sync.body}
        assert set(commands) == {
            "ask",
            "sources",
            "reindex",
            "follow",
            "unfollow",
            "following",
            "timeline",
            "compare",
            "check",
            "settings",
        }
        for command in commands.values():
            assert command["description"] and command["description"] != "…"
            for option in command.get("options", []):
                assert option["description"] and option["description"] != "…"
        assert [o["name"] for o in commands["ask"]["options"]] == [
            "question",
            "outlet",
            "since",
            "until",
        ]
        assert commands["ask"]["options"][1]["autocomplete"] is True
        assert commands["ask"]["options"][0]["required"] is True
        assert int(commands["reindex"]["default_member_permissions"]) == MANAGE_GUILD
        assert commands["ask"]["default_member_permissions"] is None

    run(scenario())


def test_a_mention_is_answered_with_a_citation_from_the_seed_corpus(seed_engine):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_engine, fake):
            asked = await fake.send_message(
                f"<@{BOT_ID}> Why did OpenAI pause advertising?",
                author=ALICE,
                channel_id=QUIET_CHANNEL,
            )
            (reply,) = await fake.wait_for("POST", MESSAGES)
        body = reply.json
        assert reply.path == f"/channels/{QUIET_CHANNEL}/messages"
        assert str(body["message_reference"]["message_id"]) == asked["id"]
        assert body["allowed_mentions"] == {"parse": []}
        assert (
            body["content"].startswith("Here is what the coverage says")
            and "[1]" in body["content"]
        )
        assert INSTITUT_TITLE in field_text(
            body
        ) and "[1] Institut des Arts Numériques" in field_text(body)
        assert "mises en pause" in field_text(body) or "concurrence" in field_text(body)
        check_limits(body["content"], [discord.Embed.from_dict(e) for e in body["embeds"]])
        assert fake.sent("POST", rf"/channels/{QUIET_CHANNEL}/typing")

    run(scenario())


def test_questions_channel_answered_other_channels_and_bots_ignored(seed_index):
    async def scenario() -> None:
        fake = FakeDiscord(channels=(QUESTION_CHANNEL, QUIET_CHANNEL))
        async with fake, running_bot(seed_index, fake) as bot:
            settle = Settle(bot)
            sent = [
                await fake.send_message(
                    "Who is Nick Turley?", author=ALICE, channel_id=QUIET_CHANNEL
                ),
                await fake.send_message("Who is Nick Turley?", author=OTHER_BOT),
                await fake.send_message("Who is Nick Turley?", author=BOB),
            ]
            await settle(*(m["id"] for m in sent))
        (reply,) = fake.sent("POST", MESSAGES)
        assert reply.path == f"/channels/{QUESTION_CHANNEL}/messages"
        assert "Nick Turley" in field_text(reply.json)
        assert len(fake.sent("POST", MESSAGES)) == 1

    run(scenario())


def test_a_bare_mention_gets_help_and_an_empty_channel_message_is_ignored(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_index, fake) as bot:
            settle = Settle(bot)
            image = await fake.send_message("", author=BOB)  # e.g. an image alone
            bare = await fake.send_message(f"<@{BOT_ID}>", author=ALICE, channel_id=QUIET_CHANNEL)
            await settle(image["id"], bare["id"])
        (reply,) = fake.sent("POST", MESSAGES)
        assert reply.json["content"].startswith("Ask me about the coverage")

    run(scenario())


def test_slash_ask_is_deferred_then_followed_up(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_index, fake):
            await fake.slash(
                "ask", {"question": "How many monthly users does Gemini claim?"}, author=ALICE
            )
            (followup,) = await fake.wait_for("POST", FOLLOWUP)
        (callback,) = fake.sent("POST", CALLBACK)
        assert callback.query == {"with_response": "1"}
        assert callback.json["type"] == 5  # deferred, "thinking"
        assert fake.requests.index(callback) < fake.requests.index(followup)
        assert followup.json["allowed_mentions"] == {"parse": []}
        assert "650 millions" in field_text(followup.json)

    run(scenario())


def test_slash_sources_lists_the_articles_privately(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_index, fake):
            await fake.slash("sources", author=BOB)
            (page,) = await fake.wait_for("POST", FOLLOWUP)
        (callback,) = fake.sent("POST", CALLBACK)
        assert callback.json["type"] == 5 and callback.json["data"]["flags"] & 64
        assert page.json["flags"] & 64  # ephemeral
        text = page.json["embeds"][0]["description"]
        assert INSTITUT_TITLE in text and "Institut des Arts Numériques" in text
        assert "afp-openai-alerte-rouge" in text and "AFP" in text

    run(scenario())


def test_everyone_in_a_question_never_pings(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_index, fake):
            await fake.send_message(
                "@everyone @here <@&42> <@1002> how many users does Gemini claim?", author=ALICE
            )
            await fake.slash("ask", {"question": "@everyone who is Nick Turley?"}, author=BOB)
            await fake.wait_for("POST", MESSAGES)
            await fake.wait_for("POST", FOLLOWUP)
        sends = fake.sent("POST", MESSAGES) + fake.sent("POST", FOLLOWUP)
        assert sends and all(r.json["allowed_mentions"] == {"parse": []} for r in sends)

    run(scenario())


def test_a_decline_is_short_and_shows_no_sources(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_index, fake):
            await fake.send_message("Who won the 2018 football World Cup?", author=ALICE)
            (reply,) = await fake.wait_for("POST", MESSAGES)
        assert reply.json["content"].startswith("The coverage I have doesn't say. I searched 2")
        assert not reply.json.get("embeds")

    run(scenario())


def test_slash_errors_go_through_the_one_handler_as_a_private_sentence(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_index, fake):
            await fake.slash("ask", {"question": "   "}, author=ALICE)
            (refusal,) = await fake.wait_for("POST", CALLBACK)
        assert refusal.json["type"] == 4 and refusal.json["data"]["flags"] & 64
        assert refusal.json["data"]["content"] == "The question is empty."

    run(scenario())


def test_a_follow_up_right_after_an_answer_is_welcome_then_a_flood_is_slowed(seed_index):
    async def scenario() -> list[Any]:
        limits = {"question_burst": 2, "question_every": 60}
        async with FakeDiscord() as fake, running_bot(seed_index, fake, **limits):
            await fake.send_message("x" * 1200, author=BOB)
            await fake.wait_for("POST", MESSAGES)
            for n, question in enumerate(
                ["Who is Nick Turley?", "And Sam Altman?", "And Gemini?"], start=2
            ):
                await fake.send_message(question, author=ALICE)
                await fake.wait_for("POST", MESSAGES, n)
            return fake.sent("POST", MESSAGES)

    too_long, first, follow_up, third = run(scenario())
    assert "limit is 1000" in too_long.json["content"] and "embeds" not in too_long.json
    assert "Nick Turley" in field_text(first.json)
    assert follow_up.json["content"].startswith("Here is what the coverage says")
    wait = re.fullmatch(
        r"You are asking faster than I can answer: ask again in (\d+) s\.", third.json["content"]
    )
    assert wait and 50 <= int(wait[1]) <= 60 and "embeds" not in third.json


class LongEngine:
    """The seed engine, but every answer carries twelve citations of 3,000-character quotes."""

    def __init__(self, engine: Any) -> None:
        self.inner = engine
        self.embedder = engine.embedder
        self.writer = None  # quotes only
        self.threads: list[threading.Thread] = []

    def __getattr__(self, name: str) -> Any:  # the rest (settings, feeds…) is the real one's
        return getattr(self.inner, name)

    def load(self) -> None:
        pass

    def check_question(self, question: str) -> str:
        return self.inner.check_question(question)

    def is_indexed(self) -> bool:
        return True

    def draft(self, question: str, *args: Any, **kwargs: Any) -> Draft:
        evidence = self.inner.evidence(question)
        return Draft(evidence, self.ask(question), pending=False)

    def ask(self, question: str, *args: Any, **kwargs: Any) -> Answer:
        self.threads.append(threading.current_thread())
        quote = "Une citation très longue. " * 120
        citations = tuple(
            Citation(
                n,
                f"a{n}",
                f"Titre {n} " * 40,
                "AFP",
                "2025-12-02",
                f"https://x.fr/{n}",
                quote,
                0,
                len(quote),
                1.0,
            )
            for n in range(1, 13)
        )
        text = "Voici : " + " ".join(f"“{quote}” [{n}]" for n in range(1, 13))
        return Answer(question, text, False, "fr", citations)


def test_an_answer_over_the_limits_is_trimmed_and_keeps_every_citation(seed_index):
    async def scenario() -> None:
        engine = LongEngine(seed_index)
        async with FakeDiscord() as fake, running_bot(engine, fake):
            await fake.send_message("Une question ?", author=ALICE)
            (reply,) = await fake.wait_for("POST", MESSAGES)
        assert engine.threads and threading.main_thread() not in engine.threads  # off the loop
        body = reply.json
        embeds = [discord.Embed.from_dict(e) for e in body["embeds"]]
        check_limits(body["content"], embeds)
        fields = [f for e in embeds for f in e.fields]
        assert [f.name.split("]")[0] for f in fields] == [f"[{n}" for n in range(1, 13)]
        assert all("…”" in (f.value or "") for f in fields)
        assert all(f"[{n}]" in body["content"] for n in range(1, 13))

    run(scenario())


@pytest.mark.slow  # waits out discord.py's real back-off after a 500 (~3 s)
def test_a_429_and_a_500_on_a_reply_are_retried(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_index, fake) as bot:
            settle = Settle(bot)
            fake.fail("POST", MESSAGES, 429)
            fake.fail("POST", MESSAGES, 500)
            asked = await fake.send_message("Who is Nick Turley?", author=ALICE)
            await settle(asked["id"])
        attempts = fake.sent("POST", MESSAGES)
        assert len(attempts) == 3
        assert attempts[0].json == attempts[1].json == attempts[2].json
        # the 429 said retry_after 0.3 s, and discord.py waited that long before trying again
        assert attempts[1].at - attempts[0].at >= 0.3

    run(scenario())


def test_a_gateway_drop_is_resumed_and_the_missed_question_answered(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_index, fake):
            await fake.drop()
            await fake.send_message("Who is Nick Turley?", author=ALICE)  # while disconnected
            (reply,) = await fake.wait_for("POST", MESSAGES)
        assert fake.gw.identifies == 1 and fake.gw.resumes == 1
        assert "Nick Turley" in field_text(reply.json)

    run(scenario())


def test_reindex_reports_progress_answers_meanwhile_then_the_new_article_is_answerable(
    make_engine, tmp_path: Path, monkeypatch
):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    engine = make_engine()
    engine.index([corpus])
    write(
        corpus / "tram.md",
        "---\nid: lyon-tram\ntitle: Le tram T10 ouvre\nsource: Le Progrès\n---\n\n"
        "La ligne de tramway T10 entre Gerland et Vénissieux a ouvert samedi avec seize "
        "stations. La Métropole de Lyon a investi 260 millions d'euros dans ce chantier.\n",
    )
    # Enough new articles that indexing spans many progress intervals, however fast the CPU.
    for n in range(40):
        write(
            corpus / f"filler-{n}.md",
            f"---\nid: filler-{n}\ntitle: Brève {n}\n---\n\n"
            + " ".join(
                f"La commune numéro {n} a voté la délibération {k} mardi soir." for k in range(12)
            )
            + "\n",
        )
    # Hold the reindex after its first staged batch until the questions below are answered, so
    # that they are asked while it runs, whatever the speed of the machine.
    from index.indexing import embedding
    from index.storage import store

    monkeypatch.setattr(embedding, "STAGE_CHUNKS", 8)
    reached, release = threading.Event(), threading.Event()
    real_stage = store.Store.stage

    def held_stage(self, items):
        real_stage(self, items)
        reached.set()
        release.wait(120)

    monkeypatch.setattr(store.Store, "stage", held_stage)

    async def scenario() -> None:
        fake = FakeDiscord()
        async with fake, running_bot(engine, fake, corpus=[corpus], progress_interval=0.05):
            await fake.slash("reindex", author=ALICE, permissions=MANAGE_GUILD)
            await fake.slash("reindex", author=ALICE, permissions=MANAGE_GUILD)
            assert await asyncio.to_thread(reached.wait, 120)
            await fake.send_message(f"<@{BOT_ID}> Why did OpenAI pause advertising?", author=BOB)
            (during_old,) = await fake.wait_for("POST", MESSAGES)
            await fake.send_message(
                f"<@{BOT_ID}> Combien la Métropole a-t-elle investi dans le tramway T10 ?",
                author=BOB,
            )
            during_new = (await fake.wait_for("POST", MESSAGES, count=2))[-1]
            running = fake.sent("PATCH", ORIGINAL)[-1].json.get("content", "")
            release.set()
            await until(
                lambda: "Reindex done" in fake.sent("PATCH", ORIGINAL)[-1].json.get("content", ""),
                "the reindex says it is done",
            )
            edits = fake.sent("PATCH", ORIGINAL)
            await fake.send_message(
                f"<@{BOT_ID}> Combien la Métropole a-t-elle investi dans le tramway T10 ?",
                author=BOB,
            )
            after = (await fake.wait_for("POST", MESSAGES, count=3))[-1]
        callbacks = sorted(
            fake.sent("POST", CALLBACK), key=lambda r: r.json["data"].get("flags", 0)
        )
        status, refusal = callbacks
        assert status.json["type"] == 4 and status.json["data"]["content"].startswith("Reindexing")
        assert refusal.json["data"]["flags"] & 64
        assert "already running" in refusal.json["data"]["content"]
        # While the reindex ran: the old index answered, the new article was not yet visible.
        assert running.startswith("Reindexing: ")
        assert INSTITUT_TITLE in field_text(during_old.json)
        assert "260 millions" not in field_text(during_new.json)
        assert any(e.json["content"].startswith("Reindexing: ") for e in edits[:-1])
        assert edits[-1].json["content"].startswith("Reindex done: 43 articles")
        assert "41 added" in edits[-1].json["content"]
        assert "Le tram T10 ouvre" in field_text(after.json)
        assert "260 millions" in field_text(after.json)

    run(scenario())


def test_reindex_by_a_non_admin_is_refused_privately(make_engine, tmp_path: Path):
    engine = make_engine()
    corpus = tmp_path / "corpus"
    write(corpus / "note.md", "---\nid: note\n---\n\nUne courte dépêche sur le tramway de Lyon.\n")

    async def scenario() -> None:
        fake = FakeDiscord()
        async with fake, running_bot(engine, fake, admin_ids=[1001], corpus=[corpus]) as bot:
            bot.get_cog(
                "Reindex"
            ).token_lifetime = 0  # as if 15 minutes had passed: edit via channel
            settle = Settle(bot)
            refused = await fake.slash("reindex", author=BOB, permissions=0)
            await settle(refused["id"])
            (refusal,) = fake.sent("POST", CALLBACK)
            assert not fake.sent("PATCH", ORIGINAL) and not engine.is_indexed()
            admin = await fake.slash("reindex", author=ALICE, permissions=0)  # in REVUE_ADMIN_IDS
            await settle(admin["id"])
        assert fake.sent("PATCH", CHANNEL_EDIT), [(r.method, r.path) for r in fake.requests]
        assert "1 added" in fake.sent("PATCH", CHANNEL_EDIT)[-1].json["content"]
        assert refusal.json["type"] == 4
        assert refusal.json["data"]["flags"] & 64
        assert refusal.json["data"]["content"].startswith("Only server managers")

    run(scenario())


class ManyArticlesEngine:
    """An engine whose index lists forty articles (to page /sources)."""

    def __init__(self, engine: Any) -> None:
        self.inner = engine
        self.embedder = engine.embedder

    def __getattr__(self, name: str) -> Any:  # the rest (settings, feeds…) is the real one's
        return getattr(self.inner, name)

    def load(self) -> None:
        pass

    def is_indexed(self) -> bool:
        return True

    def sources(self) -> list[ArticleInfo]:
        return [
            ArticleInfo(f"id{n}", f"Article {n}", "AFP", "2025-12-02", f"https://x.fr/{n}", 2)
            for n in range(40)
        ]


def test_long_source_lists_are_paged_with_buttons_for_the_caller_only(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(ManyArticlesEngine(seed_index), fake) as bot:
            settle = Settle(bot)
            await fake.slash("sources", author=ALICE)
            (first,) = await fake.wait_for("POST", FOLLOWUP)
            assert first.response is not None
            buttons = first.json["components"][0]["components"]
            assert [b["label"] for b in buttons] == ["Previous", "Next"]
            assert buttons[0]["disabled"] is True and buttons[1]["disabled"] is False
            clicks = [
                await fake.click(first.response, buttons[1]["custom_id"], author=BOB),  # not theirs
                await fake.click(first.response, buttons[1]["custom_id"], author=ALICE),
            ]
            await settle(*(c["id"] for c in clicks))
        assert first.json["flags"] & 64
        assert first.json["embeds"][0]["footer"]["text"] == "40 articles · page 1 of 3"
        (update,) = [c for c in fake.sent("POST", CALLBACK) if c.json["type"] == 7]
        page = update.json["data"]["embeds"][0]
        assert page["footer"]["text"] == "40 articles · page 2 of 3"
        assert "Article 15" in page["description"]
        (refusal,) = [c for c in fake.sent("POST", CALLBACK) if c.json["type"] == 4]
        assert refusal.json["data"]["flags"] & 64 and "belong to" in refusal.json["data"]["content"]

    run(scenario())
