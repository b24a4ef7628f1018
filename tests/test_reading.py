"""The reader's stage: it picks the quotes, decides a decline and reorders search results.

These run with stand-in readers (no model); ``test_reader.py`` runs the real one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.errors import ModelUnavailable
from index.model.reader_data import ENGLISH_QUESTIONS, english_questions, pairs, split
from index.records import Citation, Coverage
from index.search.candidates import AnswerConfig, Candidate
from index.search.citations import declined
from index.search.reading import select_read
from index.settings import Settings
from tests.conftest import CORPUS, write
from tests.fake_llm import FakeLLM, Reply

INSTITUT = "institut-arts-numeriques-openai-code-rouge"


class Believes:
    """A reader that believes only passages holding ``word``."""

    name = "test/believes"

    def __init__(self, word: str) -> None:
        self.word = word
        self.asked: list[tuple[str, int]] = []

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        self.asked.append((question, len(texts)))
        return np.array([0.9 if self.word in t else 0.1 for t in texts], dtype=np.float32)


def test_the_reader_decides_whether_the_same_question_is_answered(make_engine):
    question = "Quels projets OpenAI a-t-il mis en pause ?"
    believer = make_engine(reader=Believes("Pulse"))
    believer.index([CORPUS])
    answer = believer.ask(question)
    assert not answer.abstained
    assert believer.reader.asked[-1][0] == question  # it read the question's sentences
    doubter = make_engine(data_dir=believer.data_dir, reader=Believes("no passage says this"))
    declined = doubter.ask(question)
    assert declined.abstained and declined.citations == ()


def test_without_a_reader_the_cosine_still_answers(make_engine, tmp_path):
    from index.engine import Revue

    engine = make_engine()
    engine.index([CORPUS])
    bare = Revue(Settings(data_dir=engine.data_dir, reader="none"), engine.embedder)
    assert bare.reader is None
    answer = bare.ask("Combien d'utilisateurs mensuels revendique Gemini ?")
    assert any("650 millions" in c.quote for c in answer.citations)
    bare.close()


def test_search_is_reordered_by_the_reader_and_only_when_asked(make_engine):
    from index.engine import Revue

    reader = Believes("Pulse")
    indexed = make_engine()
    indexed.index([CORPUS])
    engine = Revue(Settings(data_dir=indexed.data_dir, rerank=20), indexed.embedder, reader)
    query = "OpenAI ChatGPT Altman"
    plain = engine.search(query, k=5, rerank=False)
    assert reader.asked == []
    reordered = engine.search(query, k=5)
    assert reader.asked and reader.asked[-1][0] == query
    assert "Pulse" in reordered[0].text
    assert {h.chunk_id for h in reordered} <= {h.chunk_id for h in engine.search(query, k=20)}
    assert [h.chunk_id for h in plain] != [h.chunk_id for h in reordered] or "Pulse" in plain[
        0
    ].text


def test_the_quotes_are_those_the_reader_believes_and_no_other_story(make_engine):
    engine = make_engine(reader=Believes("Pulse"))
    engine.index([CORPUS])
    answer = engine.ask("Quels projets OpenAI a-t-il mis en pause ?")
    assert not answer.abstained and answer.citations
    # The windows it does not believe (0.1 against 0.9) are not cited beside the one it does.
    assert all("Pulse" in c.quote for c in answer.citations)
    assert engine.reader.asked[-1][1] <= engine.answer_config.read_windows


def _llm_engine(indexed: Any, llm: FakeLLM, translate: str = "auto") -> Any:
    from index.engine import Revue

    settings = Settings(
        data_dir=indexed.data_dir,
        reader="llm",
        writer="endpoint",
        llm_url=llm.url,
        llm_retries=0,
        translate=translate,
    )
    return Revue(settings, indexed.embedder)


def test_the_language_model_reads_as_the_reader(make_engine):
    indexed = make_engine()
    indexed.index([CORPUS])
    question = "Quels projets OpenAI a-t-il mis en pause ?"

    def believes_pulse(request: Any) -> float:
        return 0.97 if request.user.startswith("Question:") and "Pulse" in request.user else 0.02

    with FakeLLM(entails=believes_pulse) as llm:
        engine = _llm_engine(indexed, llm)
        answer = engine.ask(question)
        engine.close()
    assert not answer.abstained and "Pulse" in answer.citations[0].quote
    assert 0 < len(llm.checks) <= engine.answer_config.read_windows
    assert all(r.user.startswith(f"Question: {question}\n") for r in llm.checks)
    with FakeLLM(entails=lambda request: 0.01) as llm:
        engine = _llm_engine(indexed, llm)
        declined = engine.ask(question)
        engine.close()
    assert declined.abstained and declined.citations == ()
    assert "J'ai cherché dans 2 articles" in declined.answer and declined.nearest is not None
    assert declined.nearest.quote[:40] in declined.answer


def test_an_english_question_is_searched_and_read_in_french(make_engine):
    indexed = make_engine()
    indexed.index([CORPUS])
    french = "Quels projets OpenAI a-t-il mis en pause ?"

    def believes_pulse(request: Any) -> float:
        return 0.97 if "Pulse" in request.user else 0.02

    with FakeLLM(Reply(french, stream=False), entails=believes_pulse) as llm:
        engine = _llm_engine(indexed, llm)
        answer = engine.ask("Which projects did OpenAI put on hold?")
        again = engine.ask("Which projects did OpenAI put on hold?")
        engine.close()
    # The hash encoder shares no word between the English question and the French text: only
    # the translation finds the passage.
    assert not answer.abstained and "Pulse" in answer.citations[0].quote
    assert answer.language == "en" and answer.answer.startswith("Here is")
    assert len(llm.writes) == 1 and again.citations == answer.citations  # translated once
    assert all(r.user.startswith(f"Question: {french}\n") for r in llm.checks)


def test_when_the_language_model_is_down_the_cosine_answers(make_engine, caplog):
    indexed = make_engine()
    indexed.index([CORPUS])
    with FakeLLM() as llm:
        engine = _llm_engine(indexed, llm)
    # The server is stopped: the reader fails, the question is still answered.
    answer = engine.ask("Combien d'utilisateurs mensuels revendique Gemini ?")
    engine.close()
    assert any("650 millions" in c.quote for c in answer.citations)
    assert "the reader failed, the cosine decides" in caplog.text


def test_a_decline_says_what_was_searched_and_what_came_nearest():
    long = "Le groupe a annoncé " + "de nouvelles mesures " * 30 + "hier."
    near = Citation(1, "a1", "Titre", "AFP", "2025-12-02", None, long, 0, len(long), 1.0)
    text = declined("fr", Coverage(3002, "2014-04-01", "2025-12-02"), near)
    assert text.startswith("Les articles dont je dispose ne le disent pas. J'ai cherché dans 3 002")
    assert "(2014-04 à 2025-12)" in text and "AFP · 2025-12-02 · Titre" in text
    assert "« Le groupe a annoncé de nouvelles" in text and " … »" in text and len(text) < 500
    english = declined("en", Coverage(2, None, None), None)
    assert (
        english
        == "The coverage I have doesn't say. I searched 2 articles and none answers this question."
    )


def _candidate(first: int, prob: float, article: str = "a") -> Candidate:
    return Candidate(article, first, first, first * 10, first * 10 + 9, prob, prob)


def test_runners_up_must_be_believed_and_close_to_the_best():
    config = AnswerConfig(read_threshold=0.5, read_margin=0.3, max_citations=3)
    scored = [_candidate(1, 0.95), _candidate(5, 0.7), _candidate(9, 0.6), _candidate(3, 0.4)]
    assert [c.first for c in select_read(scored, config)] == [1, 5]
    assert select_read([_candidate(1, 0.49)], config) == []


def _train_title(n: int) -> str:
    return next(t for i in range(n, 1000) if split(t := f"Article {i}") == "train")


def test_training_pairs_hold_the_answer_and_never_a_held_out_question(tmp_path: Path):
    train, held_out = (
        _train_title(0),
        next(f"A {i}" for i in range(99) if split(f"A {i}") == "eval"),
    )
    rows = []
    for title, n in ((train, 0), (_train_title(50), 1), (held_out, 2)):
        context = f"Le sujet {n} est connu. La réponse {n} est quarante-deux. Autre chose ici."
        rows.append(
            {
                "id": f"q{n}",
                "question": f"Quelle est la réponse {n} ?",
                "title": title,
                "context": context,
                "answers": [{"text": "quarante-deux", "answer_start": context.index("quar")}],
            }
        )
    write(tmp_path / "qa.jsonl", "\n".join(json.dumps(r) for r in rows))
    made = pairs(tmp_path)
    assert {p.question for p in made} == {"Quelle est la réponse 0 ?", "Quelle est la réponse 1 ?"}
    positives = [p for p in made if p.label == 1.0]
    assert positives and all("quarante-deux" in p.text for p in positives)
    assert all(p.text.startswith(("Article", "A ")) for p in made)  # "title — text"


def test_english_questions_must_come_from_the_training_split():
    first = json.loads(ENGLISH_QUESTIONS.read_text(encoding="utf-8").splitlines()[0])
    with pytest.raises(ModelUnavailable, match="held-out"):
        english_questions({first["id"]})


@pytest.mark.slow  # imports torch and transformers (4 s)
def test_without_training_data_revue_model_says_so_and_the_reader_is_off(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cli.main import cli
    from index.model.reader import open_reader

    missing = tmp_path / "no-piaf"
    monkeypatch.setenv("REVUE_READER_DATA", str(missing))
    result = CliRunner().invoke(cli, ["model", "--reader"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "the reader was not built" in result.stderr and str(missing) in result.stderr
    assert open_reader("default", missing) is None


def test_with_the_language_model_a_far_miss_is_declined_without_reading(make_engine):
    from index.search.citations import compose
    from index.search.decision import LLM_READING, Baseline, Judges

    engine = make_engine()
    engine.index([CORPUS])
    evidence = engine.evidence("Quels projets OpenAI a-t-il mis en pause ?")
    asked: list[int] = []

    def believes_all(question: str, texts: Sequence[str]) -> np.ndarray:
        asked.append(len(texts))
        return np.full(len(texts), 0.99, dtype=np.float32)

    def judges(baseline: Baseline) -> Judges:
        return Judges(engine.embedder.encode_passages, baseline, believes_all)

    # The same passages, close to the question (relevance far above 3.7): read, and answered.
    near = compose(evidence, judges(Baseline(mean=-1.0, std=0.01)), LLM_READING)
    assert not near.abstained and asked
    asked.clear()
    # Far from it (every passage below the cosine's 3.7): declined, the model never asked.
    far = compose(evidence, judges(Baseline(mean=1.0, std=1.0)), LLM_READING)
    assert far.abstained and far.nearest is not None and asked == []


def test_sentences_are_cached_safely_across_the_answer_workers():
    # The bot's workers share the sentence cache; the dict it replaced was cleared by one
    # worker while another read it (a KeyError waiting to happen past 2,048 articles).
    from concurrent.futures import ThreadPoolExecutor

    from index.records import Article
    from index.search.candidates import article_sentences

    def split(n: int) -> int:
        text = f"Première phrase numéro {n}. Deuxième phrase, plus longue, numéro {n}."
        spans = article_sentences(Article(id=f"a{n}", title="t", text=text))
        assert [text[s:e].split()[0] for s, e in spans] == ["Première", "Deuxième"]
        return len(spans)

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(split, range(6000))) == {2}
