"""The real reader over the seed articles: the examples of issue 11 it decides, as a user would
judge them. Skipped, with the reason, where the optional reader is not built
(`revue model --reader`, from PIAF in ../shared).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CORPUS, _engine

INSTITUT = "institut-arts-numeriques-openai-code-rouge"
AFP = "afp-openai-alerte-rouge"
ON_HOLD = "mises en pause — publicité, agents IA spécialisés, assistant personnel Pulse."


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder: Any, reader: Any) -> Iterator[Any]:
    engine = _engine(tmp_path_factory.mktemp("seed-reader"), embedder, reader)
    engine.index([CORPUS])
    yield engine
    engine.close()


def test_the_reader_believes_the_sentence_that_answers_over_a_near_miss(reader):
    question = "Quels projets OpenAI a-t-il mis en pause ?"
    texts = [
        "OpenAI — Résultat : toutes les initiatives annexes sont " + ON_HOLD[:-1] + ".",
        "OpenAI — Sollicité par l’AFP, OpenAI n’a pas donné suite dans l’immédiat.",
        "Météo — Il pleuvra demain sur la Bretagne.",
    ]
    answer, near_miss, unrelated = reader.score(question, texts)
    assert answer > 0.5 > near_miss > unrelated


@pytest.mark.xfail(
    strict=True, reason="the cosine picks the quotes and ranks generic OpenAI sentences higher"
)
def test_an_english_question_over_one_plain_french_sentence_is_answered(engine):
    answer = engine.ask("When does OpenAI expect to turn a profit?")
    assert not answer.abstained
    assert any("rentable avant 2029" in c.quote for c in answer.citations), answer


@pytest.mark.parametrize(
    "question",
    [
        pytest.param(
            "How many employees does OpenAI have?",
            marks=pytest.mark.xfail(strict=True, reason="money and user figures still pass"),
        ),
        "Combien OpenAI a-t-il payé pour racheter Pulse ?",
        "Who won the 2018 football World Cup?",
    ],
)
def test_a_figure_the_coverage_never_gives_is_declined(engine, question):
    answer = engine.ask(question)
    assert answer.abstained, answer
