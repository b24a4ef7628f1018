"""Chunks are verbatim, sentence-aligned, overlapping spans within the model's limit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.indexing.chunking import Chunker
from index.ingest.corpus import load_corpus
from index.records import Article
from index.sentences import sentences
from tests.conftest import CORPUS


def test_sentences_split_french_news_and_keep_abbreviations():
    text = "M. Dupont est arrivé à 10 h. Il a parlé.\nLe patron d’OpenAI a dit : « Non. » Fin."
    got = [text[s.start : s.end] for s in sentences(text)]
    assert got[0].startswith("M. Dupont")  # "M." does not end a sentence
    assert "Il a parlé." in got
    assert all(g == g.strip() and g for g in got)
    assert not any("\n" in g for g in got)  # a line break ends a sentence


def test_chunks_of_the_seed_corpus_are_verbatim_and_cover_every_sentence(embedder):
    chunker = Chunker(count_tokens=embedder.count_tokens, max_tokens=480)
    for article in load_corpus([CORPUS]).articles:
        chunks = chunker.chunk(article)
        assert chunks, article.id
        for c in chunks:
            assert c.text == article.text[c.start : c.end]
            assert embedder.count_tokens(c.text) <= 480
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        for s in sentences(article.text):
            assert s.start in covered and s.end - 1 in covered


def test_consecutive_chunks_overlap_by_a_sentence():
    text = " ".join(
        f"Phrase numéro {i} avec assez de mots pour compter vraiment." for i in range(40)
    )
    chunks = Chunker(target_chars=300).chunk(Article(id="a", text=text))
    assert len(chunks) > 3
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start < a.end  # overlap
        assert b.start > a.start  # progress


def test_token_limit_splits_what_characters_do_not(embedder):
    # CJK text: few characters, many tokens. The tokenizer guard must split it.
    text = "数据科学与人工智能的发展非常迅速。" * 60
    chunker = Chunker(
        target_chars=5000, max_chars=5000, count_tokens=embedder.count_tokens, max_tokens=120
    )
    chunks = chunker.chunk(Article(id="zh", text=text))
    assert len(chunks) > 1
    assert all(embedder.count_tokens(c.text) <= 120 for c in chunks)
    assert all(c.text == text[c.start : c.end] for c in chunks)


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("abcdé’ .?!\n«»M")), min_size=0, max_size=600),
    st.integers(min_value=40, max_value=400),
)
def test_any_text_gives_verbatim_non_empty_chunks(text, target):
    for c in Chunker(target_chars=target, max_chars=target * 2).chunk(Article(id="x", text=text)):
        assert c.text == text[c.start : c.end]
        assert c.text.strip() == c.text and c.text
