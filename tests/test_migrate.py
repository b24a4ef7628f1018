"""``revue migrate --to postgresql://…``: an embedded index copied into PostgreSQL, vectors
included (nothing embedded again), resumable, and answering as the original does."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from cli.main import cli
from index.errors import ModelMismatch
from index.storage import moving
from index.storage.postgres.writer import PostgresWriter
from index.storage.states import NEWS_OFF, ServerConfig, open_server_settings
from tests.conftest import CORPUS
from tests.test_indexing import Spy
from tests.test_postgres import news

QUESTIONS = ["Why did OpenAI pause advertising?", "Nick Turley", "le budget de la commune 12"]


@pytest.fixture
def embedded(make_engine, tmp_path):
    engine = make_engine(tmp_path / "data")
    engine.index([CORPUS, news(tmp_path, 30)])
    return engine


def migrate(engine, url, *extra):
    return CliRunner().invoke(
        cli, ["migrate", "--to", url, *extra], obj=engine, catch_exceptions=False
    )


def test_the_copy_answers_as_the_original_and_embeds_nothing(
    embedded, make_engine, pg_url, tmp_path, encoder
):
    result = migrate(embedded, pg_url)
    assert result.exit_code == 0, result.output
    assert "copied 32 article(s)" in result.output and "nothing embedded again" in result.output
    assert "postgres@" not in result.output  # the target is named without credentials

    copy = make_engine(tmp_path / "elsewhere", database_url=pg_url)
    copy.models.embedder = spy = Spy(encoder)
    for q in QUESTIONS:
        ours, theirs = embedded.search(q, k=5), copy.search(q, k=5)
        # The best passage is the same; below it, the fake encoder's many exact ties (the
        # breves differ by a number) may break another way, as chunks are numbered anew.
        assert (theirs[0].article_id, theirs[0].start) == (ours[0].article_id, ours[0].start)
        assert theirs[0].score == pytest.approx(ours[0].score)
        for h in theirs:
            assert copy.article(h.article_id).text[h.start : h.end] == h.text
    assert copy.sources() == embedded.sources()
    summary = copy.index([CORPUS, news(tmp_path, 30)])
    assert summary.added == summary.changed == 0 and spy.embedded == []


def test_an_interrupted_copy_resumes_and_says_so(embedded, make_engine, pg_url, monkeypatch):
    monkeypatch.setattr(moving, "BATCH", 5)
    original, calls = PostgresWriter.stage, []

    def stage_then_fail(self, items):
        calls.append(len(items))
        if len(calls) == 3:
            raise KeyboardInterrupt  # as a Ctrl-C between two batches
        original(self, items)

    monkeypatch.setattr(PostgresWriter, "stage", stage_then_fail)
    assert migrate(embedded, pg_url).exit_code == 130  # "revue: interrupted"
    monkeypatch.setattr(PostgresWriter, "stage", original)

    report = json.loads(migrate(embedded, pg_url, "--json").stdout)
    assert report["copied"] == 32 and report["resumed"] == 10 and report["articles"] == 32
    again = json.loads(migrate(embedded, pg_url, "--json").stdout)
    assert (again["copied"], again["unchanged"]) == (0, 32)
    copy = make_engine(database_url=pg_url)
    assert copy.search("le budget de la commune 12", k=1)[0].article_id == "breve-12"


def test_a_database_of_another_model_is_not_overwritten(embedded, make_engine, pg_url, encoder):
    other = make_engine(database_url=pg_url, model=Spy(encoder, fingerprint="other-model|dim=1024"))
    other.index([CORPUS])
    with pytest.raises(ModelMismatch, match="other-model"):
        embedded.migrate_to(pg_url)


def test_the_state_moves_too_feeds_answers_votes_and_server_settings(
    embedded, make_engine, pg_url, tmp_path
):
    from tests.fake_feeds import FeedServer, Item

    with FeedServer() as server:
        server.feeds["/rss"] = (
            "L'Indépendant",
            [Item("Leucate", "http://127.0.0.1/1", "Les huîtres.")],
        )
        embedded.following.follow(server.url("/rss"))
        embedded.poll()  # one entry saved: a moved bot must not save it again
    log = embedded.answers()
    first = log.record("Why?", embedded.ask("Why did OpenAI pause advertising?"))
    log.sent(first.id, channel_id=7, message_id=70)
    log.vote(first.id, user_id=99, vote="down")
    log.close()
    servers = open_server_settings(embedded.settings)
    servers.update(5, lambda c: replace(c, channels=(7,), news_channel=NEWS_OFF))
    servers.close()

    report = json.loads(migrate(embedded, pg_url, "--json").stdout)
    assert report["state"] == {
        "feeds": 1, "feed_entries": 1, "answers": 1, "votes": 1, "server_settings": 1,
    }  # fmt: skip
    moved = make_engine(tmp_path / "moved", database_url=pg_url)
    assert [f.url for f in moved.following.status()] == [server.url("/rss")]
    moved_log = moved.answers()
    record = moved_log.by_message(70)
    assert record is not None and record.id == first.id and record.question == "Why?"
    assert moved_log.vote(first.id, user_id=99, vote="up") == "down"  # the vote came along
    second = moved_log.record("Again?", embedded.ask("Nick Turley"))
    assert second.id > first.id  # new answers do not collide with the copied ids
    moved_log.close()
    moved_servers = open_server_settings(moved.settings)
    assert moved_servers.all() == (ServerConfig(5, (7,), NEWS_OFF, None),)
    moved_servers.close()
    again = json.loads(migrate(embedded, pg_url, "--json").stdout)
    assert again["state"] == {
        "feeds": 0, "feed_entries": 0, "answers": 0, "votes": 0, "server_settings": 0,
    }  # fmt: skip
