"""Comparing outlets: each one's best verbatim quote on a question, wire copies together, and
the outlets that say nothing on it."""

from __future__ import annotations

import json

import pytest

from bot.render import check_limits
from index.records import Filters
from tests.conftest import write
from tests.fake_discord import FakeDiscord
from tests.test_bot import (  # noqa: F401 - the fixture puts discord.py's endpoints back
    ALICE,
    FOLLOWUP,
    _restore_endpoints,
    run,
    running_bot,
)
from tests.test_cli import invoke

DISPATCH = (
    "Les dockers du port de Marseille sont en grève depuis lundi contre la réforme des "
    "horaires de nuit. Le syndicat des dockers réclame le retrait du nouveau planning, qui "
    "supprime les primes de nuit. La direction du port affirme que quarante navires attendent "
    "au large. Les transporteurs routiers redoutent une pénurie de carburant en Provence."
)
OWN = (
    "Au port de Marseille, la grève des dockers inquiète les commerçants du Vieux-Port. "
    "Selon la chambre de commerce, chaque jour de grève des dockers coûte deux millions "
    "d'euros à l'économie locale. Les dockers tiennent un piquet de grève devant la capitainerie."
)
EARLIER = (
    "Il y a un an déjà, les dockers de Marseille avaient fait grève pour leurs salaires. "
    "Le mouvement avait duré trois semaines et paralysé le port de Marseille. Les dockers "
    "avaient obtenu une hausse de salaire de trois pour cent après la médiation de l'État."
)
OTHER = (
    "Le festival de jazz de Vienne a accueilli cinquante mille spectateurs cette année. La "
    "programmation mêlait grands noms et jeunes musiciens. Les organisateurs préparent déjà "
    "l'édition suivante avec un budget en hausse."
)
ROWS = [
    ("afp-docks", "AFP", "2025-05-02", "Grève au port de Marseille", DISPATCH),
    ("prov-docks", "Le Provençal", "2025-05-02", "Grève au port", DISPATCH + " Avec AFP."),
    ("gaz-docks", "La Gazette", "2025-05-04", "Le Vieux-Port inquiet", OWN),
    ("jazz", "Ouest Matin", "2025-05-03", "Jazz à Vienne", OTHER),
    ("sem-old", "Le Sémaphore", "2024-01-10", "Grève des dockers en 2024", EARLIER),
]
QUESTION = "Pourquoi les dockers de Marseille sont-ils en grève ?"


@pytest.fixture(scope="module")
def engine(tmp_path_factory, encoder, fake_reader):
    from index.engine import Revue
    from index.settings import Settings

    rows = [
        {"id": i, "source": s, "date": d, "title": t, "text": x, "url": f"https://example.org/{i}"}
        for i, s, d, t, x in ROWS
    ]
    corpus = tmp_path_factory.mktemp("compare-corpus")
    write(corpus / "news.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    revue = Revue(Settings(data_dir=tmp_path_factory.mktemp("compare-data")), encoder, fake_reader)
    revue.index([corpus])
    yield revue
    revue.close()


def test_one_quote_per_outlet_wire_copies_together_and_the_silent_outlets(engine):
    c = engine.compare(QUESTION, Filters(since="2025-01-01"))
    assert len(c.quotes) == 2
    wire = next(q for q in c.quotes if q.also_in)
    assert {wire.source, *(k.source for k in wire.also_in)} == {"AFP", "Le Provençal"}
    assert {q.source for q in c.quotes} - {wire.source} == {"La Gazette"}
    assert c.silent == ("Ouest Matin",)  # Le Sémaphore is outside the dates
    assert [q.n for q in c.quotes] == [1, 2]


def test_every_quote_is_verbatim(engine):
    for q in engine.compare(QUESTION).quotes:
        article = engine.article(q.article_id)
        assert q.quote and article.text[q.start : q.end] == q.quote


def test_without_filters_every_outlet_is_counted(engine):
    c = engine.compare(QUESTION)
    assert {q.source for q in c.quotes} >= {"La Gazette", "Le Sémaphore"}
    assert c.silent == ("Ouest Matin",)


def test_a_question_nobody_answers_leaves_every_outlet_silent(engine):
    c = engine.compare("Quel temps fera-t-il à Lille demain ?")
    assert c.quotes == () and len(c.silent) == 5
    assert "No outlet's articles answer" in invoke(engine, "compare", c.question).output


def test_the_command_line_prints_json_and_text(engine):
    out = json.loads(invoke(engine, "compare", QUESTION, "--json", "--since", "2025").output)
    assert set(out) == {"question", "quotes", "silent", "filters"}
    assert out["silent"] == ["Ouest Matin"]
    assert out["filters"] == {"outlet": None, "since": "2025-01-01", "until": None}
    assert {"quote", "source", "url", "also_in", "start", "end"} <= set(out["quotes"][0])
    text = invoke(engine, "compare", QUESTION, "--since", "2025").output
    assert "Nothing on it from 1 outlets: Ouest Matin" in text
    assert "also in: " in text
    bad = invoke(engine, "compare", QUESTION, "--until", "demain")
    assert bad.exit_code != 0 and "until='demain' is not a date" in bad.output


def test_slash_compare_shows_the_outlets_side_by_side(engine):
    async def scenario():
        async with FakeDiscord() as fake, running_bot(engine, fake):
            await fake.slash("compare", {"question": QUESTION, "since": "2025"}, author=ALICE)
            (reply,) = await fake.wait_for("POST", FOLLOWUP)
        body = reply.json
        names = [f["name"] for e in body["embeds"] for f in e["fields"]]
        assert len(names) == 2 and any("La Gazette" in n for n in names)
        assert "Ouest Matin" in body["content"]
        assert "also in:" in " ".join(f["value"] for e in body["embeds"] for f in e["fields"])
        check_limits(body["content"], [])

    run(scenario())
