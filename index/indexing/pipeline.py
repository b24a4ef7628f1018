"""Incremental, crash-safe indexing: corpus -> chunks -> embeddings -> the index's writer.

An article is re-embedded only when its content hash changed; a change of embedding model
rebuilds everything. Work is staged and then swapped in with one transaction, so ``kill -9`` at
any moment leaves the last complete index in place, and the next run reuses what was staged.

1. ``plan``: compare the corpus with the store (added, changed, removed, unchanged).
2. ``embed_and_stage``: chunks of new and changed articles are embedded in batches, each batch
   committed to ``staged_chunks``: a run killed here loses at most one batch of work, and the
   live index is untouched.
3. ``group_copies``: wire signatures for the new articles, and the groups of the whole corpus.
4. ``swap_in``: the writer commits the staged work in one step (SQLite + FAISS: the next
   generation's FAISS file beside the live one, then one transaction; PostgreSQL: one
   transaction), so readers see the old index or the new one, never a mix.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from index.indexing import wire
from index.indexing.embedding import embed_and_stage
from index.model.encoder import PassageEncoder
from index.records import Article, CorpusLoad, IndexSummary, Stage
from index.storage.protocols import IndexWriter, Staged

Progress = Callable[[Stage, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Job:
    """Where and how one run indexes: the index's writer, the model, whom to tell progress."""

    writer: IndexWriter
    encoder: PassageEncoder
    progress: Progress | None = None

    def tell(self, stage: Stage, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)


@dataclass(frozen=True)
class Plan:
    """The difference between the corpus and the store: what this run has to do."""

    corpus: CorpusLoad
    added: tuple[Article, ...]
    changed: tuple[Article, ...]
    removed: tuple[str, ...]
    unsigned: tuple[Article, ...]  # indexed before wire grouping existed: signed now
    rebuilt: bool  # a new model: every article is redone
    first_run: bool
    pruned: bool = True  # articles the corpus lacks are removed (a poll only adds)

    @property
    def todo(self) -> tuple[Article, ...]:
        return self.added + self.changed

    @property
    def unchanged(self) -> int:
        return len(self.corpus.articles) - len(self.todo)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.todo or self.removed or self.rebuilt or self.unsigned or self.first_run)


def run_index(
    writer: IndexWriter,
    corpus: CorpusLoad,
    encoder: PassageEncoder,
    progress: Progress | None = None,
    prune: bool = True,
) -> IndexSummary:
    """Bring the index ``writer`` writes in line with ``corpus``; without ``prune``, add and
    update only, removing nothing the corpus lacks."""
    started = time.perf_counter()
    job = Job(writer, encoder, progress)
    the_plan = plan(writer, corpus, encoder.fingerprint, prune)
    embedded = execute(job, the_plan)
    return summary(writer, the_plan, embedded, time.perf_counter() - started)


def plan(store: IndexWriter, corpus: CorpusLoad, fingerprint: str, prune: bool = True) -> Plan:
    previous = store.model()
    stored = store.article_hashes()
    # A new model makes every stored vector stale: every article is redone, and the old index
    # keeps answering until the new one is complete.
    rebuilt = previous is not None and previous != fingerprint and bool(stored)
    added = [a for a in corpus.articles if a.id not in stored]
    changed = [
        a for a in corpus.articles if a.id in stored and (rebuilt or stored[a.id] != a.content_hash)
    ]
    # Articles neither signed nor about to be (one set, built once: corpora run to 36k articles).
    signed_or_todo = store.signed_ids() | {a.id for a in added + changed}
    return Plan(
        corpus=corpus,
        added=tuple(added),
        changed=tuple(changed),
        removed=tuple(sorted(set(stored) - {a.id for a in corpus.articles})) if prune else (),
        unsigned=tuple(a for a in corpus.articles if a.id not in signed_or_todo),
        rebuilt=rebuilt,
        first_run=previous is None,
        pruned=prune,
    )


def execute(job: Job, plan: Plan) -> int:
    """Carry out ``plan``; the number of chunks embedded."""
    writer = job.writer
    if plan.nothing_to_do:
        writer.refresh()
        return 0
    staged = writer.staged_for(job.encoder.fingerprint, {a.id: a.content_hash for a in plan.todo})
    pending = [a for a in plan.todo if a.id not in staged]
    embedded = embed_and_stage(writer, job.encoder, pending, job.tell)
    job.tell("write", 0, 3)
    signatures, groups = group_copies(writer, plan)
    job.tell("write", 1, 3)
    swap_in(job, plan, signatures, groups)
    return embedded


def group_copies(store: IndexWriter, plan: Plan) -> tuple[dict[str, bytes], dict[str, str | None]]:
    """New signatures, and the wire group (or None) of every article of the corpus."""
    wanted = {a.id for a in plan.corpus.articles}
    if not plan.pruned:  # the articles kept beside this corpus are grouped with it too
        wanted |= set(store.article_hashes())
    signatures = wire.signatures_for([*plan.todo, *plan.unsigned])
    everyone = {a: s for a, s in store.signatures().items() if a in wanted}
    everyone.update(signatures)
    order = {k: v for k, v in store.publication_order().items() if k in wanted}
    order.update({a.id: wire.sort_key(a) for a in plan.todo})
    grouped = wire.group(everyone, order)
    return signatures, {a: grouped.get(a) for a in wanted}


def swap_in(
    job: Job, plan: Plan, signatures: dict[str, bytes], groups: dict[str, str | None]
) -> None:
    """Commit the staged work as the next generation (its vectors written first)."""
    encoder = job.encoder
    job.tell("write", 2, 3)
    staged = Staged(plan.added, plan.changed, plan.removed, signatures, groups)
    job.writer.commit(
        staged, encoder.dim, {"model": encoder.fingerprint, "model_name": encoder.name}
    )
    job.tell("write", 3, 3)


def summary(store: IndexWriter, plan: Plan, embedded: int, seconds: float) -> IndexSummary:
    articles_total, chunks_total = store.counts()
    return IndexSummary(
        added=len(plan.added),
        changed=len(plan.changed),
        removed=len(plan.removed),
        unchanged=plan.unchanged,
        chunks_embedded=embedded,
        articles_total=articles_total,
        chunks_total=chunks_total,
        seconds=seconds,
        rebuilt=plan.rebuilt,
        problems=plan.corpus.problems,
        wire_groups=store.group_count(),
    )
