"""Hybrid retrieval over the seed index: dense, keyword and fused modes."""

from __future__ import annotations

import pytest

from index.text import keyword_terms
from tests.conftest import write

pytestmark = pytest.mark.backends


def test_keyword_terms_drop_function_words_and_fold_accents():
    assert keyword_terms("Pourquoi la publicité est-elle en pause ?") == ["publicite", "pause"]
    assert keyword_terms("Why did OpenAI pause advertising?") == ["openai", "pause", "advertising"]


def test_each_mode_finds_the_passage(seed_index):
    for mode in ("hybrid", "dense", "keyword"):
        hits = seed_index.search("Nick Turley responsable de ChatGPT", k=3, mode=mode)
        assert any("Nick Turley" in h.text for h in hits), mode


def test_cross_lingual_question_finds_the_french_passage(seed_engine):
    hits = seed_engine.search("How many people use ChatGPT every week?", k=3, mode="dense")
    assert any("chaque semaine" in h.text for h in hits)


def test_hits_are_verbatim_spans_best_first(seed_index):
    hits = seed_index.search("Gemini", k=10)
    assert hits == sorted(hits, key=lambda h: h.score, reverse=True)
    for h in hits:
        assert seed_index.article(h.article_id).text[h.start : h.end] == h.text


def test_candidates_bound_each_list_before_fusion(seed_index):
    question = "Nick Turley responsable de ChatGPT"
    retriever = seed_index.retriever()
    vec = seed_index.embedder.encode_queries([question])[0]
    best = retriever.search(question, vec, k=1, mode="dense")
    narrow = retriever.search(question, vec, k=10, mode="dense", candidates=2)
    assert len(narrow) == 2
    assert narrow[0].chunk_id == best[0].chunk_id
    # Hybrid with one candidate per list: at most the two lists' best chunks.
    assert 1 <= len(retriever.search(question, vec, k=10, candidates=1)) <= 2


QUOTED = (
    "Le conseil municipal de Nantes a voté mardi soir la construction d'un nouveau pont "
    "sur la Loire, qui doit ouvrir en 2031."
)
# Every word of the quote, in another order, twice: closer to the quote, word for word, than
# the article that wrote it (whose quote shares its chunk with other news).
SAME_STORY = (
    "Loire : pont voté ! Sur la Loire, un nouveau pont, qui doit ouvrir en 2031 : le conseil "
    "municipal de Nantes a voté mardi soir la construction. La construction d'un nouveau pont "
    "qui doit ouvrir en 2031 sur la Loire ? Voté mardi soir par le conseil municipal de Nantes."
)
OTHER_NEWS = (
    " Par ailleurs, la médiathèque fermera trois semaines cet été pour travaux de rénovation,"
    " et le marché de Noël retrouvera la place Royale dès la fin novembre, avec quarante"
    " chalets d'artisans et une patinoire installée devant la fontaine."
)


def test_a_pasted_quote_brings_back_the_article_that_wrote_it(make_engine, tmp_path):
    import json

    rows = [
        {"id": "ouest", "title": "En bref", "text": QUOTED + OTHER_NEWS},
        {"id": "resume", "title": "Le pont voté", "text": SAME_STORY},
        {"id": "autre", "title": "Météo", "text": "Il pleuvra mardi soir sur la Loire."},
    ]
    corpus = write(tmp_path / "news.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    engine = make_engine()
    engine.index([corpus])
    # Without the quote, the article on the same story that repeats its words ranks first.
    assert engine.search("conseil municipal Nantes pont Loire 2031", k=3)[0].article_id == "resume"
    for query in (QUOTED, f"Qui a écrit « {QUOTED} » ?", QUOTED[20:-10]):
        assert engine.search(query, k=3)[0].article_id == "ouest", query
    answer = engine.ask(f"Qui a écrit « {QUOTED} » ?")
    assert answer.citations[0].article_id == "ouest"
    assert "nouveau pont" in answer.citations[0].quote


def test_keyword_search_matches_other_forms_of_a_word_in_either_language(seed_index):
    # "rentabilité" and "rentable" share the French stem; "profitable" only the English one.
    hits = seed_index.search("rentabilité", k=3, mode="keyword")
    assert hits and "rentable" in hits[0].text
    assert not seed_index.retriever().store.phrase_search(["rentabilite"], 3)  # unstemmed: none


def test_stems_fold_accents_and_drop_function_words():
    from index.stemming import query_stems, stems

    assert stems("Les élections présidentielles", "fr") == ["elect", "presidentiel"]
    assert stems("The advertisements were paused", "en") == ["advertis", "paus"]
    assert "advertis" in query_stems("Why did OpenAI pause advertising?")
