"""The real reader over the seed articles: the examples of issue 11, as a user would judge them.

Skipped, with the reason, where the reader is not built (it is trained by `revue model` from
PIAF in ../shared; `make install` runs it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CORPUS, _engine

INSTITUT = "institut-arts-numeriques-openai-code-rouge"
AFP = "afp-openai-alerte-rouge"
ON_HOLD = "mises en pause — publicité, agents IA spécialisés, assistant personnel Pulse"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder: Any, reader: Any) -> Iterator[Any]:
    engine = _engine(tmp_path_factory.mktemp("seed-reader"), embedder, reader)
    engine.index([CORPUS])
    yield engine
    engine.close()


@pytest.mark.parametrize(
    "question",
    ["Which projects did OpenAI put on hold?", "Quels projets OpenAI a-t-il mis en pause ?"],
)
def test_the_sentence_that_answers_is_quoted_first(engine, question):
    answer = engine.ask(question)
    assert not answer.abstained
    assert ON_HOLD in answer.citations[0].quote, answer
    # A sentence about something else ("OpenAI did not reply") is not an answer.
    assert not any("pas donné suite" in c.quote for c in answer.citations), answer


def test_an_english_question_over_one_plain_french_sentence_is_answered(engine):
    answer = engine.ask("When does OpenAI expect to turn a profit?")
    assert not answer.abstained
    assert any("rentable avant 2029" in c.quote for c in answer.citations), answer


@pytest.mark.parametrize(
    "question",
    [
        "How many employees does OpenAI have?",
        "Combien OpenAI a-t-il payé pour racheter Pulse ?",
        "Who won the 2018 football World Cup?",
    ],
)
def test_a_figure_the_coverage_never_gives_is_declined(engine, question):
    answer = engine.ask(question)
    assert answer.abstained, answer


def test_search_reordered_by_the_reader_puts_the_answer_first(engine):
    hits = engine.search("Which projects did OpenAI put on hold?", k=3)
    assert hits[0].article_id == INSTITUT and "Pulse" in hits[0].text
