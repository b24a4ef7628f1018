"""Incremental, crash-safe indexing: corpus -> chunks -> embeddings -> SQLite + FAISS.

An article is re-embedded only when its content hash changed; a change of embedding model
rebuilds everything. Work is staged and then swapped in with one transaction, so ``kill -9`` at
any moment leaves the last complete index in place, and the next run reuses what was staged.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

from index import wire
from index.chunking import Chunker
from index.errors import IndexBusy
from index.records import Article, Chunk, CorpusLoad, IndexSummary
from index.store import NewArticle, Store
from index.vectors import EXACT_UP_TO, VectorIndex, kind_for

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


def write_vectors(
    store: Store, data_dir: Path, generation: int, exact_up_to: int = EXACT_UP_TO
) -> VectorIndex:
    """Build the FAISS file of ``generation`` from the vectors in SQLite."""
    vi = VectorIndex.build(store.dim, store.iter_vectors(), exact_up_to)
    vi.save(vectors_path(data_dir, generation))
    return vi


def drop_old_vectors(data_dir: Path, generation: int) -> None:
    """Delete FAISS files older than the previous generation (a reader may still be opening
    that one) and those of runs that died before committing."""
    for path in data_dir.glob("vectors-*.faiss"):
        try:
            g = int(path.stem.split("-", 1)[1])
        except ValueError:
            continue
        if g < generation - 1 or g > generation:
            path.unlink(missing_ok=True)
    for tmp in data_dir.glob("vectors-*.faiss.tmp"):
        tmp.unlink(missing_ok=True)


def run_index(
    data_dir: Path,
    corpus: CorpusLoad,
    encoder: PassageEncoder,
    progress: Progress | None = None,
    exact_up_to: int = EXACT_UP_TO,
) -> IndexSummary:
    started = time.perf_counter()
    with writer_lock(data_dir):
        store = Store(data_dir / DB_NAME)
        try:
            return _run(store, data_dir, corpus, encoder, progress, started, exact_up_to)
        finally:
            store.close()


def _run(
    store: Store,
    data_dir: Path,
    corpus: CorpusLoad,
    encoder: PassageEncoder,
    progress: Progress | None,
    started: float,
    exact_up_to: int,
) -> IndexSummary:
    """Stage, then swap in.

    1. Chunks of new and changed articles are embedded in batches, each batch committed to
       ``staged_chunks``: a run killed here loses at most one batch of work, and the live index
       is untouched.
    2. The FAISS file of the next generation is written beside the current one.
    3. One SQLite transaction swaps the staged chunks in and bumps the generation; readers
       switch to the new FAISS file when they see it.
    """
    previous = store.get_meta("model")
    if store.get_meta("staged_model") not in (None, encoder.fingerprint):
        store.drop_staged()
    stored = store.article_hashes()
    # A new model makes every stored vector stale: every article is redone, and the old index
    # keeps answering until the new one is complete.
    rebuilt = previous is not None and previous != encoder.fingerprint and bool(stored)
    wanted = {a.id: a for a in corpus.articles}
    added = [a for a in corpus.articles if a.id not in stored]
    changed = [
        a for a in corpus.articles if a.id in stored and (rebuilt or stored[a.id] != a.content_hash)
    ]
    removed = sorted(set(stored) - set(wanted))
    unchanged = len(corpus.articles) - len(added) - len(changed)
    generation = int(store.get_meta("generation") or 0)
    todo = added + changed

    # Articles indexed before wire grouping existed get their signature now.
    signed = store.signed_ids()
    todo_ids = {a.id for a in todo}
    unsigned = [a for a in corpus.articles if a.id not in signed and a.id not in todo_ids]
    if not (todo or removed or rebuilt or unsigned or previous is None):
        kind = store.get_meta("vector_kind") or "exact"
        wanted_kind = kind_for(store.counts()[1], exact_up_to)
        if not vectors_path(data_dir, generation).exists() or kind != wanted_kind:
            vi = write_vectors(store, data_dir, generation, exact_up_to)
            store.set_meta({"vector_kind": vi.kind})
        return _summary(store, corpus, added, changed, removed, unchanged, 0, started, rebuilt)

    store.drop_staged(keep={a.id: a.content_hash for a in todo})
    store.set_meta({"staged_model": encoder.fingerprint})
    staged = store.staged_hashes()
    pending = [a for a in todo if a.id not in staged]
    embedded = _stage(store, encoder, pending, progress)

    if progress:
        progress("write", 0, 3)
    signatures = wire.signatures_for([*todo, *unsigned])
    all_signatures = {
        a: s for a, s in store.signatures().items() if a in wanted and a not in signatures
    }
    all_signatures.update(signatures)
    order = {k: v for k, v in store.publication_order().items() if k in wanted}
    order.update({a.id: wire.sort_key(a) for a in todo})
    grouped = wire.group(all_signatures, order)
    groups: dict[str, str | None] = {a: grouped.get(a) for a in wanted}
    if progress:
        progress("write", 1, 3)

    first_id = store.chunk_id_high() + 1
    new_total = store.staged_count()
    dropped = {a.id for a in changed} | set(removed)
    vi = VectorIndex.build(
        encoder.dim,
        itertools.chain(store.iter_vectors(exclude=dropped), store.iter_staged(first_id)),
        exact_up_to,
    )
    vi.save(vectors_path(data_dir, generation + 1))
    if progress:
        progress("write", 2, 3)
    store.commit(
        todo,
        signatures,
        removed,
        groups,
        first_id,
        {
            "model": encoder.fingerprint,
            "model_name": encoder.name,
            "dim": str(encoder.dim),
            "generation": str(generation + 1),
            "chunk_id_high": str(first_id + new_total - 1),
            "chunk_count": str(vi.size),
            "vector_kind": vi.kind,
        },
    )
    drop_old_vectors(data_dir, generation + 1)
    if progress:
        progress("write", 3, 3)
    return _summary(
        store,
        corpus,
        added,
        changed,
        removed,
        unchanged,
        embedded,
        started,
        rebuilt,
    )


def _summary(
    store: Store,
    corpus: CorpusLoad,
    added: list[Article],
    changed: list[Article],
    removed: list[str],
    unchanged: int,
    embedded: int,
    started: float,
    rebuilt: bool,
) -> IndexSummary:
    articles_total, chunks_total = store.counts()
    return IndexSummary(
        added=len(added),
        changed=len(changed),
        removed=len(removed),
        unchanged=unchanged,
        chunks_embedded=embedded,
        articles_total=articles_total,
        chunks_total=chunks_total,
        seconds=time.perf_counter() - started,
        rebuilt=rebuilt,
        problems=corpus.problems,
        wire_groups=store.group_count(),
    )


STAGE_CHUNKS = 1024  # chunks embedded between two commits of the staging table


def _stage(
    store: Store, encoder: PassageEncoder, articles: list[Article], progress: Progress | None
) -> int:
    """Chunk and embed ``articles``, committing each batch to the staging table."""
    chunker = Chunker(
        max_tokens=min(encoder.max_tokens, 512) - 32, count_tokens=encoder.count_tokens
    )
    per_article = []
    for n, article in enumerate(articles, 1):
        per_article.append(chunker.chunk(article))
        if progress and (n % 50 == 0 or n == len(articles)):
            progress("chunk", n, len(articles))
    total = sum(len(c) for c in per_article)
    done = 0
    if progress:
        progress("embed", 0, total)
    batch: list[tuple[Article, list[Chunk]]] = []

    def flush() -> None:
        nonlocal done
        flat = [c.text for _, chunks in batch for c in chunks]

        def step(n: int) -> None:
            if progress:
                progress("embed", done + n, total)

        vectors = encoder.encode_passages(flat, progress=_accumulate(step))
        items, pos = [], 0
        for article, chunks in batch:
            items.append(NewArticle(article, tuple(chunks), vectors[pos : pos + len(chunks)]))
            pos += len(chunks)
        store.stage(items)
        done += len(flat)
        batch.clear()

    size = 0
    for article, chunks in zip(articles, per_article, strict=True):
        batch.append((article, chunks))
        size += len(chunks)
        if size >= STAGE_CHUNKS:
            flush()
            size = 0
    if batch:
        flush()
    return total


def _accumulate(report: Callable[[int], None]) -> Callable[[int], None]:
    """Turn per-batch increments into a running count."""
    seen = 0

    def step(n: int) -> None:
        nonlocal seen
        seen += n
        report(seen)

    return step
