"""Timelines: matching articles per day, week or month and per outlet, with a PNG chart."""

from __future__ import annotations

import json
import random

import pytest

from index.coverage.chart import OTHERS, png, series
from index.coverage.timeline import is_name, word_queries
from index.errors import NothingToChart
from index.records import Filters, Period, Timeline
from tests.conftest import BACKENDS, backend_settings, write
from tests.fake_discord import FakeDiscord
from tests.test_bot import (  # noqa: F401 - the fixture puts discord.py's endpoints back
    ALICE,
    CALLBACK,
    FOLLOWUP,
    _restore_endpoints,
    run,
    running_bot,
)
from tests.test_cli import invoke

pytestmark = pytest.mark.backends

FILLER = (
    "conseil municipal budget quartier association habitants projet rapport commission "
    "tribunal enquête école hôpital transport route chantier festival musée théâtre marché "
    "agriculteurs récolte météo orage football stade joueur entraîneur saison"
).split()
STRIKE = "La grève des dockers bloque le port de Marseille depuis l'aube."
# id: (outlet, date, topical): the dockers' strike in May, once in September, undated once.
ARTICLES = {
    "p1": ("Le Provençal", "2025-05-01", True),
    "p2": ("Le Provençal", "2025-05-01T18:30", True),
    "p3": ("Le Provençal", "2025-05-03", True),
    "g1": ("La Gazette", "2025-05-03", True),
    "g2": ("La Gazette", "2025-05-10", True),
    "g3": ("La Gazette", "2025-09-15", True),
    "u1": ("La Gazette", None, True),
    "o1": ("Ouest Matin", "2025-05-02", False),
    "o2": ("Ouest Matin", "2025-05-04", False),
}


def article(n: int, aid: str, source: str, date: str | None, topical: bool) -> str:
    rng = random.Random(n)
    lines = [" ".join(rng.sample(FILLER, 9)).capitalize() + f" numéro {n}." for _ in range(5)]
    if topical:
        lines.insert(2, STRIKE)
    front = f"---\nid: {aid}\ntitle: Article {aid}\nsource: {source}\n"
    front += f"url: https://example.org/{aid}\n" + (f"date: {date}\n" if date else "")
    return front + "---\n\n" + "\n".join(lines) + "\n"


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request, tmp_path_factory, encoder, fake_reader):
    from index.engine import Revue
    from index.settings import Settings

    corpus = tmp_path_factory.mktemp("timeline-corpus")
    for n, (aid, (source, date, topical)) in enumerate(ARTICLES.items()):
        write(corpus / f"{aid}.md", article(n, aid, source, date, topical))
    write(
        corpus / "ai1.md",
        "---\nid: ai1\nsource: Tech Hebdo\ndate: 2025-05-02\n---\n\n"
        "OpenAI présente un nouveau modèle de langage à San Francisco.\n",
    )
    write(
        corpus / "ai2.md",
        "---\nid: ai2\nsource: Tech Hebdo\ndate: 2025-05-03\n---\n\n"
        "Le tournoi open de tennis de Marseille commence lundi au Palais des sports.\n",
    )
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("timeline-data"), **backend_settings(request)
    )
    revue = Revue(settings, encoder, fake_reader)
    revue.index([corpus])
    yield revue
    revue.close()


def counts(t: Timeline) -> dict[str, dict[str, int]]:
    return {p.start: dict(p.counts) for p in t.periods}


def test_counts_per_day_and_outlet_with_the_first_and_latest_article(engine):
    t = engine.timeline("grève dockers", Filters(until="2025-05-31"), "day")
    assert t.unit == "day" and t.matched == 5 and t.undated == 0
    assert counts(t) == {
        "2025-05-01": {"Le Provençal": 2},
        "2025-05-02": {},
        "2025-05-03": {"Le Provençal": 1, "La Gazette": 1},
        **{f"2025-05-0{d}": {} for d in range(4, 10)},
        "2025-05-10": {"La Gazette": 1},
    }
    assert t.first is not None and t.first.article_id == "p1"
    assert t.first.url == "https://example.org/p1"
    assert t.latest is not None and t.latest.article_id == "g2"
    assert t.outlets == (("Le Provençal", 3), ("La Gazette", 2))


def test_a_long_span_is_counted_per_week_from_monday(engine):
    t = engine.timeline("grève des dockers")
    assert t.unit == "week"
    assert t.periods[0].start == "2025-04-28"  # the Monday before Thursday 1 May
    assert t.periods[-1].start == "2025-09-15"
    assert sum(p.total for p in t.periods) == 6 and t.undated == 1 and t.matched == 7
    assert len({p.start for p in t.periods}) == len(t.periods) == 21  # empty weeks included
    forced = engine.timeline("grève des dockers", unit="month")
    assert [(p.start, p.total) for p in forced.periods if p.total] == [
        ("2025-05-01", 5),
        ("2025-09-01", 1),
    ]


def test_filters_are_respected(engine):
    t = engine.timeline("dockers", Filters(outlet="gazette", since="2025-05-05"))
    assert {o for o, _ in t.outlets} == {"La Gazette"} and t.matched == 2
    assert t.first is not None and t.first.article_id == "g2"
    assert t.filters == Filters(outlet="gazette", since="2025-05-05")


def test_a_name_is_matched_as_written_not_by_its_stem(engine):
    assert is_name("OpenAI") and is_name("COP21") and not is_name("Grève")
    assert word_queries("OpenAI grève") == ([["grev", "greve"]], ["OpenAI"])
    t = engine.timeline("OpenAI", unit="day")
    assert [p.counts for p in t.periods] == [(("Tech Hebdo", 1),)]  # not the "open" tennis


def test_a_topic_nothing_matches_gets_a_sentence_not_an_empty_chart(engine):
    t = engine.timeline("volcan islandais")
    assert t.matched == 0 and t.periods == () and t.first is None
    with pytest.raises(NothingToChart):
        png(t)
    result = invoke(engine, "timeline", "volcan islandais", "--outlet", "gazette")
    assert result.exit_code == 0
    assert result.output.strip() == (
        "No article matches “volcan islandais” among the articles from outlets matching "
        "'gazette': try other words, or the corpus's language."
    )


def test_the_command_line_prints_json_counts_and_writes_the_chart(engine, tmp_path):
    chart = tmp_path / "t.png"
    args = ("timeline", "grève dockers", "--json", "--until", "2025-05", "--chart", str(chart))
    out = json.loads(invoke(engine, *args).output)
    assert set(out) == {
        "topic", "unit", "matched", "by_words", "by_meaning", "undated", "periods", "outlets",
        "first", "latest", "filters",
    }  # fmt: skip
    assert out["unit"] == "day" and out["matched"] == 5
    assert out["periods"][0] == {"start": "2025-05-01", "total": 2, "outlets": {"Le Provençal": 2}}
    assert out["first"]["url"] == "https://example.org/p1"
    assert out["latest"]["article_id"] == "g2"
    assert chart.read_bytes().startswith(b"\x89PNG")
    text = invoke(engine, "timeline", "grève dockers", "--until", "2025-05").output
    assert "first: 2025-05-01 · Le Provençal — Article p1" in text
    assert "https://example.org/g2" in text


def test_the_chart_names_the_largest_outlets_and_groups_the_rest():
    outlets = tuple((f"Site / Outlet {i:02d}", 20 - i) for i in range(12))
    periods = (Period("2025-05-01", outlets), Period("2025-05-02", ()))
    t = Timeline("x", "day", periods, outlets, None, None, 210, 210, 0, 0)
    drawn = series(t)
    assert list(drawn)[-1] == OTHERS and len(drawn) == 9
    assert drawn[OTHERS] == [sum(n for _, n in outlets[8:]), 0]
    assert png(t).startswith(b"\x89PNG")


def test_slash_timeline_replies_with_a_png_chart(engine):
    async def scenario():
        async with FakeDiscord() as fake, running_bot(engine, fake):
            await fake.slash("timeline", {"topic": "grève dockers", "unit": "day"}, author=ALICE)
            (reply,) = await fake.wait_for("POST", FOLLOWUP)
            await fake.slash("timeline", {"topic": "volcan islandais"}, author=ALICE)
            _, nothing = await fake.wait_for("POST", FOLLOWUP, count=2)
            await fake.slash("timeline", {"topic": "x", "since": "hier"}, author=ALICE)
            *_, refusal = await fake.wait_for("POST", CALLBACK, count=3)
        (chart,) = reply.files
        assert chart.filename == "timeline.png" and chart.data.startswith(b"\x89PNG")
        (embed,) = reply.json["embeds"]
        assert embed["image"]["url"] == "attachment://timeline.png"
        assert "**7** matching articles" in embed["description"]
        assert "[Article p1](https://example.org/p1)" in embed["description"]
        assert nothing.files == [] and "No article matches" in nothing.json["content"]
        assert refusal.json["data"]["content"].count(".") == 1  # one sentence
        assert "'hier' is not a date" in refusal.json["data"]["content"]

    run(scenario())
