"""``/settings`` in Discord, through the real discord.py client and the fake Discord with two
servers: each server's managers set its question channels, news channel and busy-thread rule
over the environment's defaults, a non-manager is refused privately, and the settings survive a
restart of the bot, in ``state.db`` and in PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from bot.servers import Rules, news_channels, rules
from bot.settings import BotSettings
from index.records import Article, IndexSummary
from index.storage.states import NEWS_OFF, ServerConfig, open_server_settings
from tests.conftest import CORPUS
from tests.fake_discord import ALL_PERMISSIONS, APP_ID, GUILD_ID, MANAGE_GUILD, FakeDiscord, user
from tests.settle import Settle
from tests.test_bot import (  # noqa: F401 - the fixture puts discord.py's endpoints back
    ALICE,
    BOB,
    CALLBACK,
    QUESTION_CHANNEL,
    QUIET_CHANNEL,
    _restore_endpoints,
    run,
    running_bot,
)

SERVER_B = 900_000_000_000_000_500
B_QUESTIONS, B_QUIET = 900_000_000_000_000_510, 900_000_000_000_000_511
CAROL = user(1004, "carol")  # manages server B
QUESTION = "Who is Nick Turley?"
CHANNELS_LINE = "Question channels (every message is a question): "
NEWS_LINE = "News channel (new articles from followed feeds): "


def two_servers() -> FakeDiscord:
    return FakeDiscord(
        (QUESTION_CHANNEL, QUIET_CHANNEL), servers={SERVER_B: (B_QUESTIONS, B_QUIET)}
    )


@pytest.fixture
def engine(make_engine: Any, backend: dict[str, Any]) -> Any:
    engine = make_engine(**backend)
    engine.index([CORPUS])
    return engine


async def settings(
    fake: FakeDiscord,
    *path: str,
    author: dict[str, Any] = ALICE,
    permissions: int = MANAGE_GUILD,
    where: int = QUESTION_CHANNEL,
    channel: int | None = None,
    per_minute: int | None = None,
) -> dict[str, Any]:
    """A user runs ``/settings <path…>`` in channel ``where``; a ``channel`` option comes
    resolved, as Discord sends it."""
    options: list[dict[str, Any]] = []
    resolved: dict[str, Any] = {}
    if channel is not None:
        options.append({"name": "channel", "type": 7, "value": str(channel)})
        data = {"id": str(channel), "type": 0, "name": "chan", "permissions": str(ALL_PERMISSIONS)}
        resolved = {"channels": {str(channel): data}}
    if per_minute is not None:
        options.append({"name": "per_minute", "type": 4, "value": per_minute})
    node = options
    for depth, name in enumerate(reversed(path)):
        node = [{"name": name, "type": 1 if depth == 0 else 2, "options": node}]
    command = {"id": "1", "name": "settings", "type": 1, "options": node, "resolved": resolved}
    return await fake.interact(2, command, author, permissions, where)


def reply(fake: FakeDiscord, interaction: dict[str, Any]) -> tuple[str, bool]:
    """The text the bot answered ``interaction`` with, and whether only the caller sees it."""
    token = interaction["token"]
    followups = fake.sent("POST", rf"/webhooks/{APP_ID}/{token}")
    if followups:
        body = followups[-1].json
        return body["content"], bool(body.get("flags", 0) & 64)
    (callback,) = fake.sent("POST", rf"/interactions/\d+/{token}/callback")
    data = callback.json["data"]
    return data["content"], bool(data.get("flags", 0) & 64)


def stored(engine: Any) -> tuple[ServerConfig, ...]:
    store = open_server_settings(engine.settings)
    try:
        return store.all()
    finally:
        store.close()


def answered_in(fake: FakeDiscord, channel: int) -> int:
    return len(fake.sent("POST", rf"/channels/{channel}/messages"))


def test_question_channels_are_set_per_server_and_shown(engine: Any) -> None:
    async def scenario() -> dict[str, str]:
        fake = two_servers()
        async with fake, running_bot(engine, fake, channels=[QUESTION_CHANNEL, B_QUESTIONS]) as bot:
            settle = Settle(bot)
            done = [
                await settings(fake, "channels", "add", channel=QUIET_CHANNEL),
                await settings(fake, "channels", "remove", channel=QUESTION_CHANNEL),
            ]
            await settle(*(i["id"] for i in done))
            shown = {
                "A": await settings(fake, "show"),
                "B": await settings(fake, "show", author=CAROL, where=B_QUIET),
            }
            await settle(*(i["id"] for i in shown.values()))
            assert [reply(fake, i)[1] for i in [*done, *shown.values()]] == [True] * 4
            assert "is now a question" in reply(fake, done[0])[0]
            return {k: reply(fake, i)[0] for k, i in shown.items()}

    shown = run(scenario())
    # Server A: its own channels now; server B: the default, untouched.
    assert f"{CHANNELS_LINE}<#{QUIET_CHANNEL}> (set here)" in shown["A"]
    assert f"<#{B_QUESTIONS}> (default)" in shown["B"] and str(QUIET_CHANNEL) not in shown["B"]
    assert f"{NEWS_LINE}none (default)" in shown["B"]
    assert "more than 10 messages a minute (default)" in shown["B"]


def test_each_server_answers_in_its_own_question_channels(engine: Any) -> None:
    async def scenario() -> FakeDiscord:
        fake = two_servers()
        async with fake, running_bot(engine, fake, channels=[QUESTION_CHANNEL, B_QUESTIONS]) as bot:
            settle = Settle(bot)
            done = await settings(fake, "channels", "add", channel=QUIET_CHANNEL)
            await settle(done["id"])
            asked = [
                await fake.send_message(QUESTION, author=user(3000 + n, f"r{n}"), channel_id=c)
                for n, c in enumerate((QUIET_CHANNEL, QUESTION_CHANNEL, B_QUESTIONS, B_QUIET))
            ]
            await settle(*(m["id"] for m in asked))
        return fake

    fake = run(scenario())
    assert answered_in(fake, QUIET_CHANNEL) == 1  # added in A
    assert answered_in(fake, QUESTION_CHANNEL) == 1  # A's default, kept by the add
    assert answered_in(fake, B_QUESTIONS) == 1 and answered_in(fake, B_QUIET) == 0  # B: default


def test_a_non_manager_is_refused_privately_and_nothing_changes(engine: Any) -> None:
    async def scenario() -> list[tuple[str, bool]]:
        fake = two_servers()
        async with fake, running_bot(engine, fake) as bot:
            settle = Settle(bot)
            tried = [
                await settings(
                    fake, "channels", "add", author=BOB, permissions=0, channel=QUIET_CHANNEL
                ),
                await settings(fake, "news-channel", "off", author=BOB, permissions=0),
                await settings(fake, "show", author=BOB, permissions=0),
            ]
            asked = await fake.send_message(QUESTION, author=CAROL, channel_id=QUIET_CHANNEL)
            await settle(asked["id"], *(i["id"] for i in tried))
            assert answered_in(fake, QUIET_CHANNEL) == 0
            return [reply(fake, i) for i in tried]

    refusals = run(scenario())
    for text, private in refusals:
        assert private and text.startswith("Only server managers")
    assert stored(engine) == ()


def test_a_channel_the_bot_cannot_see_here_is_refused_in_words(engine: Any) -> None:
    async def scenario() -> tuple[str, bool]:
        fake = two_servers()
        async with fake, running_bot(engine, fake) as bot:
            settle = Settle(bot)
            tried = await settings(fake, "channels", "add", channel=B_QUIET)  # B's, from A
            await settle(tried["id"])
            return reply(fake, tried)

    text, private = run(scenario())
    assert private and text.startswith("I can't see that channel")
    assert stored(engine) == ()


def test_the_busy_thread_rule_is_per_server(engine: Any) -> None:
    async def scenario() -> FakeDiscord:
        fake = two_servers()
        channels = [QUESTION_CHANNEL, B_QUESTIONS]
        async with fake, running_bot(engine, fake, channels=channels, thread_when_busy=0) as bot:
            settle = Settle(bot)
            done = await settings(fake, "busy-threads", "set", per_minute=1)
            await settle(done["id"])
            assert "more than 1 messages a minute" in reply(fake, done)[0]
            for channel in (QUESTION_CHANNEL, B_QUESTIONS):
                talk = await fake.send_message("lunch?", author=BOB, channel_id=channel)
                asked = await fake.send_message(QUESTION, author=CAROL, channel_id=channel)
                await settle(talk["id"], asked["id"])
        return fake

    fake = run(scenario())
    assert len(fake.sent("POST", rf"/channels/{QUESTION_CHANNEL}/messages/\d+/threads")) == 1
    assert not fake.sent("POST", rf"/channels/{B_QUESTIONS}/messages/\d+/threads")


def new_articles() -> Any:
    from index.following.polling import FeedPoll, PollReport
    from index.ingest.web import Added

    article = Article("viaduc", "Le viaduc.", title="Le viaduc de Millau", source="Midi Libre")
    added = (Added(CORPUS / "viaduc.md", article),)
    return PollReport((FeedPoll("http://127.0.0.1/rss", None, "new", added),), IndexSummary())


def test_new_articles_are_announced_in_each_servers_news_channel(engine: Any) -> None:
    async def scenario() -> list[list[str]]:
        fake = two_servers()
        async with fake, running_bot(engine, fake, news_channel=QUIET_CHANNEL) as bot:
            settle, feeds = Settle(bot), bot.get_cog("Feeds")
            rounds = []

            async def announce() -> None:
                before = len(fake.requests)
                await feeds.announce(new_articles())
                rounds.append(sorted(r.path for r in fake.requests[before:]))

            await announce()  # the default: server A's channel only
            for step in [
                settings(fake, "news-channel", "set", author=CAROL, where=B_QUIET, channel=B_QUIET),
                settings(fake, "news-channel", "off"),
                settings(fake, "news-channel", "reset"),
            ]:
                await settle((await step)["id"])
                await announce()
        return rounds

    a, b = f"/channels/{QUIET_CHANNEL}/messages", f"/channels/{B_QUIET}/messages"
    assert run(scenario()) == [[a], sorted([a, b]), [b], sorted([a, b])]


def test_settings_survive_a_restart_of_the_bot(engine: Any) -> None:
    async def scenario() -> tuple[str, int]:
        fake = two_servers()
        async with fake:
            async with running_bot(engine, fake, channels=[]) as bot:
                settle = Settle(bot)
                for step in [
                    settings(fake, "channels", "add", channel=QUIET_CHANNEL),
                    settings(fake, "news-channel", "set", channel=QUESTION_CHANNEL),
                    settings(fake, "busy-threads", "set", per_minute=0),
                ]:
                    await settle((await step)["id"])
            async with running_bot(engine, fake, channels=[]) as bot:  # a new process
                settle = Settle(bot)
                shown = await settings(fake, "show")
                asked = await fake.send_message(QUESTION, author=CAROL, channel_id=QUIET_CHANNEL)
                await settle(shown["id"], asked["id"])
                return reply(fake, shown)[0], answered_in(fake, QUIET_CHANNEL)

    shown, answered = run(scenario())
    assert f"<#{QUIET_CHANNEL}> (set here)" in shown
    assert f"{NEWS_LINE}<#{QUESTION_CHANNEL}> (set here)" in shown
    assert "Answers go into a new thread: never (set here)" in shown
    assert answered == 1


def test_the_command_is_for_managers_in_servers_and_fully_described(seed_index: Any) -> None:
    async def scenario() -> dict[str, Any]:
        async with FakeDiscord() as fake, running_bot(seed_index, fake):
            (sync,) = await fake.wait_for("PUT", rf"/applications/{APP_ID}/commands")
        return next(c for c in sync.body if c["name"] == "settings")

    command = run(scenario())
    assert int(command["default_member_permissions"]) == MANAGE_GUILD
    assert command["contexts"] == [0]  # servers only, not direct messages
    subs = {o["name"]: o for o in command["options"]}
    assert {g: sorted(o["name"] for o in subs[g].get("options", [])) for g in subs} == {
        "show": [], "channels": ["add", "remove", "reset"],
        "news-channel": ["off", "reset", "set"], "busy-threads": ["reset", "set"],
    }  # fmt: skip

    def described(option: dict[str, Any]) -> None:
        assert option["description"] and option["description"] != "…", option
        for inner in option.get("options", []):
            described(inner)

    described(command)
    add = next(o for o in subs["channels"]["options"] if o["name"] == "add")
    assert add["options"][0]["type"] == 7 and add["options"][0]["required"] is True


def test_a_servers_own_settings_else_the_environments() -> None:
    defaults = BotSettings(_env_file=None, channels=[1, 2], thread_when_busy=10)
    assert rules(ServerConfig(GUILD_ID), defaults) == Rules(frozenset({1, 2}), 10)
    assert rules(ServerConfig(GUILD_ID, (), None, 0), defaults) == Rules(frozenset(), 0)
    assert rules(ServerConfig(GUILD_ID, (3,), None, 4), defaults) == Rules(frozenset({3}), 4)
    # The default news channel gives way to its server's own.
    server_of = {7: 1, 8: 2}.get  # channel -> server, as the bot's cache knows them
    off = ServerConfig(1, news_channel=NEWS_OFF)
    assert news_channels([], 7, server_of) == [7]
    assert news_channels([ServerConfig(2, news_channel=8)], 7, server_of) == [8, 7]
    assert news_channels([off, ServerConfig(2, news_channel=8)], 7, server_of) == [8]
    assert news_channels([ServerConfig(1, (5,))], 7, server_of) == [7]  # only its channels set
    assert news_channels([off], 99, server_of) == [99]  # a channel it cannot place: as before
