"""Reading the index from many threads: each thread gets a retriever over the snapshot its
question reads, kept while nothing is committed (a retriever caches the chunk selections of
recent filters, which a commit makes stale)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from index.search.retrieval import Retriever
from index.storage.protocols import IndexReader, Library, Snapshot


class Retrievers:
    """Per-thread retrievers over ``index`` (a part of ``Revue``)."""

    def __init__(self, index: IndexReader) -> None:
        self.index = index
        self._local = threading.local()

    @contextmanager
    def reading(self) -> Iterator[tuple[Retriever, Library]]:
        """This thread's retriever and the articles of one snapshot of the index, every read
        under it made at one instant (see ``IndexReader.reading``)."""
        with self.index.reading() as snapshot:
            yield self._for(snapshot), snapshot.store

    def current(self) -> Retriever:
        """The retriever of the index as it is now (``IndexMissing`` before any index)."""
        with self.index.reading() as snapshot:
            return self._for(snapshot)

    def _for(self, snapshot: Snapshot) -> Retriever:
        retriever: Retriever | None = getattr(self._local, "retriever", None)
        if (
            retriever is None
            or retriever.vectors is not snapshot.vectors
            or retriever.store is not snapshot.store
        ):
            retriever = self._local.retriever = Retriever(snapshot.store, snapshot.vectors)
        return retriever

    def close(self) -> None:
        self.index.close()
        self._local = threading.local()
