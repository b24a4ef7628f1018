"""First report and as of: who stated a quoted fact first, how many outlets repeated it, and a
figure that changed, through the CLI with the real model, and the rules on their own."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from index.coverage.firsts import Statement, as_of_line, figure_change, first_line, report
from index.records import Answer, Article, Citation, Copy, FigureChange, FirstReport
from tests.conftest import write
from tests.fake_discord import FakeDiscord
from tests.test_bot import (  # noqa: F401 - the fixture puts discord.py's endpoints back
    ALICE,
    MESSAGES,
    _restore_endpoints,
    field_text,
    run,
    running_bot,
)

FIRE = (
    "Le bilan de l'incendie de l'usine chimique de Fos-sur-Mer s'élève à {n} morts, "
    "selon les pompiers."
)
ARTICLES = {
    "wire-1": ("AFP", "2024-03-02", 12, "Les secours sont restés sur place toute la nuit."),
    "daily-2": ("Le Provençal", "2024-03-03", 12, "La préfecture a ouvert une cellule de crise."),
    "weekly-3": (
        "La Marseillaise",
        "2024-03-06",
        14,
        "Deux blessés graves sont morts à l'hôpital.",
    ),
    "other-4": ("AFP", "2024-03-04", None, "Le maire de Marseille a inauguré un jardin public."),
}


def corpus(folder):
    for name, (source, date, toll, more) in ARTICLES.items():
        body = (FIRE.format(n=toll) + " " if toll else "") + more
        write(
            folder / f"{name}.md",
            f"---\nid: {name}\nsource: {source}\ndate: {date}\n---\n\n{body}\n",
        )
    return folder


@pytest.mark.model
def test_ask_names_the_first_report_the_repeats_and_the_later_figure(tmp_path, monkeypatch):
    folder = corpus(tmp_path / "corpus")
    env = {
        "REVUE_DATA_DIR": str(tmp_path / "data"),
        "REVUE_WRITER": "none",
        "REVUE_READER": "none",
        "REVUE_FIRST_REPORTS": "true",
    }
    runner = CliRunner()
    indexed = runner.invoke(cli, ["index", "--corpus", str(folder)], env=env)
    assert indexed.exit_code == 0, indexed.output
    asked = runner.invoke(
        cli, ["ask", "--json", "Quel est le bilan de l'incendie de Fos-sur-Mer ?"], env=env
    )
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.output)
    daily = next(c for c in answer["citations"] if c["article_id"] in ("wire-1", "daily-2"))
    first = daily["first"]
    assert first["article_id"] == "wire-1" and first["source"] == "AFP"
    assert first["outlets"] == 2  # AFP and Le Provençal said 12; La Marseillaise said 14
    assert (
        first["figure"]["latest"] == "14" and first["figure"]["latest_source"] == "La Marseillaise"
    )
    shown = runner.invoke(cli, ["ask", "Quel est le bilan de l'incendie de Fos-sur-Mer ?"], env=env)
    assert "As of 2024-03-0" in shown.output
    assert "a later article gives 14 (La Marseillaise, 2024-03-06)" in shown.output


def article(id_: str, source: str, date: str | None) -> Article:
    return Article(id=id_, text="", title=f"title of {id_}", source=source, date=date)


def citation(**more: object) -> Citation:
    fields: dict[str, object] = dict(n=1, article_id="b", title="t", source="Le Monde")
    fields |= dict(date="2024-01-03", url=None, quote="q", start=0, end=1, score=1.0) | more
    return Citation(**fields)  # type: ignore[arg-type]


def test_the_first_is_the_earliest_of_the_statements_and_the_wire_copies():
    stated = [
        Statement(article("b", "Le Monde", "2024-01-03"), ("12",), ("12",)),
        Statement(article("c", "Libération", "2024-01-04"), ("12",), ("12",)),
    ]
    copy = Copy(article_id="a", source="AFP", date="2024-01-02", url=None, title="dispatch")
    found = report(citation(also_in=(copy,)), stated)
    assert (found.article_id, found.source, found.title) == ("a", "AFP", "dispatch")
    assert (found.outlets, found.articles) == (3, 3)


def test_a_sentence_with_other_figures_is_not_the_same_fact_but_may_update_it():
    quoted = Statement(article("b", "Le Monde", "2024-01-03"), ("12", "3"), ("12", "3"))
    later = Statement(article("c", "Libération", "2024-01-05"), ("14", "3"), ("12", "3"))
    unrelated = Statement(article("d", "AFP", "2024-01-01"), ("7", "9"), ("12", "3"))
    found = report(citation(), [quoted, later, unrelated])
    assert (found.article_id, found.outlets) == ("b", 1)  # neither c nor d states "12"
    change = figure_change([quoted, later, unrelated])
    assert change is not None and (change.latest, change.earlier) == ("14", "12")
    assert not change.quoted_is_latest


def test_the_lines_say_only_what_adds_something():
    alone = FirstReport(
        article_id="b", source="Le Monde", date="2024-01-03", title="t", outlets=1, articles=1
    )
    assert first_line(citation(first=alone)) is None
    repeated = FirstReport(
        article_id="a", source="AFP", date="2024-01-02", title="t", outlets=3, articles=4
    )
    assert first_line(citation(first=repeated)) == (
        "first reported by AFP · 2024-01-02; repeated by 2 other outlets"
    )
    change = FigureChange("12", "b", "Le Monde", "2024-01-03", "9", "AFP", "2024-01-01", True)
    updated = FirstReport(
        article_id="b",
        source="Le Monde",
        date="2024-01-03",
        title="t",
        outlets=1,
        articles=1,
        figure=change,
    )
    assert first_line(citation(first=updated)) == "earlier articles gave 9 (2024-01-01)"
    answer = Answer("q", "a", False, "fr", (citation(), citation(date="2024-02-01")))
    assert as_of_line(answer) == "As of 2024-02-01, the latest article quoted."
    assert as_of_line(Answer("q", "a", False, "fr", (citation(date=None),))) is None


def test_the_bot_shows_the_first_report_under_the_quote_and_the_date_in_its_reply(
    make_engine, tmp_path
):
    engine = make_engine(first_reports=True)
    engine.index([corpus(tmp_path / "corpus")])

    async def scenario() -> dict:
        async with FakeDiscord() as fake, running_bot(engine, fake):
            await fake.send_message(
                "Quel est le bilan de l'incendie de Fos-sur-Mer ?", author=ALICE
            )
            (reply,) = await fake.wait_for("POST", MESSAGES)
        return reply.json

    reply = run(scenario())
    assert "As of 2024-03-0" in reply["content"]
    fields = field_text(reply)
    later = "a later article gives 14 (La Marseillaise, 2024-03-06)"
    assert f"first reported by AFP · 2024-03-02; repeated by 1 other outlet; {later}" in fields


def test_first_reports_are_off_unless_asked_for_and_as_of_is_always_said(make_engine, tmp_path):
    engine = make_engine()
    engine.index([corpus(tmp_path / "corpus")])
    answer = engine.ask("Quel est le bilan de l'incendie de Fos-sur-Mer ?")
    assert answer.citations and all(c.first is None for c in answer.citations)
    assert answer.as_of is not None and answer.as_of.startswith("2024-03-0")


def test_figures_are_read_as_a_reader_reads_them():
    from index.coverage.firsts import numbers_in

    assert numbers_in("En 2023, 150 personnes sont mortes") == ("150",)
    assert numbers_in("12 000 manifestants, puis 12.500") == ("12000", "12500")
    assert numbers_in("1,5 million d'euros, 3.5 %") == ("1.5", "3.5")
    assert numbers_in("les lots 1, 2, 3 du Covid-19 et du G7") == ("1", "2", "3")


def test_an_outlet_without_a_name_still_counts_and_the_answer_survives_a_failed_trace(
    seed_index, monkeypatch
):
    quoted = Statement(article("b", None, "2024-01-03"), ("12",), ("12",))  # type: ignore[arg-type]
    other = Statement(article("c", "Ouest-France", "2024-01-04"), ("12",), ("12",))
    found = report(citation(source=None), [quoted, other])
    assert found.outlets == 2
    assert (
        first_line(citation(source=None, first=found))
        == "first reported here; repeated by 1 other outlet"
    )

    def broken(*args: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(seed_index, "_similar", broken)
    answer = seed_index.ask("Who is Nick Turley?")
    assert answer.citations and all(c.first is None for c in answer.citations)


def test_a_partial_date_is_not_taken_for_the_first():
    year_only = Statement(article("b", "Le Monde", "2024"), ("12",), ("12",))
    dated = Statement(article("c", "Libération", "2024-03-01"), ("12",), ("12",))
    undated = Statement(article("d", "AFP", None), ("12",), ("12",))
    found = report(citation(article_id="b", date="2024"), [year_only, dated, undated])
    assert (found.article_id, found.date, found.outlets) == ("c", "2024-03-01", 3)
