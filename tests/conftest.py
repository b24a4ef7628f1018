"""Shared fixtures: a fake encoder for the fast tier, the real model for what only it shows.

Tests whose fixtures load the real embedding model (``embedder``, ``seed_engine``) are marked
``model`` automatically; tests that start a process which loads it are marked by hand, and so are
the ``slow`` ones (seconds of start-up or waiting: processes, torch's import, real back-offs).
``make test-fast`` runs the rest (``pytest -m "not model and not slow" -n 2``) in seconds.
Deadlines: ``tests/deadlines.py``; waiting for the bot: ``tests/settle.py``.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.text import STOPWORDS, words

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Answers are quotes only unless a test sets up a writer (its fake endpoint, or the real model).
os.environ.setdefault("REVUE_WRITER", "none")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"


class HashEncoder:
    """A deterministic stand-in for the embedding model (an ``index.model.encoder.Encoder``).

    Each accent-folded content word, and its first five letters (a crude stem: "publicité" and
    "publicitaire" share one), is hashed to one of ``dim`` dimensions; a text is the normalized
    sum. Texts that share words are close, others nearly orthogonal, so retrieval, fusion,
    near-duplicate removal, wire grouping and quote selection behave as with a real model,
    in microseconds. It knows no meaning and no other language: those tests use the real one.
    """

    name = "test/hash-encoder"
    dim = 1024
    max_tokens = 512

    def __init__(self) -> None:
        self.passages_encoded = 0

    @property
    def fingerprint(self) -> str:
        return f"{self.name}|dim={self.dim}"

    def count_tokens(self, text: str) -> int:
        return len(words(text)) + 2

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for word in words(text):
            if word in STOPWORDS:
                continue
            for feature in {word, word[:5]}:
                h = zlib.crc32(feature.encode())
                v[h % self.dim] += 1.0 if h & 0x80000000 else -1.0
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            v[0] = norm = 1.0
        return v / norm

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        self.passages_encoded += len(texts)
        if progress is not None and texts:
            progress(len(texts))
        return self.encode_queries(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self._vector(t) for t in texts])


class OverlapReader:
    """A stand-in for the reader (an ``index.model.encoder.PairReader``): each of the question's
    content words (5-letter stems) that the passage holds adds belief, 0.6 for the first, 0.84
    for two, none for none. It reads no meaning and no other language; the tests of what the
    real reader decides use ``reader``."""

    name = "test/overlap-reader"

    def __init__(self) -> None:
        self.pairs_read = 0

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        self.pairs_read += len(texts)
        asked = {w[:5] for w in words(question) if w not in STOPWORDS}
        out = [1.0 - 0.4 ** len(asked & {w[:5] for w in words(t)}) for t in texts]
        return np.array(out, dtype=np.float32)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz",
        action="store_true",
        help="the full fuzz (1,000 fresh examples a test) instead of the fixed sample of 50",
    )
    parser.addoption(
        "--image",
        action="store_true",
        help="run tests/image: the container image, built by `make image` (make image-test)",
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/image is collected only with --image: it needs podman and a built image."""
    if collection_path.name == "image" and collection_path.parent == ROOT / "tests":
        return not config.getoption("--image")
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"embedder", "reader"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def encoder() -> HashEncoder:
    return HashEncoder()


@pytest.fixture(scope="session")
def embedder() -> Any:
    """The real embedding model (multilingual-e5-small), loaded once."""
    from index.model.embedder import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def fake_reader() -> OverlapReader:
    return OverlapReader()


@pytest.fixture(scope="session")
def reader() -> Any:
    """The real reader, where `revue model --reader` has built it (it is optional)."""
    from index.model.reader import open_reader
    from index.settings import Settings

    data = Settings().reader_data
    found = open_reader("default", data)
    if found is None:
        pytest.skip(f"the optional reader is not built (`revue model --reader`, from {data})")
    return found


def _engine(data_dir: Path, encoder: Any, reader: Any = None, **settings: Any) -> Any:
    """An engine with ``reader``; None means what the settings say (by default, no reader)."""
    from index.engine import Revue
    from index.settings import Settings

    return Revue(Settings(data_dir=data_dir, **settings), encoder, reader)


@pytest.fixture(scope="session")
def seed_engine(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Any]:
    """An engine over an index of corpus/ (the two seed articles), real model, built once."""
    engine = _engine(tmp_path_factory.mktemp("seed-index"), embedder)
    engine.index([CORPUS])
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def seed_index(
    tmp_path_factory: pytest.TempPathFactory, encoder: HashEncoder, fake_reader: OverlapReader
) -> Iterator[Any]:
    """The same as ``seed_engine`` with the fake encoder and reader: for tests of everything but
    meaning."""
    engine = _engine(tmp_path_factory.mktemp("seed-index-fake"), encoder, fake_reader)
    engine.index([CORPUS])
    yield engine
    engine.close()


@pytest.fixture
def index_backend(request: pytest.FixtureRequest) -> str:
    """Which backend ``make_engine`` puts its indexes in: SQLite + FAISS, unless a module
    marked ``backends`` runs its tests against both (``pytest_generate_tests``)."""
    return str(getattr(request, "param", "sqlite"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests of a module marked ``backends`` that make engines run once per backend (a test
    marked ``sqlite_only`` checks what only the embedded index has: its files)."""
    node = metafunc.definition
    if (
        node.get_closest_marker("backends")
        and not node.get_closest_marker("sqlite_only")
        and "make_engine" in metafunc.fixturenames
    ):
        metafunc.parametrize("index_backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def make_engine(
    tmp_path: Path,
    encoder: HashEncoder,
    fake_reader: OverlapReader,
    index_backend: str,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Any]]:
    """Fresh engines over their own data directories, with the fake encoder and reader unless
    told; in PostgreSQL for the ``postgresql`` backend, one database per data directory."""
    engines = []
    databases: dict[Path, str] = {}

    def make(
        data_dir: Path | None = None, model: Any = None, reader: Any = None, **settings: Any
    ) -> Any:
        data_dir = data_dir or tmp_path / "data"
        if index_backend == "postgresql" and "database_url" not in settings:
            if data_dir not in databases:
                databases[data_dir] = request.getfixturevalue("postgres").database()
            settings["database_url"] = databases[data_dir]
        engine = _engine(data_dir, model or encoder, reader or fake_reader, **settings)
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


def seeds_and(folder: Path, name: str, text: str) -> Path:
    """A corpus folder holding the seed articles and one more article, ``name``."""
    for seed in CORPUS.iterdir():
        write(folder / seed.name, seed.read_bytes())
    write(folder / name, text)
    return folder


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A real PostgreSQL 16 with pgvector on 127.0.0.1 (``tests/pg.py``), one per session."""
    from tests.pg import TemporaryPostgres

    server = TemporaryPostgres.start()
    yield server
    server.remove()


@pytest.fixture
def pg_url(postgres: Any) -> str:
    """The URL of an empty database of its own, for one test."""
    return str(postgres.database())


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings that put the state in SQLite, then in PostgreSQL: a test that takes this
    fixture runs against both backends."""
    if request.param == "sqlite":
        return {}
    return {"database_url": request.getfixturevalue("pg_url")}


def point_at(monkeypatch: pytest.MonkeyPatch, engine: Any) -> None:
    """Make a command run now (the CLI, a bot) use ``engine``'s index, whichever backend."""
    monkeypatch.setenv("REVUE_DATA_DIR", str(engine.data_dir))
    url = engine.settings.database_url
    if url is not None:
        monkeypatch.setenv("REVUE_DATABASE_URL", url.get_secret_value())


BACKENDS = ["sqlite", "postgresql"]


def backend_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """For a fixture parametrized over ``BACKENDS``: the settings of its backend (a database
    of its own on the session's server for PostgreSQL)."""
    if request.param == "sqlite":
        return {}
    return {"database_url": request.getfixturevalue("postgres").database()}
