"""Shared fixtures: the real embedding model, and a real index of the bundled corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def embedder():
    from index.embedder import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def seed_engine(tmp_path_factory, embedder):
    """An engine over an index of corpus/ (the two seed articles), built once."""
    from index.engine import Revue
    from index.settings import Settings

    engine = Revue(Settings(data_dir=tmp_path_factory.mktemp("seed-index")), embedder)
    engine.index([CORPUS])
    yield engine
    engine.close()


@pytest.fixture
def make_engine(tmp_path, embedder):
    """A fresh engine over an empty data directory, sharing the loaded model."""
    from index.engine import Revue
    from index.settings import Settings

    engines = []

    def make(data_dir: Path | None = None):
        engine = Revue(Settings(data_dir=data_dir or tmp_path / "data"), embedder)
        engines.append(engine)
        return engine

    yield make
    for e in engines:
        e.close()


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
