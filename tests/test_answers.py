"""Answers from the real index of the seed corpus: the right article, verbatim quotes, declines."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.errors import InvalidQuestion
from index.search.language import question_entities

pytestmark = pytest.mark.backends

INSTITUT = "institut-arts-numeriques-openai-code-rouge"
AFP = "afp-openai-alerte-rouge"


def test_why_did_openai_pause_advertising_cites_the_institut_article(seed_engine):
    answer = seed_engine.ask("Why did OpenAI pause advertising?")
    assert not answer.abstained
    assert answer.language == "en" and answer.answer.startswith("Here is what")
    cited = {c.article_id for c in answer.citations}
    assert INSTITUT in cited
    quotes = " ".join(c.quote for c in answer.citations if c.article_id == INSTITUT)
    assert "mises en pause" in quotes or "concurrence s’intensifie" in quotes
    for c in answer.citations:
        assert f"[{c.n}]" in answer.answer


@pytest.mark.parametrize(
    ("question", "article", "words"),
    [
        ("Who is Nick Turley?", AFP, "Nick Turley, responsable de ChatGPT"),
        ("Quand OpenAI prévoit-il d'être rentable ?", AFP, "rentable avant 2029"),
        ("How many monthly users does Gemini claim?", AFP, "650 millions"),
    ],
)
def test_the_quote_holding_the_answer_comes_first_three(seed_engine, question, article, words):
    answer = seed_engine.ask(question)
    assert any(c.article_id == article and words in c.quote for c in answer.citations[:3]), answer


def test_french_question_gets_french_framing(seed_engine):
    answer = seed_engine.ask("Combien d'internautes utilisent ChatGPT chaque semaine ?")
    assert answer.language == "fr" and answer.answer.startswith("Voici ce qu")


@pytest.mark.parametrize(
    "question",
    [
        "What does a ChatGPT Plus subscription cost?",
        "Who won the 2018 football World Cup?",
        "Quel temps fera-t-il demain à Lyon ?",
    ],
)
def test_questions_the_coverage_does_not_answer_are_declined(seed_engine, question):
    answer = seed_engine.ask(question)
    assert answer.abstained and answer.citations == ()
    assert answer.answer.startswith(
        ("The coverage I have doesn't say.", "Les articles dont je dispose ne le disent pas.")
    )
    # It says what was searched: the two seed articles (they give no date).
    assert answer.coverage.articles == 2
    assert "2 articles" in answer.answer
    if "ChatGPT Plus" in question:  # declined for a name no article mentions: it says which
        assert answer.answer.endswith("None of the passages found mentions “ChatGPT Plus”.")
    if answer.nearest is not None:  # the passage that came nearest, verbatim, not cited
        article = seed_engine.article(answer.nearest.article_id)
        assert article.text[answer.nearest.start : answer.nearest.end] == answer.nearest.quote


def test_entities_of_a_question():
    assert question_entities("What does a ChatGPT Plus subscription cost?") == ["ChatGPT Plus"]
    assert question_entities("What improvements did Altman's memo ask for?") == ["Altman"]
    assert question_entities("Why did OpenAI pause advertising?") == ["OpenAI"]
    assert question_entities("pourquoi la pause ?") == []


WORDS = [
    "OpenAI",
    "ChatGPT",
    "Google",
    "Gemini",
    "publicité",
    "utilisateurs",
    "rentable",
    "Sam Altman",
    "concurrence",
    "milliards",
    "pause",
    "qualité",
    "2029",
    "advertising",
    "users",
    "why",
    "how many",
    "quand",
    "combien",
    "Nick Turley",
    "Anthropic",
    "Pulse",
]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6), st.sampled_from(["?", " ?", ""]))
def test_every_quote_is_verbatim_for_any_question(seed_index, words, end):
    question = " ".join(words) + end
    answer = seed_index.ask(question)
    assert answer.abstained == (not answer.citations)
    for n, c in enumerate(answer.citations, 1):
        article = seed_index.article(c.article_id)
        assert c.n == n
        assert article.text[c.start : c.end] == c.quote
        assert c.quote.strip() == c.quote and c.quote


def test_each_quote_is_printed_once_in_the_terminal_in_json_and_in_discord(seed_index):
    from bot.render import render_answer as discord_reply
    from cli.output import answer_json
    from cli.output import render_answer as terminal_text

    answer = seed_index.ask("Why did OpenAI pause advertising?")
    assert answer.citations
    text = terminal_text(answer)
    as_json = json.dumps(answer_json(answer), ensure_ascii=False)
    reply = discord_reply(answer)
    discord_text = reply.content + json.dumps(
        [e.to_dict() for e in reply.embeds], ensure_ascii=False
    )
    for c in answer.citations:
        assert f"[{c.n}]" in answer.answer and c.quote not in answer.answer
        assert text.count(c.quote) == 1
        assert as_json.count(json.dumps(c.quote, ensure_ascii=False)[1:-1]) == 1
        head = " ".join(c.quote.split())[:60]
        assert discord_text.count(head) == 1 and head not in reply.content


def test_punctuation_ends_a_name():
    assert question_entities("Qui vend rue de Bièvre (Ve arrondissement) ?") == ["Bièvre", "Ve"]
    assert question_entities("Le chef de cabinet à la Métropole, Jean-Marie Girier ?") == [
        "Métropole",
        "Jean-Marie Girier",
    ]


@pytest.mark.parametrize("question", ["", "   ", "\u200b\u200b", "\x00", "\u2028\u00a0", "\u202e"])
def test_a_question_of_invisible_characters_is_empty(seed_index, question):
    with pytest.raises(InvalidQuestion, match="the question is empty"):
        seed_index.ask(question)
