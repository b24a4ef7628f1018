"""A busy bot: fair limits between users and servers, and shards, through the real discord.py
client and the fake Discord (fake encoder; ``bench/load.py`` measures the same with 50 and 200
questions at once)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from bot.client import ShardedRevueBot
from index.search.citations import Draft
from tests.deadlines import HANG
from tests.fake_discord import GUILD_ID, FakeDiscord, user
from tests.settle import Settle, until
from tests.test_bot import MESSAGES, QUESTION_CHANNEL, field_text, run, running_bot

OTHER_SERVER = GUILD_ID + (1 << 22)  # on the other shard of two: (id >> 22) % 2 differs
OTHER_CHANNEL = 900_000_000_000_000_300


class GatedEngine:
    """The seed engine, but each answer waits for ``gate`` and notes the question it answers."""

    def __init__(self, engine: Any) -> None:
        self.inner = engine
        self.gate = threading.Event()
        self.asked: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def draft(self, question: str, *args: Any, **kwargs: Any) -> Draft:
        self.asked.append(question)
        assert self.gate.wait(HANG), "the test never opened the gate"
        return self.inner.draft(question, *args, **kwargs)  # type: ignore[no-any-return]


def replies_to(fake: FakeDiscord, channel: int) -> list[str]:
    return [
        r.json.get("content", "")
        for r in fake.sent("POST", MESSAGES)
        if r.path == f"/channels/{channel}/messages"
    ]


def test_a_flood_from_one_server_is_capped_and_does_not_starve_another(seed_index):
    engine = GatedEngine(seed_index)
    limits = {"workers": 1, "server_queue": 4, "channel_queue": 8, "queue": 10}

    async def scenario() -> FakeDiscord:
        async with (
            FakeDiscord(servers={OTHER_SERVER: (OTHER_CHANNEL,)}) as fake,
            running_bot(engine, fake, channels=[QUESTION_CHANNEL, OTHER_CHANNEL], **limits) as bot,
        ):
            for n in range(6):
                asker = user(2000 + n, f"reader{n}")
                await fake.send_message(f"Who is Nick Turley? ({n})", author=asker)
            refusals = await fake.wait_for("POST", MESSAGES, 2)  # the 5th and 6th
            await fake.send_message("Again: who is Nick Turley?", author=user(2000, "reader0"))
            await fake.wait_for("POST", MESSAGES, 3)
            await fake.send_message(
                "Why did OpenAI pause advertising?",
                author=user(3000, "elsewhere"),
                channel_id=OTHER_CHANNEL,
            )
            await until(
                lambda: OTHER_SERVER in bot.desk.slots.waiting,
                "the other server's question waits for a worker",
            )
            assert len(fake.sent("POST", MESSAGES)) == len(refusals) + 1  # nothing answered yet
            engine.gate.set()
            await fake.wait_for("POST", MESSAGES, 3 + 4 + 1)
            return fake

    fake = run(scenario())
    mine = replies_to(fake, QUESTION_CHANNEL)
    assert (
        sum(t.startswith("This server has many questions waiting: ask again in") for t in mine) == 2
    )
    assert sum(t.startswith("Your previous question is still being answered") for t in mine) == 1
    assert sum(t.startswith("Here is what the coverage says") for t in mine) == 4
    (other,) = replies_to(fake, OTHER_CHANNEL)
    assert other.startswith("Here is what the coverage says")
    # The other server's question was answered second, not after the four queued before it.
    assert engine.asked[1] == "Why did OpenAI pause advertising?"
    assert len(engine.asked) == 5


@pytest.mark.slow  # discord.py waits 5 s before it identifies a second shard
def test_with_revue_shards_each_shard_carries_its_servers_questions(seed_index):
    async def scenario() -> tuple[FakeDiscord, Any]:
        async with (
            FakeDiscord(servers={OTHER_SERVER: (OTHER_CHANNEL,)}, shards=2) as fake,
            running_bot(
                seed_index, fake, shards="auto", channels=[QUESTION_CHANNEL, OTHER_CHANNEL]
            ) as bot,
        ):
            kind = type(bot)
            await fake.send_message("Who is Nick Turley?", author=user(1, "a"))
            await fake.send_message(
                "Why did OpenAI pause advertising?", author=user(2, "b"), channel_id=OTHER_CHANNEL
            )
            await fake.wait_for("POST", MESSAGES, 2)
            return fake, kind

    fake, kind = run(scenario())
    assert kind is ShardedRevueBot
    assert fake.sent("GET", "/gateway/bot")  # asked Discord how many shards
    assert {n: fake.shard(n).identifies for n in (0, 1)} == {0: 1, 1: 1}
    assert fake.shard_of(OTHER_SERVER) != fake.shard_of(GUILD_ID)
    (here,) = [r.json for r in fake.sent("POST", rf"/channels/{QUESTION_CHANNEL}/messages")]
    (there,) = [r.json for r in fake.sent("POST", rf"/channels/{OTHER_CHANNEL}/messages")]
    assert "Nick Turley" in field_text(here)
    assert "OpenAI" in field_text(there)


def test_a_slow_answer_runs_on_a_worker_and_heartbeats_go_on_meanwhile(seed_index):
    engine = GatedEngine(seed_index)
    threads: list[str] = []
    draft = engine.draft

    def noting_draft(question: str, *args: Any, **kwargs: Any) -> Draft:
        threads.append(threading.current_thread().name)
        return draft(question, *args, **kwargs)

    engine.draft = noting_draft  # type: ignore[method-assign]

    async def scenario() -> tuple[int, FakeDiscord]:
        async with FakeDiscord(heartbeat_ms=300) as fake, running_bot(engine, fake):
            await fake.send_message("Who is Nick Turley?", author=user(1, "a"))
            await until(lambda: engine.asked, "the question reaches the engine")
            before = len(fake.heartbeats)
            # The answer is held by the gate all this time; a blocked loop would send none.
            await until(lambda: len(fake.heartbeats) - before >= 3, "3 heartbeats meanwhile")
            during = len(fake.heartbeats) - before
            engine.gate.set()
            await fake.wait_for("POST", MESSAGES)
            return during, fake

    during, fake = run(scenario())
    assert threads and all(name.startswith("revue-answer") for name in threads)
    assert during >= 3
    assert "Nick Turley" in field_text(fake.sent("POST", MESSAGES)[0].json)


def test_settle_returns_only_once_the_answer_held_on_a_worker_is_sent(seed_index):
    """What the other bot tests rely on to say "no other reply came" without sleeping: the
    tests' ``Settle`` (tests/settle.py) waits while an answer is still being worked on."""
    engine = GatedEngine(seed_index)

    async def scenario() -> FakeDiscord:
        async with FakeDiscord() as fake, running_bot(engine, fake) as bot:
            settle = Settle(bot)
            asked = await fake.send_message("Who is Nick Turley?", author=user(1, "a"))
            settled = asyncio.create_task(settle(asked["id"]))
            await until(lambda: engine.asked, "the question reaches the engine")
            await asyncio.sleep(0.1)
            assert not settled.done() and not fake.sent("POST", MESSAGES)
            engine.gate.set()
            await settled
            assert len(fake.sent("POST", MESSAGES)) == 1  # sent before settle returned
            return fake

    fake = run(scenario())
    assert "Nick Turley" in field_text(fake.sent("POST", MESSAGES)[0].json)
