"""Snowball stems for the BM25 side (PyStemmer, the only module that imports it).

Each chunk is indexed under the stems of its article's language (French by default: the corpus
is mostly French), so "rentabilité" finds "rentable" and "advertisements" finds "advertising"
(Snowball is no lemmatizer: "publicitaires" and "publicité" keep different stems).
A question is stemmed in both languages, since its language need not be the article's.
Stems are accent-folded after stemming (the French stemmer reads the accents).
"""

from __future__ import annotations

from functools import cache

import Stemmer

from index.text import STOPWORDS, WORD, fold

ALGORITHMS = {"fr": "french", "en": "english"}
DEFAULT_LANGUAGE = "fr"


@cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(ALGORITHMS.get(language, ALGORITHMS[DEFAULT_LANGUAGE]))


def _content_words(text: str) -> list[str]:
    return [
        w
        for w in WORD.findall(text.lower())
        if fold(w) not in STOPWORDS and (len(w) > 1 or w.isdigit())
    ]


def stems(text: str, language: str | None = None) -> list[str]:
    """The folded stems of the content words of ``text``, in order."""
    lang = (language or DEFAULT_LANGUAGE)[:2].lower()
    return [fold(s) for s in _stemmer(lang).stemWords(_content_words(text))]


def stemmed_text(text: str, language: str | None = None) -> str:
    """What the stemmed full-text index holds for a chunk."""
    return " ".join(stems(text, language))


def query_stems(question: str) -> list[str]:
    """The stems of a question's content words in French and in English, without duplicates."""
    out: dict[str, None] = {}
    for language in ALGORITHMS:
        for s in stems(question, language):
            out.setdefault(s, None)
    return list(out)
