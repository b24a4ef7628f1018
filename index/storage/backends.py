"""Which backend holds the index, chosen by the settings: PostgreSQL where
``REVUE_DATABASE_URL`` names one, otherwise SQLite + FAISS in the data directory.

The engine, the bot and the CLI open the index here and see only the protocols of
``index.storage.protocols``; neither knows which backend runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from index.settings import Settings
from index.storage.protocols import IndexReader, IndexWriter, MoveReport


def database_url(settings: Settings) -> str | None:
    url = settings.database_url
    return url.get_secret_value() if url is not None else None


def open_index(settings: Settings) -> IndexReader:
    """The index for reading (nothing is connected or read before the first question)."""
    url = database_url(settings)
    if url:
        from index.storage.postgres.index import PostgresIndex

        return PostgresIndex(url, settings.exact_search_up_to)
    from index.storage.local import LocalIndex

    return LocalIndex(settings.data_dir, settings.exact_search_up_to)


@contextmanager
def index_writer(settings: Settings) -> Iterator[IndexWriter]:
    """The index for one indexing run (``IndexBusy`` while another run writes the embedded
    index; PostgreSQL runs commit in transactions, side by side)."""
    url = database_url(settings)
    if url:
        from index.storage.postgres.writer import PostgresWriter

        with PostgresWriter.open(url, settings.exact_search_up_to) as pg:
            yield pg
        return
    from index.storage.local import LocalWriter

    with LocalWriter.open(settings.data_dir, settings.exact_search_up_to) as local:
        yield local


def move_index(
    settings: Settings, url: str, progress: Callable[[int, int], None] | None = None
) -> MoveReport:
    """Copy the embedded index of ``settings.data_dir`` into the PostgreSQL database at
    ``url``, vectors included (resumable; see ``index.storage.moving``)."""
    from index.storage.moving import copy_index

    return copy_index(settings.data_dir, url, progress)
