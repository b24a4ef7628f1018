"""Following feeds served from 127.0.0.1: new entries, 304s, broken and dead feeds, duplicates,
back-off, and entries that stay saved when indexing cannot run."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from index.errors import FeedError
from index.storage.layout import writer_lock
from index.storage.states import FIRST_RETRY
from tests.conftest import CORPUS
from tests.fake_feeds import FeedServer, Item
from tests.test_cli import invoke

EVERY = dt.timedelta(minutes=30)


def item(n: int, topic: str, **kw) -> Item:
    text = (
        f"{topic} : la commune de Port-Vendres numéro {n} a voté une mesure inédite.\n\n"
        f"Le maire explique que la décision {n} entrera en vigueur au printemps."
    )
    return Item(f"Dépêche {n} : {topic}", f"http://127.0.0.1/p/{n}", text, **kw)


@pytest.fixture
def server():
    with FeedServer() as s:
        yield s


def forget_saved_entries(engine):
    """The state of a poll that wrote its files and died before recording them."""
    statements = ("delete from feed_entries", "update feeds set etag = null")
    if engine.settings.database_url is None:
        for statement in statements:
            engine.following.subscriptions.db.execute(statement)
        return
    import psycopg

    with psycopg.connect(engine.settings.database_url.get_secret_value()) as conn:
        for statement in statements:
            conn.execute(statement)


def items_at(server, *items):
    """Items whose links point at ``server`` (for the pages of summary-only entries)."""
    return [
        Item(i.title, server.url(i.link.split("127.0.0.1", 1)[1]), i.text, i.date, i.summary_only)
        for i in items
    ]


@pytest.fixture
def engine(make_engine, backend):
    """The seeds indexed; the followed feeds in ``state.db``, then in PostgreSQL."""
    engine = make_engine(**backend)
    engine.index([CORPUS])
    return engine


def test_a_followed_feed_is_saved_indexed_and_answerable(server, engine):
    server.feeds["/rss"] = ("L'Indépendant", items_at(server, item(1, "Les huîtres de Leucate")))
    engine.following.follow(server.url("/rss"))
    report = engine.poll()
    (feed,) = report.feeds
    assert feed.outcome == "new" and feed.title == "L'Indépendant" and len(feed.added) == 1
    assert feed.added[0].path.parent == engine.feeds_dir and feed.added[0].path.is_file()
    assert report.index is not None and report.index.added == 1
    answer = engine.ask("Que disent les huîtres de Leucate ?")
    assert answer.citations[0].source == "L'Indépendant"
    assert answer.citations[0].date == "2025-12-01"


def test_an_unchanged_feed_is_asked_with_its_etag_and_saves_nothing(server, engine):
    server.feeds["/rss"] = ("Le Midi", items_at(server, item(1, "Tramontane")))
    engine.following.follow(server.url("/rss"))
    engine.poll()
    second = engine.poll(force=True)
    assert [f.outcome for f in second.feeds] == ["unchanged"] and second.index is None
    assert server.hits("/rss")[-1].get("If-None-Match")
    assert len(list(engine.feeds_dir.iterdir())) == 1


def test_only_new_entries_are_saved_and_a_duplicate_entry_once(server, engine):
    first, second = item(1, "Vendanges"), item(2, "Marché de Noël")
    server.feeds["/rss"] = ("Le Midi", items_at(server, first))
    engine.following.follow(server.url("/rss"))
    engine.poll()
    server.feeds["/rss"] = ("Le Midi", items_at(server, second, second, first))
    report = engine.poll(force=True)
    assert [a.article.title for a in report.added] == ["Dépêche 2 : Marché de Noël"]
    assert len(list(engine.feeds_dir.iterdir())) == 2
    (status,) = engine.following.status()
    assert status.saved == 2 and status.failures == 0


def test_a_summary_only_entry_is_read_from_its_page(server, engine):
    server.feeds["/rss"] = ("Le Midi", items_at(server, item(3, "Canigou", summary_only=True)))
    engine.following.follow(server.url("/rss"))
    (added,) = engine.poll().added
    assert "entrera en vigueur au printemps" in added.article.text


def test_a_broken_or_dead_feed_backs_off_and_the_others_are_read(server, engine):
    server.feeds["/good"] = ("Le Midi", items_at(server, item(4, "Salanque")))
    server.feeds["/broken"] = ("Cassé", [])
    server.feeds["/down"] = ("Hors service", [])
    for path in ("/good", "/broken", "/down"):
        engine.following.follow(server.url(path))
    # Then one feed turns malformed and another's server fails.
    server.raw["/broken"] = b"<?xml version='1.0'?><rss><channel><title>x</ti"
    server.status["/down"] = 503
    now = dt.datetime(2025, 12, 1, 12, tzinfo=dt.UTC)
    polls = {p.url.rsplit("/", 1)[1]: p for p in engine.following.poll(EVERY, now=now)}
    assert polls["good"].outcome == "new"
    assert polls["broken"].outcome == "failed" and "malformed" in (polls["broken"].error or "")
    assert polls["down"].outcome == "failed" and "HTTP 503" in (polls["down"].error or "")
    assert polls["down"].retry_at == now + FIRST_RETRY
    # Not due again before its retry time; then it waits twice as long.
    soon = engine.following.poll(EVERY, now=now + FIRST_RETRY / 2)
    assert soon == ()
    later = now + FIRST_RETRY
    again = {p.url.rsplit("/", 1)[1]: p for p in engine.following.poll(EVERY, now=later)}
    assert set(again) == {"broken", "down"}
    assert again["down"].retry_at == later + 2 * FIRST_RETRY
    status = {f.url.rsplit("/", 1)[1]: f for f in engine.following.status()}
    assert status["down"].failures == 2 and "503" in (status["down"].error or "")
    # Back up: read, and its failures are forgotten.
    del server.status["/down"]
    engine.following.poll(EVERY, now=later + 2 * FIRST_RETRY)
    assert engine.following.subscriptions.get(server.url("/down")).failures == 0


def test_an_unreachable_feed_is_a_failure_not_a_crash(engine):
    follow = engine.following
    follow.subscriptions.add("http://127.0.0.1:9/rss", "Nowhere", dt.datetime.now(dt.UTC))
    (poll,) = follow.poll(EVERY, force=True)
    assert poll.outcome == "failed" and "cannot fetch" in (poll.error or "")


def test_saved_entries_survive_an_index_that_cannot_run(server, make_engine):
    # The embedded index only: PostgreSQL's indexing runs wait for each other, none fails busy.
    engine = make_engine()
    engine.index([CORPUS])
    server.feeds["/rss"] = ("Le Midi", items_at(server, item(5, "Étang de Thau")))
    engine.following.follow(server.url("/rss"))
    with writer_lock(engine.data_dir):  # a /reindex is running
        report = engine.poll()
    assert report.index is None and "writing" in (report.index_error or "")
    assert len(report.added) == 1 and report.added[0].path.is_file()
    # The next index of the corpus alone picks the saved entry up (and never drops it).
    summary = engine.index([CORPUS])
    assert summary.added == 1 and summary.articles_total == 3
    assert engine.ask("Que se passe-t-il à l'étang de Thau ?").citations[0].source == "Le Midi"


@pytest.mark.parametrize(
    ("path", "words"),
    [("/page", ["not an RSS or Atom feed"]), ("/missing", ["HTTP 404"])],
)
def test_following_what_is_not_a_feed_is_refused(server, engine, path, words):
    server.raw["/page"] = b"<html><body><p>Une page.</p></body></html>"
    with pytest.raises(FeedError) as caught:
        engine.following.follow(server.url(path))
    assert all(w in str(caught.value) for w in words)
    assert engine.following.status() == ()


def test_the_command_line_follows_polls_lists_and_unfollows(server, engine):
    server.feeds["/rss"] = ("Le Midi", items_at(server, item(6, "Collioure")))
    url = server.url("/rss")
    assert "following Le Midi" in invoke(engine, "follow", url).output
    again = invoke(engine, "follow", url)
    assert again.exit_code == 1 and "already followed" in again.output
    polled = json.loads(invoke(engine, "poll", "--json").output)
    (feed,) = polled["feeds"]
    assert feed["outcome"] == "new" and feed["added"][0]["source"] == "Le Midi"
    assert polled["index"]["added"] == 1
    assert "no feed is due" in invoke(engine, "poll").output
    listed = json.loads(invoke(engine, "following", "--json").output)
    assert listed["url"] == url and listed["saved"] == 1 and listed["failures"] == 0
    assert "no longer following Le Midi" in invoke(engine, "unfollow", url).output
    assert "no feeds followed" in invoke(engine, "following").output
    gone = invoke(engine, "unfollow", url)
    assert gone.exit_code == 1 and "is not followed" in gone.output


def test_an_entry_whose_record_was_lost_is_not_saved_twice(server, engine):
    server.feeds["/rss"] = ("Le Midi", items_at(server, item(7, "Banyuls")))
    engine.following.follow(server.url("/rss"))
    engine.poll()
    # The process died after writing the file, before recording the entry and the ETag.
    forget_saved_entries(engine)
    report = engine.poll(force=True)
    assert report.added == () and "already in the corpus" in report.feeds[0].problems[0].reason
    assert len(list(engine.feeds_dir.iterdir())) == 1


def test_machines_sharing_a_database_keep_what_each_poll_saved(
    server, make_engine, pg_url, tmp_path
):
    """Whichever process wins the poll indexes only its own corpus and feeds folder: a poll adds
    and never removes, so what another machine's poll saved stays answerable."""
    a = make_engine(tmp_path / "a", database_url=pg_url)
    b = make_engine(tmp_path / "b", database_url=pg_url)
    a.index([CORPUS])
    server.feeds["/one"] = ("L'Indépendant", items_at(server, item(1, "Les huîtres de Leucate")))
    server.feeds["/two"] = ("Midi Libre", items_at(server, item(2, "Le phare de Sète")))
    a.following.follow(server.url("/one"))
    assert a.poll().index.added == 1  # saved in a's feeds folder only
    a.following.unfollow(server.url("/one"))
    b.following.follow(server.url("/two"))
    assert b.poll().index.removed == 0  # b's folder lacks a's entry: kept all the same
    for question, outlet in (("huîtres de Leucate", "L'Indépendant"), ("phare de Sète", "Midi")):
        assert outlet in (b.ask(question).citations[0].source or "")


def test_a_polled_wire_copy_is_grouped_with_the_corpus_article_it_copies(server, engine, tmp_path):
    """A poll indexes the saved entries alone, but groups them with every stored article."""
    from tests.test_wire import COPIES, corpus

    engine.index([CORPUS, corpus(tmp_path, {"afp-cordemais"})])
    source, _, text = COPIES["ouest-cordemais"]
    server.feeds["/rss"] = (
        source,
        [Item("Cordemais fermera fin 2027", "http://127.0.0.1/c", text, dt.date(2026, 3, 6))],
    )
    engine.following.follow(server.url("/rss"))
    assert engine.poll().index.added == 1
    (listed,) = [s for s in engine.sources() if s.id == "afp-cordemais"]
    assert [c.source for c in listed.copies] == ["Ouest-France"]
