"""Feeds in Discord: /follow (admins), the background poll that indexes new entries while
questions are answered, the news channel, /following with a failing feed."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import CORPUS
from tests.fake_discord import MANAGE_GUILD, FakeDiscord, user
from tests.fake_feeds import FeedServer
from tests.settle import Settle, until
from tests.test_bot import (  # noqa: F401 - the fixture puts discord.py's endpoints back
    ALICE,
    BOB,
    CALLBACK,
    FOLLOWUP,
    MESSAGES,
    _restore_endpoints,
    field_text,
    run,
    running_bot,
)
from tests.test_feeds import item, items_at

NEWS_CHANNEL = 900_000_000_000_000_300


def test_a_followed_feed_is_announced_and_answerable_while_questions_keep_coming(
    make_engine, backend
):
    engine = make_engine(poll_minutes=0.02, **backend)
    engine.index([CORPUS])
    with FeedServer() as server:
        fresh = [item(n, f"Le viaduc de Millau numéro {n}") for n in range(1, 4)]
        server.feeds["/rss"] = ("Midi Libre", items_at(server, *fresh))

        async def scenario():
            fake = FakeDiscord()
            async with (
                fake,
                running_bot(engine, fake, news_channel=NEWS_CHANNEL, corpus=[CORPUS]) as bot,
            ):
                settle = Settle(bot)
                await fake.slash("follow", {"url": server.url("/rss")}, author=BOB)
                (refusal,) = await fake.wait_for("POST", CALLBACK)
                await fake.slash(
                    "follow", {"url": server.url("/rss")}, author=ALICE, permissions=MANAGE_GUILD
                )
                await fake.wait_for("POST", FOLLOWUP)
                # Questions are answered from the current index while the feed is indexed
                # (three readers: one reader's second question, asked while the first is
                # answered, is refused by the fair limits, as it was on a busy machine).
                asked = []
                for n in range(3):
                    reader = user(3000 + n, f"reader{n}")
                    asked.append(await fake.send_message("Who is Nick Turley?", author=reader))
                    await asyncio.sleep(0.2)
                news = await fake.wait_for("POST", rf"/channels/{NEWS_CHANNEL}/messages")
                asked.append(
                    await fake.send_message("Que se passe-t-il au viaduc de Millau ?", author=ALICE)
                )
                await settle(*(m["id"] for m in asked))
            return refusal, news[0], [reply_to(fake, m) for m in asked]

        refusal, news, answers = run(scenario())
    assert refusal.json["data"]["content"].startswith("Only server managers")
    text = news.json["content"]
    assert text.startswith("📰 3 new articles") and "Midi Libre" in text
    assert news.json["allowed_mentions"] == {"parse": []}
    assert all("Nick Turley" in field_text(r.json) for r in answers[:3])
    assert "viaduc de Millau" in field_text(answers[-1].json)
    assert "Midi Libre" in field_text(answers[-1].json)


def reply_to(fake: FakeDiscord, message: dict[str, Any]) -> Any:
    """The bot's one reply to ``message``."""
    (reply,) = [
        r
        for r in fake.sent("POST", MESSAGES)
        if str((r.json.get("message_reference") or {}).get("message_id")) == message["id"]
    ]
    return reply


def test_following_lists_feeds_and_a_failing_one_says_why(make_engine, backend):
    engine = make_engine(poll_minutes=0.02, **backend)
    engine.index([CORPUS])
    with FeedServer() as server:
        server.feeds["/rss"] = ("Midi Libre", items_at(server, item(9, "Aubrac")))
        engine.following.follow(server.url("/rss"))
        server.status["/rss"] = 500

        async def scenario():
            async with FakeDiscord() as fake, running_bot(engine, fake, corpus=[CORPUS]):
                await until(
                    lambda: engine.following.status()[0].failures,
                    "the background poll fails once",
                )
                await fake.slash("following", author=BOB)
                (listing,) = await fake.wait_for("POST", CALLBACK)
            return listing

        listing = run(scenario())
    (embed,) = listing.json["data"]["embeds"]
    assert listing.json["data"]["flags"] & 64
    assert "Midi Libre" in embed["description"] and "failing (1 in a row" in embed["description"]
    assert "HTTP 500" in embed["description"]


def test_a_bot_skips_the_round_while_another_process_polls(make_engine, pg_url, caplog):
    """Bots sharing one PostgreSQL: the one holding the poll lock polls, the others skip the
    round quietly (a line in the log, no traceback, nothing announced)."""
    from index.storage.states import open_subscriptions

    engine = make_engine(database_url=pg_url)
    engine.index([CORPUS])
    holder = open_subscriptions(engine.settings)  # another bot process, polling now

    async def scenario():
        async with FakeDiscord() as fake, running_bot(engine, fake, corpus=[CORPUS]) as bot:
            feeds = bot.get_cog("Feeds")
            # The scheduled round starts at once; this one comes after it.
            await until(lambda: not feeds.round_lock.locked(), "the scheduled round ends")
            return await feeds.poll_round(force=True)

    try:
        with holder.polling() as mine, caplog.at_level("INFO", logger="bot.cogs.feeds"):
            assert mine
            assert run(scenario()) is None
    finally:
        holder.close()
    assert "another process is polling the feeds now" in caplog.text
    assert "Traceback" not in caplog.text and "failed" not in caplog.text
