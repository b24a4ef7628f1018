"""The embedded index, for readers and for the indexing run: one data directory holding the
SQLite database (articles, chunks, the keyword side, wire groups) and one FAISS file per
committed generation.

Readers get a ``Snapshot`` (the store and the vectors of one generation) from ``LocalIndex``;
an indexing run plans and stages in ``LocalWriter.store`` and hands what it staged to
``LocalWriter.commit``. Neither sees file names, generations or the writer's lock: they were the
engine's and the pipeline's business before, which tied both to this backend (issue 23).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from index.errors import IndexBusy, IndexDamaged, IndexMissing
from index.storage.layout import db_path, drop_old_vectors, vectors_path, writer_lock
from index.storage.protocols import NewArticle, Snapshot, Staged
from index.storage.staging import NextGeneration
from index.storage.store import Store
from index.storage.vectors import VectorIndex, kind_for

log = logging.getLogger("revue")

# A commit grows the previous generation's FAISS file until tombstones (the vectors of deleted
# or changed chunks, filtered at search time) pass this share of it; then it rebuilds. A fifth
# tombstoned made a search 9 % slower exact at 60k vectors and 37 % with HNSW at 120k (1.43 ->
# 1.96 ms), while growing instead of rebuilding 300k HNSW vectors took 2.5 s, not 337 s.
COMPACT_AT = 0.2


class LocalIndex:
    """Opens the index in ``data_dir`` for reading, follows the generations other processes
    commit, and rebuilds a missing or damaged FAISS file from the vectors kept in SQLite.

    Each thread reads through a SQLite connection of its own (WAL lets readers run side by
    side), so two questions' retrievals run at once on the engine's workers; the vectors of a
    generation are loaded once and shared (FAISS searches are read-only), memory-mapped so that
    processes on one host share them too (``VectorIndex.load``)."""

    KEPT_GENERATIONS = 2  # a reader may still be on the previous one while a commit lands

    def __init__(self, data_dir: Path, exact_search_up_to: int) -> None:
        self.data_dir = data_dir
        self.exact_search_up_to = exact_search_up_to
        self._lock = threading.Lock()  # guards what follows, never held while reading
        self._idle = threading.Condition(self._lock)
        self._active = 0  # readings under way: ``close`` waits for them
        self._stores: list[Store] = []  # every thread's connection, for ``close``
        self._epoch = 0  # bumped by ``close``: a thread's connection from before is reopened
        self._local = threading.local()
        self._vectors: dict[int, VectorIndex] = {}
        self.generation: int | None = None  # the latest generation loaded

    def exists(self) -> bool:
        return db_path(self.data_dir).exists()

    def current(self) -> Snapshot:
        """The generation the database is at now (its vectors loaded once), or
        ``IndexMissing``."""
        with self.reading() as snapshot:
            return snapshot

    @contextmanager
    def reading(self) -> Iterator[Snapshot]:
        """A snapshot whose every read is made at one instant (``Store.snapshot``). Another
        process may commit a reindex at any moment: a question's chunks, articles and wire
        copies then still agree, and its FAISS file is the one its generation names."""
        store = self._thread_store()
        with self._lock:
            self._active += 1
        try:
            with store.snapshot():
                yield Snapshot(store, self._vectors_at(store))
        finally:
            with self._lock:
                self._active -= 1
                self._idle.notify_all()

    def reload(self) -> None:
        """Read the vectors again on the next snapshot, as after a committed reindex."""
        with self._lock:
            self._vectors.clear()
            self.generation = None

    def close(self) -> None:
        """Close every thread's connection, once no reading is under way (closing a SQLite
        connection another thread is reading on crashes the process)."""
        with self._lock:
            while self._active:
                self._idle.wait()
            for store in self._stores:
                store.close()
            self._stores.clear()
            self._vectors.clear()
            self.generation = None
            self._epoch += 1

    def _thread_store(self) -> Store:
        mine: Store | None = getattr(self._local, "store", None)
        if mine is not None and self._local.epoch == self._epoch:
            return mine
        db = db_path(self.data_dir)
        if not db.exists():
            raise IndexMissing(f"no index in {self.data_dir}")
        store = self._open_store(db)
        with self._lock:
            self._stores.append(store)
            self._local.store, self._local.epoch = store, self._epoch
        return store

    def _vectors_at(self, store: Store) -> VectorIndex:
        """The vectors of the generation ``store``'s snapshot sees (loaded once, shared)."""
        meta = store.meta()
        generation = int(meta.get("generation") or 0)
        if generation == 0:
            raise IndexMissing(f"the index in {self.data_dir} is empty")
        with self._lock:
            vectors = self._vectors.get(generation)
            if vectors is None:
                vectors = self._load_vectors(store, generation, meta)
                self._vectors[generation] = vectors
                for old in sorted(self._vectors)[: -self.KEPT_GENERATIONS]:
                    del self._vectors[old]
                self.generation = max(self._vectors)
            return vectors

    def _open_store(self, db: Path) -> Store:
        store = Store(db, readonly=True)
        if not store.is_current():
            # An index written by an older Revue: bring its schema up to date once.
            store.close()
            with writer_lock(self.data_dir):
                Store(db).close()
            store = Store(db, readonly=True)
        return store

    def _load_vectors(self, store: Store, generation: int, meta: dict[str, str]) -> VectorIndex:
        path = vectors_path(self.data_dir, generation)
        dim = int(meta.get("dim") or 0)
        expected = meta.get("chunk_count")
        chunks = int(expected) if expected is not None else store.counts()[1]
        try:
            if not path.exists():
                raise IndexDamaged(f"{path.name} is missing")
            vi = VectorIndex.load(path, mapped=True)
            if vi.size != chunks or vi.dim != dim:
                raise IndexDamaged(
                    f"{path.name} holds {vi.size} vectors of dimension {vi.dim} "
                    f"for {chunks} chunks of dimension {dim}"
                )
            return vi
        except IndexDamaged as exc:
            # Derived data: rebuild it from the vectors kept in SQLite (no re-embedding).
            log.warning("vector index unusable (%s); rebuilding it from the database", exc)
            vi = VectorIndex.build(dim, store.iter_vectors(), self.exact_search_up_to)
            try:
                with writer_lock(self.data_dir):
                    if int(store.meta().get("generation") or 0) == generation:
                        vi.save(path)
            except IndexBusy:
                pass  # a reindex is running and will write a fresh file
            return vi


class LocalWriter:
    """The embedded index for one indexing run, under the writer's lock: the store to plan and
    stage in, and the generation files, which only this class names."""

    def __init__(self, store: Store, data_dir: Path, exact_search_up_to: int) -> None:
        self.store = store
        self.data_dir = data_dir
        self.exact_search_up_to = exact_search_up_to

    @classmethod
    @contextmanager
    def open(cls, data_dir: Path, exact_search_up_to: int) -> Iterator[LocalWriter]:
        """The writer of ``data_dir`` (``IndexBusy`` while another run holds it)."""
        with writer_lock(data_dir):
            store = Store(db_path(data_dir))
            try:
                yield cls(store, data_dir, exact_search_up_to)
            finally:
                store.close()

    @property
    def generation(self) -> int:
        return int(self.store.get_meta("generation") or 0)

    # -- what the run reads ------------------------------------------------------------------
    def model(self) -> str | None:
        return self.store.get_meta("model")

    def article_hashes(self) -> dict[str, str]:
        return self.store.article_hashes()

    def signed_ids(self) -> set[str]:
        return self.store.signed_ids()

    def signatures(self) -> dict[str, bytes]:
        return self.store.signatures()

    def publication_order(self) -> dict[str, tuple[str, str]]:
        return self.store.publication_order()

    def counts(self) -> tuple[int, int]:
        return self.store.counts()

    def group_count(self) -> int:
        return self.store.group_count()

    # -- staging and committing ----------------------------------------------------------------
    def staged_for(self, fingerprint: str, keep: Mapping[str, str]) -> dict[str, str]:
        store = self.store
        if store.get_meta("staged_model") not in (None, fingerprint):
            store.drop_staged()
        store.drop_staged(keep=dict(keep))
        store.set_meta({"staged_model": fingerprint})
        return store.staged_hashes()

    def stage(self, items: Sequence[NewArticle]) -> None:
        self.store.stage(items)

    def refresh(self) -> None:
        self.refresh_vectors()

    def refresh_vectors(self) -> None:
        """Nothing changed: rewrite the FAISS file only if it is missing or of the wrong kind."""
        store, path = self.store, vectors_path(self.data_dir, self.generation)
        kind = store.get_meta("vector_kind") or "exact"
        wanted_kind = kind_for(store.counts()[1], self.exact_search_up_to)
        if not path.exists() or kind != wanted_kind:
            vi = VectorIndex.build(store.dim, store.iter_vectors(), self.exact_search_up_to)
            vi.save(path)
            store.set_meta({"vector_kind": vi.kind})

    def commit(self, staged: Staged, dim: int, meta: Mapping[str, str]) -> None:
        """Write the next generation's FAISS file beside the live one (grown from it when it
        can be, else rebuilt), then swap the staged chunks in with one transaction (``meta``
        joins the generation's own keys); a run killed before the transaction leaves the live
        generation as it was, its file untouched."""
        store = self.store
        first_id = store.chunk_id_high() + 1
        new_total = store.staged_count()
        dropped = {a.id for a in staged.changed} | set(staged.removed)
        vi = self._grown(dim, dropped, first_id)
        if vi is None:
            vi = VectorIndex.build(
                dim,
                itertools.chain(store.iter_vectors(exclude=dropped), store.iter_staged(first_id)),
                self.exact_search_up_to,
            )
        nxt = self.generation + 1
        vi.save(vectors_path(self.data_dir, nxt))
        meta = dict(meta) | {
            "dim": str(dim),
            "generation": str(nxt),
            "chunk_id_high": str(first_id + new_total - 1),
            "chunk_count": str(vi.size),
            "vector_kind": vi.kind,
        }
        todo = staged.added + staged.changed
        store.commit(
            NextGeneration(
                todo, staged.removed, first_id, meta, dict(staged.signatures), dict(staged.groups)
            )
        )
        drop_old_vectors(self.data_dir, nxt)

    def _grown(self, dim: int, dropped: set[str], first_id: int) -> VectorIndex | None:
        """The live generation's vectors with the dropped articles' chunks tombstoned and the
        staged ones added, or None when a rebuild is due: no usable previous file, another
        kind or dimension, or tombstones past ``COMPACT_AT``."""
        store, path = self.store, vectors_path(self.data_dir, self.generation)
        if self.generation == 0 or not path.exists():
            return None
        try:
            vi = VectorIndex.load(path)
        except IndexDamaged:
            return None
        dead = store.chunk_ids_of(dropped)
        live = vi.size - len(dead) + store.staged_count()
        if (
            vi.dim != dim
            or vi.size != int(store.get_meta("chunk_count") or -1)
            or vi.kind != kind_for(live, self.exact_search_up_to)
            or vi.dead + len(dead) > COMPACT_AT * (vi.total + store.staged_count())
        ):
            return None
        vi.grow(dead, store.iter_staged(first_id))
        return vi
