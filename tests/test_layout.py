"""The import rules the README states, checked on the source: the engine never imports a front
end, and each heavy library is imported where the README says (type-only imports aside)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

# library -> the only modules (paths from the root) that may import it at run time
HOME = {
    "faiss": {"index/storage/vectors.py"},
    "sentence_transformers": {"index/model/embedder.py"},
    # The reader is a second model: its run time and its one-off training have a module each.
    "transformers": {
        "index/model/embedder.py",
        "index/model/reader.py",
        "index/model/reader_training.py",
    },
    "torch": {
        "index/model/embedder.py",
        "index/model/reader.py",
        "index/model/reader_training.py",
    },
    # PostgreSQL's driver and pgvector stay in the backend's folder (a trailing "/": any module
    # under it).
    "psycopg": {"index/storage/postgres/"},
    "pgvector": {"index/storage/postgres/"},
    "sqlite_utils": {
        "index/storage/store.py",
        "index/storage/migrations.py",
        "index/storage/state.py",
        "index/storage/subscriptions.py",
        "index/storage/answers.py",
    },
    "feedparser": {"index/ingest/feeds.py"},
    "datasketch": {"index/indexing/wire.py"},
    "trafilatura": {"index/ingest/articles.py"},
    "py3langid": {"index/search/language.py"},
    "sentencex": {"index/sentences.py"},
    "Stemmer": {"index/stemming.py"},
    "tqdm": {"cli/output.py"},
    "httpx": {"index/writing/client.py"},
    "xllamacpp": {"index/writing/local.py"},
}
# package -> packages it must never import (at run time or for types)
NEVER = {
    "index": {"discord", "bot", "cli", "click"},
    "bot": {"cli", "click"},
}


def modules() -> Iterator[Path]:
    for package in ("index", "bot", "cli"):
        yield from sorted((ROOT / package).rglob("*.py"))


def imports(path: Path) -> Iterator[tuple[str, bool]]:
    """(top-level package, whether only for type checking) of every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            yield name.split(".")[0], id(node) in typing_only


@pytest.mark.parametrize("package", sorted(NEVER))
def test_a_package_never_imports_the_front_ends_above_it(package: str) -> None:
    found = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name, _ in imports(path)
        if name in NEVER[package]
    ]
    assert found == []


def at_home(path: str, homes: set[str]) -> bool:
    return any(path == home or (home.endswith("/") and path.startswith(home)) for home in homes)


def test_each_heavy_library_is_imported_in_its_one_home() -> None:
    strays: dict[str, set[str]] = {}
    for path in modules():
        where = path.relative_to(ROOT).as_posix()
        for name, typing_only in imports(path):
            if name in HOME and not typing_only and not at_home(where, HOME[name]):
                strays.setdefault(name, set()).add(where)
    assert strays == {}


def test_the_engine_flows_have_their_own_folders() -> None:
    rooms = {p.name for p in (ROOT / "index").iterdir() if (p / "__init__.py").exists()}
    assert {"ingest", "indexing", "model", "storage", "search"} <= rooms


# Storage is private to index/storage/ but for its public face (``PUBLIC_STORAGE``, issue 23):
# what reaches past it from outside today, to be moved behind the protocols. A new reach fails
# here; each one removed must leave this list.
STORAGE_DEBT = {
    "index/writing/local.py": {"index.storage.layout"},
}


# What the rest of Revue may import: the protocols, the factory that picks the index's backend,
# and the one that opens the state (feeds, answers, votes) where the settings say.
PUBLIC_STORAGE = {"index.storage.protocols", "index.storage.backends", "index.storage.states"}


def storage_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {
            n
            for n in names
            if n.startswith("index.storage.") and n.count(".") == 2 and n not in PUBLIC_STORAGE
        }
    return found


def test_storage_stays_private_to_index_storage() -> None:
    reached = {
        str(path.relative_to(ROOT)): storage_imports(path)
        for path in modules()
        if "index/storage" not in path.as_posix()
    }
    reached = {module: found for module, found in reached.items() if found}
    assert reached == STORAGE_DEBT
