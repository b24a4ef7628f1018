"""Chunk and embed articles in batches, committing each batch to the store's staging table."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from index.indexing.chunking import Chunker
from index.model.encoder import PassageEncoder
from index.records import Article, Chunk, Stage
from index.storage.protocols import IndexWriter, NewArticle

STAGE_CHUNKS = 1024  # chunks embedded between two commits of the staging table

Tell = Callable[[Stage, int, int], None]


def chunk_all(
    encoder: PassageEncoder, articles: Sequence[Article], tell: Tell
) -> list[list[Chunk]]:
    """Each article's chunks, within the model's sequence limit (32 tokens spare)."""
    chunker = Chunker(
        max_tokens=min(encoder.max_tokens, 512) - 32, count_tokens=encoder.count_tokens
    )
    out = []
    for n, article in enumerate(articles, 1):
        out.append(chunker.chunk(article))
        if n % 50 == 0 or n == len(articles):
            tell("chunk", n, len(articles))
    return out


def embed_and_stage(
    store: IndexWriter, encoder: PassageEncoder, articles: Sequence[Article], tell: Tell
) -> int:
    """Chunk and embed ``articles``, committing each batch to staging; the chunks embedded."""
    per_article = chunk_all(encoder, articles, tell)
    total = sum(len(c) for c in per_article)
    tell("embed", 0, total)
    done = 0

    def flush(batch: list[tuple[Article, list[Chunk]]]) -> int:
        def step(n: int) -> None:
            tell("embed", done + n, total)

        return _embed_batch(store, encoder, batch, step)

    batch: list[tuple[Article, list[Chunk]]] = []
    size = 0
    for article, chunks in zip(articles, per_article, strict=True):
        batch.append((article, chunks))
        size += len(chunks)
        if size >= STAGE_CHUNKS:
            done += flush(batch)
            batch, size = [], 0
    if batch:
        done += flush(batch)
    return total


def _embed_batch(
    store: IndexWriter,
    encoder: PassageEncoder,
    batch: list[tuple[Article, list[Chunk]]],
    step: Callable[[int], None],
) -> int:
    """Embed one batch and stage it (one transaction); ``step`` is told the running count."""
    flat = [c.text for _, chunks in batch for c in chunks]
    vectors = encoder.encode_passages(flat, progress=_accumulate(step))
    items, pos = [], 0
    for article, chunks in batch:
        items.append(NewArticle(article, tuple(chunks), vectors[pos : pos + len(chunks)]))
        pos += len(chunks)
    store.stage(items)
    return len(flat)


def _accumulate(report: Callable[[int], None]) -> Callable[[int], None]:
    """Turn per-batch increments into a running count."""
    seen = 0

    def step(n: int) -> None:
        nonlocal seen
        seen += n
        report(seen)

    return step
