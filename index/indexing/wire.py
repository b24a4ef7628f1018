"""Wire copies: one agency dispatch republished by several outlets.

Each article gets a MinHash signature of its word shingles (datasketch, the only module that
imports it); locality-sensitive hashing finds pairs whose estimated Jaccard similarity is at
least ``THRESHOLD``, and connected pairs form a group. A group is named after its first
publication (earliest date, then smallest id); an article with no copy has no group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

from index.records import Article, publication_key
from index.text import words as text_words

NUM_PERM = 128
SCHEME = "affine32"  # stored as 128 uint32 values (512 bytes per article)
SHINGLE_WORDS = 5
# Measured on news_fr/articles_all (bench/wire.py): copies of one dispatch that differ by a
# byline, a photo credit or a trimmed last paragraph score 0.6-1.0; distinct articles on the
# same event stay under 0.3.
THRESHOLD = 0.6
MIN_WORDS = 40  # shorter texts (briefs, captions) share too little to tell a copy from a topic


def _datasketch() -> Any:
    """datasketch, imported on first use: it pulls in scipy (0.6 s), which only indexing needs."""
    import datasketch

    return datasketch


def signature(text: str) -> bytes:
    """The MinHash signature of ``text`` as bytes; empty when it is too short to compare."""
    words = text_words(text)
    if len(words) < MIN_WORDS:
        return b""
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(len(words) - 4)}
    m = _datasketch().MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    m.update_batch(list(shingles))
    return np.asarray(m.hashvalues, dtype=np.uint32).tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures' shingle sets."""
    return float(np.mean(np.frombuffer(a, np.uint32) == np.frombuffer(b, np.uint32)))


def group(signatures: Mapping[str, bytes], order: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Article id -> group name for every article that has at least one copy.

    ``order`` gives each article's sort key (date, id): the earliest names the group.
    """
    datasketch = _datasketch()
    lsh = datasketch.MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    hashes: dict[str, MinHash] = {}
    signatures = {a: s for a, s in signatures.items() if s}
    for article_id, sig in signatures.items():
        m = datasketch.MinHash(
            num_perm=NUM_PERM, hashvalues=np.frombuffer(sig, np.uint32), scheme=SCHEME
        )
        hashes[article_id] = m
        lsh.insert(article_id, m, check_duplication=False)
    parent = {a: a for a in signatures}

    def root(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for article_id, m in hashes.items():
        for other in lsh.query(m):
            if other != article_id and similarity(signatures[article_id], signatures[other]) >= (
                THRESHOLD
            ):
                ra, rb = root(article_id), root(other)
                if ra != rb:
                    parent[max(ra, rb, key=order.__getitem__)] = min(ra, rb, key=order.__getitem__)
    members: dict[str, list[str]] = {}
    for a in signatures:
        members.setdefault(root(a), []).append(a)
    out = {}
    for ids in members.values():
        if len(ids) > 1:
            name = min(ids, key=order.__getitem__)
            for a in ids:
                out[a] = name
    return out


def sort_key(article: Article) -> tuple[str, str]:
    """Earliest first; undated articles after dated ones."""
    return publication_key(article.date, article.id)


def signatures_for(articles: Iterable[Article]) -> dict[str, bytes]:
    """Article id -> signature (empty for texts too short to compare)."""
    return {a.id: signature(a.text) for a in articles}
