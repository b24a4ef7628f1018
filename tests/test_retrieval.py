"""Hybrid retrieval over the seed index: dense, keyword and fused modes."""

from __future__ import annotations

from index.text import keyword_terms


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
