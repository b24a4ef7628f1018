"""Filters by outlet and date: applied inside retrieval, so a filtered question still gets k."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from index.errors import InvalidFilter
from index.records import Filters
from index.search.filters import parse_filters
from tests.conftest import BACKENDS, backend_settings, write
from tests.fake_discord import FakeDiscord
from tests.test_bot import (  # noqa: F401 - the fixture puts discord.py's endpoints back
    ALICE,
    CALLBACK,
    FOLLOWUP,
    _restore_endpoints,
    field_text,
    run,
    running_bot,
)
from tests.test_cli import invoke

pytestmark = pytest.mark.backends

TODAY = dt.date(2025, 6, 15)
FILLER = (
    "conseil municipal budget quartier association habitants projet rapport commission "
    "tribunal enquête école hôpital transport route chantier festival musée théâtre marché "
    "agriculteurs récolte météo orage tempête football stade joueur entraîneur saison"
).split()


def article(n: int, source: str, date: str | None, topical: int) -> str:
    """An article with ``topical`` sentences about the dockers' strike among distinct filler."""
    rng = random.Random(n)
    lines = [" ".join(rng.sample(FILLER, 9)).capitalize() + f" numéro {n}." for _ in range(6)]
    for i in range(topical):
        lines.insert(i, f"La grève des dockers bloque le port de Marseille, jour {n + i}.")
    front = f"---\nid: a{n:02d}\ntitle: Article {n}\nsource: {source}\n"
    if date:
        front += f"date: {date}\n"
    return front + "---\n\n" + "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """12 strongly topical articles from Le Provençal, 5 weakly topical ones from La Gazette
    (two of them undated), and filler from Ouest Matin."""
    corpus = tmp_path_factory.mktemp("filters-corpus")
    for n in range(12):
        write(corpus / f"p{n}.md", article(n, "Le Provençal", f"2025-05-{n + 1:02d}", 3))
    for n in range(12, 17):
        date = None if n >= 15 else f"2025-0{n - 9}-10"  # 03, 04, 05; then undated
        write(corpus / f"g{n}.md", article(n, "La Gazette (AFP)", date, 1))
    for n in range(17, 20):
        write(corpus / f"o{n}.md", article(n, "Ouest Matin", "2025-06-01", 0))
    return corpus


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request, corpus, tmp_path_factory, encoder, fake_reader):
    from index.engine import Revue
    from index.settings import Settings

    revue = Revue(
        Settings(data_dir=tmp_path_factory.mktemp("filters-data"), **backend_settings(request)),
        encoder,
        fake_reader,
    )
    revue.index([corpus])
    yield revue
    revue.close()


def sources_of(engine, hits):
    return {engine.article(h.article_id).source for h in hits}


def test_an_outlet_filter_still_returns_k_passages(engine):
    unfiltered = engine.search("grève des dockers port de Marseille", k=5)
    assert sources_of(engine, unfiltered) == {"Le Provençal"}  # the Gazette ranks below
    filtered = engine.search("grève des dockers port de Marseille", k=5, filters=Filters("gazette"))
    assert len(filtered) == 5
    assert sources_of(engine, filtered) == {"La Gazette (AFP)"}


def test_every_retrieval_mode_applies_the_filter(engine):
    for mode in ("dense", "keyword", "hybrid"):
        hits = engine.search("dockers Marseille", k=3, mode=mode, filters=Filters("GAZETTE"))
        assert hits and sources_of(engine, hits) == {"La Gazette (AFP)"}, mode


def test_a_date_range_leaves_out_other_days_and_undated_articles(engine):
    filters = parse_filters(since="2025-04", until="2025-05-03", today=TODAY)
    hits = engine.search("grève des dockers", k=20, filters=filters)
    dates = {engine.article(h.article_id).date for h in hits}
    assert dates == {"2025-04-10", "2025-05-01", "2025-05-02", "2025-05-03"}


def test_the_answer_cites_only_what_the_filter_allows(engine):
    answer = engine.ask("Qui bloque le port de Marseille ?", filters=Filters("gazette"))
    assert not answer.abstained and answer.filters == Filters("gazette")
    assert {c.source for c in answer.citations} == {"La Gazette (AFP)"}


def test_a_filter_nothing_passes_declines(engine):
    answer = engine.ask("Qui bloque le port de Marseille ?", filters=Filters("Le Monde"))
    assert answer.abstained and not answer.citations


def test_the_exact_and_hnsw_indexes_filter_alike(corpus, make_engine, engine):
    hnsw = make_engine(exact_search_up_to=0)
    hnsw.index([corpus])
    query, filters = "dockers Marseille grève", Filters("provençal", "2025-05-03", "2025-05-06")
    exact = [h.article_id for h in engine.search(query, k=4, mode="dense", filters=filters)]
    approx = [h.article_id for h in hnsw.search(query, k=4, mode="dense", filters=filters)]
    assert exact == approx and len(exact) == 4


def test_outlets_are_listed_largest_first(engine):
    assert engine.outlets() == [("Le Provençal", 12), ("La Gazette (AFP)", 5), ("Ouest Matin", 3)]
    assert engine.outlets(Filters(since="2025-06-01")) == [("Ouest Matin", 3)]


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("7d", None, Filters(None, "2025-06-08", None)),
        ("2w", "1d", Filters(None, "2025-06-01", "2025-06-14")),
        ("2024", "2024-02", Filters(None, "2024-01-01", "2024-02-29")),
        (" 2025-6-3 ", "", Filters(None, "2025-06-03", None)),
    ],
)
def test_dates_and_spans_are_read(since, until, expected):
    assert parse_filters(None, since, until, today=TODAY) == expected


@pytest.mark.parametrize(
    ("since", "until", "words"),
    [
        ("yesterday", None, ["since='yesterday'", "7d"]),
        ("2025-02-30", None, ["not a real date"]),
        ("2025-06", "2025-05", ["after until"]),
    ],
)
def test_unreadable_filters_say_which_and_why(since, until, words):
    with pytest.raises(InvalidFilter) as caught:
        parse_filters(None, since, until, today=TODAY)
    assert all(w in str(caught.value) for w in words)


def test_the_command_line_filters_and_reports_them(engine):
    result = invoke(engine, "ask", "Qui bloque le port de Marseille ?", "--outlet", "gazette")
    assert "only articles from outlets matching 'gazette'" in result.output
    assert "La Gazette (AFP)" in result.output and "Le Provençal" not in result.output
    result = invoke(engine, "search", "dockers", "--json", "--since", "2025-05-11", "--k", "3")
    hits = json.loads(result.output)["hits"]
    ids = [h["article_id"] for h in hits]
    assert len(ids) == 3 and sorted(ids[:2]) == ["a10", "a11"]  # the topical ones first
    assert set(ids) <= {"a10", "a11", "a17", "a18", "a19"}  # published on or after May 11


def test_slash_ask_filters_and_offers_outlets_as_you_type(engine):
    async def scenario():
        async with FakeDiscord() as fake, running_bot(engine, fake):
            await fake.autocomplete(
                "ask", {"question": "x", "outlet": "ga"}, "outlet", author=ALICE
            )
            (choices,) = await fake.wait_for("POST", CALLBACK)
            question = {"question": "Qui bloque le port de Marseille ?", "outlet": "gazette"}
            await fake.slash("ask", question, author=ALICE)
            (answer,) = await fake.wait_for("POST", FOLLOWUP)
            await fake.slash("ask", {**question, "since": "last week"}, author=ALICE)
            *_, refusal = await fake.wait_for("POST", CALLBACK, count=3)
        assert choices.json["type"] == 8
        assert choices.json["data"]["choices"] == [
            {"name": "La Gazette (AFP) (5)", "value": "La Gazette (AFP)"}
        ]
        assert "La Gazette (AFP)" in field_text(answer.json)
        assert "Le Provençal" not in field_text(answer.json)
        refused = refusal.json["data"]["content"]
        assert refusal.json["type"] == 4 and "'last week' is not a date" in refused

    run(scenario())


def test_a_filter_asked_again_after_a_reindex_sees_the_new_articles(corpus, make_engine, tmp_path):
    engine = make_engine()
    engine.index([corpus])
    filters = Filters("gazette")
    before = {h.article_id for h in engine.search("dockers Marseille", k=10, filters=filters)}
    extra = tmp_path / "extra"
    write(extra / "g99.md", article(99, "La Gazette (AFP)", "2025-05-20", 3))
    engine.index([corpus, extra])
    after = {h.article_id for h in engine.search("dockers Marseille", k=10, filters=filters)}
    assert "a99" not in before and after == before | {"a99"}


@pytest.mark.parametrize("exact_up_to", [100_000, 0])
def test_over_fetching_a_broad_filter_finds_what_selecting_its_ids_finds(
    corpus, make_engine, monkeypatch, exact_up_to
):
    from index.search import retrieval

    engine = make_engine(exact_search_up_to=exact_up_to)
    engine.index([corpus])
    cases = [Filters("provençal"), Filters("gazette"), Filters(None, "2025-05-02", "2025-05-09")]
    found = {}
    for share_from in (0.0, 1.1):  # every filter over-fetched, then every one selected
        monkeypatch.setattr(retrieval, "OVERFETCH_FROM", share_from)
        engine.retriever()._allowed.clear()
        found[share_from] = [
            [h.article_id for h in engine.search("grève dockers", k=4, mode=mode, filters=f)]
            for f in cases
            for mode in ("dense", "keyword", "hybrid")
        ]
    assert found[0.0] == found[1.1]
    assert all(len(ids) == 4 for ids in found[0.0])
