"""Incremental indexing: corpus -> chunks -> embeddings -> SQLite + FAISS.

An article is re-embedded only when its content hash changed; a change of embedding model
rebuilds everything. SQLite is written in one transaction and holds every vector; the FAISS file
for the new generation is derived from it afterwards, so a reader always sees a complete index.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

from index.chunking import Chunker
from index.errors import IndexBusy
from index.records import Article, Chunk, CorpusLoad, IndexSummary
from index.store import NewArticle, Store
from index.vectors import VectorIndex

Progress = Callable[[str, int, int], None]  # (stage, done, total)

DB_NAME = "revue.db"


class PassageEncoder(Protocol):
    @property
    def fingerprint(self) -> str: ...

    name: str
    dim: int
    max_tokens: int

    def count_tokens(self, text: str) -> int: ...

    def encode_passages(
        self, texts: list[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray: ...


def vectors_path(data_dir: Path, generation: int) -> Path:
    return data_dir / f"vectors-{generation}.faiss"


@contextmanager
def writer_lock(data_dir: Path) -> Iterator[None]:
    """One writer at a time; the OS releases the lock when its process dies."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / "index.lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexBusy(
                "another `revue index` is already running on this data directory"
            ) from exc
        yield
    finally:
        os.close(fd)


def write_vectors(store: Store, data_dir: Path, generation: int) -> VectorIndex:
    """Build the FAISS file of ``generation`` from the vectors in SQLite, and drop older ones."""
    vi = VectorIndex.build(store.dim, store.iter_vectors())
    vi.save(vectors_path(data_dir, generation))
    for old in data_dir.glob("vectors-*.faiss"):
        if old.name != vectors_path(data_dir, generation).name:
            old.unlink(missing_ok=True)
    return vi


def run_index(
    data_dir: Path,
    corpus: CorpusLoad,
    encoder: PassageEncoder,
    progress: Progress | None = None,
) -> IndexSummary:
    started = time.perf_counter()
    with writer_lock(data_dir):
        store = Store(data_dir / DB_NAME)
        try:
            return _run(store, data_dir, corpus, encoder, progress, started)
        finally:
            store.close()


def _run(
    store: Store,
    data_dir: Path,
    corpus: CorpusLoad,
    encoder: PassageEncoder,
    progress: Progress | None,
    started: float,
) -> IndexSummary:
    rebuilt = False
    previous = store.get_meta("model")
    if previous is not None and previous != encoder.fingerprint and store.counts()[0]:
        store.clear()
        rebuilt = True
    stored = store.article_hashes()
    wanted = {a.id: a for a in corpus.articles}
    added = [a for a in corpus.articles if a.id not in stored]
    changed = [a for a in corpus.articles if a.id in stored and stored[a.id] != a.content_hash]
    removed = sorted(set(stored) - set(wanted))
    unchanged = len(corpus.articles) - len(added) - len(changed)
    generation = int(store.get_meta("generation") or 0)

    todo = added + changed
    chunk_count = 0
    if todo or removed or rebuilt or previous is None:
        chunker = Chunker(
            max_tokens=min(encoder.max_tokens, 512) - 32, count_tokens=encoder.count_tokens
        )
        per_article = _chunk_all(chunker, todo, progress)
        flat = [c for chunks in per_article for c in chunks]
        chunk_count = len(flat)
        vectors = _embed(encoder, flat, progress)
        new, pos = [], 0
        for article, chunks in zip(todo, per_article, strict=True):
            new.append(NewArticle(article, tuple(chunks), vectors[pos : pos + len(chunks)]))
            pos += len(chunks)
        generation += 1
        if progress:
            progress("write", 0, 1)
        store.apply(
            new,
            removed,
            {
                "model": encoder.fingerprint,
                "model_name": encoder.name,
                "dim": str(encoder.dim),
                "generation": str(generation),
            },
        )
        write_vectors(store, data_dir, generation)
        if progress:
            progress("write", 1, 1)
    elif not vectors_path(data_dir, generation).exists():
        write_vectors(store, data_dir, generation)

    articles_total, chunks_total = store.counts()
    return IndexSummary(
        added=len(added),
        changed=len(changed),
        removed=len(removed),
        unchanged=unchanged,
        chunks_embedded=chunk_count,
        articles_total=articles_total,
        chunks_total=chunks_total,
        seconds=time.perf_counter() - started,
        rebuilt=rebuilt,
        problems=corpus.problems,
    )


def _chunk_all(
    chunker: Chunker, articles: list[Article], progress: Progress | None
) -> list[list[Chunk]]:
    out = []
    for n, article in enumerate(articles, 1):
        out.append(chunker.chunk(article))
        if progress and (n % 50 == 0 or n == len(articles)):
            progress("chunk", n, len(articles))
    return out


def _embed(encoder: PassageEncoder, chunks: list[Chunk], progress: Progress | None) -> np.ndarray:
    total, done = len(chunks), 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("embed", done, total)

    if progress:
        progress("embed", 0, total)
    return encoder.encode_passages([c.text for c in chunks], progress=step)
