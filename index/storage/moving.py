"""Moving an index from SQLite + FAISS to PostgreSQL (``revue migrate --to``), vectors included:
nothing is embedded again; then the state beside it (followed feeds, answers, votes, server
settings).

The copy is an indexing run whose embeddings come from the SQLite store: articles are staged
in batches, each committed, so an interrupted copy resumes where it stopped (what is staged
with the same content hash is not copied again), then one transaction makes the copy live.
Articles already in the database with the same content are left alone; articles the database
holds and the SQLite index does not are removed, so the database ends as a copy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from index.errors import IndexMissing, ModelMismatch
from index.records import Article
from index.storage.layout import db_path
from index.storage.postgres.connect import describe
from index.storage.postgres.state_copy import copy_state
from index.storage.postgres.writer import PostgresWriter
from index.storage.protocols import MoveReport, NewArticle, Staged
from index.storage.state import state_path
from index.storage.store import Store

BATCH = 200  # articles per staged transaction: what an interruption can cost
Progress = Callable[[int, int], None]  # (articles copied, articles to copy)


def copy_index(data_dir: Path, url: str, progress: Progress | None = None) -> MoveReport:
    """Copy the SQLite + FAISS index in ``data_dir`` into the database at ``url``."""
    started = time.perf_counter()
    path = db_path(data_dir)
    if not path.exists():
        raise IndexMissing(f"no index in {data_dir} to copy")
    source = Store(path, readonly=True)
    try:
        with source.snapshot(), PostgresWriter.open(url) as target:
            report = _copy(source, target, describe(url), progress, started)
    finally:
        source.close()
    state = copy_state(state_path(data_dir), url)
    return replace(report, state=state, seconds=time.perf_counter() - started)


def _copy(
    source: Store, target: PostgresWriter, where: str, progress: Progress | None, started: float
) -> MoveReport:
    model, dim = source.get_meta("model"), source.dim
    if model is None or not dim:
        raise IndexMissing("the SQLite index is empty: nothing to copy")
    if target.model() not in (None, model) and target.article_hashes():
        raise ModelMismatch(
            f"{where} holds an index embedded with {target.model()!r}, not {model!r}"
        )
    ours, theirs = source.article_hashes(), target.article_hashes()
    todo = sorted(a for a, h in ours.items() if theirs.get(a) != h)
    staged = target.staged_for(model, {a: ours[a] for a in todo})
    pending = [a for a in todo if a not in staged]
    for at in range(0, len(pending), BATCH):
        target.stage([_new_article(source, a) for a in pending[at : at + BATCH]])
        if progress:
            progress(len(staged) + min(at + BATCH, len(pending)), len(todo))
    articles = [_article(source, a) for a in todo]
    removed = tuple(sorted(set(theirs) - set(ours)))
    target.commit(
        Staged(
            added=tuple(a for a in articles if a.id not in theirs),
            changed=tuple(a for a in articles if a.id in theirs),
            removed=removed,
            signatures=source.signatures(),
            groups=dict(source.groups()),
        ),
        dim,
        {"model": model, "model_name": source.get_meta("model_name") or ""},
    )
    total_articles, total_chunks = target.counts()
    return MoveReport(
        where, total_articles, len(todo), len(staged), len(ours) - len(todo), len(removed),
        total_chunks, dim, time.perf_counter() - started,
    )  # fmt: skip


def _article(source: Store, article_id: str) -> Article:
    found = source.article(article_id)
    assert found is not None  # read in the same snapshot as the ids
    return found


def _new_article(source: Store, article_id: str) -> NewArticle:
    chunks, vectors = source.article_chunks(article_id)
    return NewArticle(_article(source, article_id), chunks, vectors)
