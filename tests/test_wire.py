"""Wire copies: one dispatch run by several outlets is cited once, with where else it ran."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import point_at, write

pytestmark = pytest.mark.backends

DISPATCH = (
    "Le gouvernement a annoncé jeudi la fermeture de la centrale à charbon de Cordemais, "
    "en Loire-Atlantique, à la fin de l'année 2027. La ministre de la Transition énergétique "
    "a précisé que les 350 salariés du site se verraient proposer un reclassement au sein "
    "d'EDF. Les syndicats dénoncent une décision prise sans concertation et appellent à une "
    "journée de grève le 12 mars. La centrale, mise en service en 1970, produisait encore "
    "l'an dernier près de 2 % de l'électricité consommée en Bretagne."
)
COPIES = {
    "afp-cordemais": ("AFP", "2026-03-05", DISPATCH),
    "ouest-cordemais": (
        "Ouest-France",
        "2026-03-05",
        DISPATCH + " Avec AFP.",
    ),
    "presse-ocean-cordemais": (
        "Presse Océan",
        "2026-03-06",
        "Par la rédaction. " + DISPATCH.rsplit(" La centrale", 1)[0],
    ),
}
SAME_TOPIC = (
    "À Cordemais, les salariés de la centrale ont appris la nouvelle par la radio. « On s'y "
    "attendait, mais pas si vite », confie un technicien entré à EDF il y a vingt ans. Au café "
    "du bourg, on parle surtout des sous-traitants, qui ne bénéficieront d'aucun reclassement, "
    "et de la taxe foncière dont la commune perdra l'essentiel. Le maire demande à l'État un "
    "plan de revitalisation pour l'estuaire de la Loire."
)


def corpus(tmp_path, ids):
    rows = [
        {"id": i, "title": "Cordemais fermera fin 2027", "source": s, "date": d, "text": t}
        for i, (s, d, t) in COPIES.items()
        if i in ids
    ]
    rows.append(
        {
            "id": "reportage",
            "title": "À Cordemais, l'amertume",
            "source": "Le Monde",
            "date": "2026-03-07",
            "text": SAME_TOPIC,
        }
    )
    return write(
        tmp_path / "news.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    )


def test_copies_are_grouped_cited_once_and_listed_under_the_first(make_engine, tmp_path):
    engine = make_engine()
    summary = engine.index([corpus(tmp_path, set(COPIES))])
    assert summary.wire_groups == 1

    sources = {s.id: s for s in engine.sources()}
    assert set(sources) == {"afp-cordemais", "reportage"}  # the earliest names the group
    assert [c.source for c in sources["afp-cordemais"].copies] == ["Ouest-France", "Presse Océan"]
    assert sources["reportage"].copies == ()

    answer = engine.ask("Combien de salariés du site se verront proposer un reclassement ?")
    assert not answer.abstained
    dispatch = [c for c in answer.citations if c.article_id in COPIES]
    assert len({c.article_id for c in dispatch}) == 1  # one outlet's copy is quoted
    assert "350 salariés" in dispatch[0].quote
    for cited in dispatch:
        assert cited.quote == COPIES[cited.article_id][2][cited.start : cited.end]
        others = {i for i in COPIES if i != cited.article_id}
        assert {c.article_id for c in cited.also_in} == others
    hits = engine.search("fermeture de la centrale de Cordemais", k=10)
    assert len({h.article_id for h in hits} & set(COPIES)) == 1


def test_removing_a_copy_regroups_and_the_cli_shows_groups(make_engine, tmp_path, monkeypatch):
    engine = make_engine()
    engine.index([corpus(tmp_path, set(COPIES))])
    summary = engine.index([corpus(tmp_path, {"ouest-cordemais", "presse-ocean-cordemais"})])
    assert summary.removed == 1 and summary.wire_groups == 1
    sources = {s.id: s for s in engine.sources()}
    assert set(sources) == {"ouest-cordemais", "reportage"}
    assert [c.article_id for c in sources["ouest-cordemais"].copies] == ["presse-ocean-cordemais"]

    point_at(monkeypatch, engine)
    out = CliRunner().invoke(cli, ["sources"])
    assert out.exit_code == 0, out.output
    assert "also in: Presse Océan (2026-03-06)" in out.output
    listed = json.loads(CliRunner().invoke(cli, ["sources", "--json"]).output.splitlines()[0])
    assert "copies" in listed
