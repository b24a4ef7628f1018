"""The data directory: the SQLite file, one FAISS file per index generation, the writer lock.

data/revue.db            articles, chunks (with their vectors), full-text index, metadata
data/vectors-N.faiss     the vectors of generation N (derived: rebuilt from revue.db)
data/index.lock          held by the one process writing (released by the OS if it dies)
data/state.db            followed feeds, the bot's answers and votes (``storage.state``)
data/state.lock          held while a process creates or migrates state.db
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from index.errors import IndexBusy

DB_NAME = "revue.db"


def db_path(data_dir: Path) -> Path:
    return data_dir / DB_NAME


def vectors_path(data_dir: Path, generation: int) -> Path:
    return data_dir / f"vectors-{generation}.faiss"


@contextmanager
def file_lock(path: Path, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing); the OS releases it when its
    process dies. Without ``wait``, ``BlockingIOError`` when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        yield
    finally:
        os.close(fd)


@contextmanager
def writer_lock(data_dir: Path) -> Iterator[None]:
    """One writer at a time, or ``IndexBusy`` at once."""
    with ExitStack() as held:
        try:
            held.enter_context(file_lock(data_dir / "index.lock", wait=False))
        except BlockingIOError as exc:
            raise IndexBusy(f"another process is already writing the index in {data_dir}") from exc
        yield


@contextmanager
def state_lock(data_dir: Path) -> Iterator[None]:
    """Wait for, then hold, the right to create or migrate ``state.db`` (a few milliseconds).
    Several bot processes start on one data directory, and each opens ``state.db`` when ready:
    unserialized, all but one failed on a fresh directory ("database is locked", or a table
    already created by the other), 30 times in 30 tries with three processes."""
    with file_lock(data_dir / "state.lock"):
        yield


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
