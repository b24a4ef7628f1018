"""A reindex that adds or changes a few articles grows the previous generation's FAISS file
instead of rebuilding it: the old chunks' vectors are not read again, dead chunks never come back
from a search, the results are a rebuild's, a rebuild comes past the tombstone threshold, a crash
before the commit leaves the live generation answering, and readers memory-map the file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.storage import local
from index.storage.layout import vectors_path
from index.storage.local import LocalIndex
from index.storage.store import Store
from index.storage.vectors import VectorIndex
from tests.conftest import HashEncoder, write

TOPICS = [
    "Le conseil municipal de Nantes a voté un budget pour la piscine Léo-Lagrange.",
    "La grève des contrôleurs aériens a entraîné l'annulation de 300 vols à Orly.",
    "Un musée de la bande dessinée a ouvert ses portes à Angoulême.",
    "Strasbourg a inauguré une piste cyclable de 14 kilomètres le long du Rhin.",
    "La grêle a détruit un tiers des vignes du Beaujolais samedi.",
    "Le festival de jazz de Marciac affiche complet cette année.",
    "L'usine Renault de Flins fermera ses portes en 2024.",
    "Le tramway de Montpellier roulera toute la nuit le samedi.",
    "Une tempête a privé 40 000 foyers bretons d'électricité.",
    "La médiathèque de Lille prête désormais des instruments de musique.",
]


def corpus(path: Path, texts: dict[str, str]) -> Path:
    lines = (json.dumps({"id": k, "text": v, "source": "Test"}) for k, v in texts.items())
    return write(path, "\n".join(lines) + "\n")


def one_each(n: int) -> dict[str, str]:
    """``n`` one-chunk articles, ``a0`` to ``a{n-1}``."""
    return {f"a{i}": TOPICS[i % len(TOPICS)] + f" ({i})" for i in range(n)}


@pytest.fixture
def rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every read of the stored vectors (a rebuild reads them all; a grown index none)."""
    calls: list[int] = []
    original = Store.iter_vectors

    def spy(self: Store, *args: Any, **kwargs: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "iter_vectors", spy)
    return calls


def snapshot(engine: Any) -> tuple[Store, VectorIndex]:
    retriever = engine.retriever()
    return retriever.store, retriever.vectors


def live_ids(store: Store) -> set[int]:
    return {int(r[0]) for r in store.db.execute("select id from chunks")}


def test_adding_an_article_grows_the_index_without_reading_the_old_vectors(
    make_engine: Callable[..., Any], tmp_path: Path, rebuilds: list[int]
) -> None:
    texts = one_each(6)
    engine = make_engine()
    engine.index([corpus(tmp_path / "news.jsonl", texts)])
    assert rebuilds == [1]  # the first generation is built
    texts["new"] = "Le port de Marseille accueille un paquebot de 6 000 passagers."
    summary = engine.index([corpus(tmp_path / "news.jsonl", texts)])
    assert summary.added == 1
    assert rebuilds == [1]  # grown from generation 1's file: no vector read from SQLite
    store, vectors = snapshot(engine)
    assert vectors.size == vectors.total == store.counts()[1]
    hits = engine.search("Combien de passagers le paquebot de Marseille ?", k=1, mode="dense")
    assert hits[0].article_id == "new"


@pytest.mark.parametrize("exact_up_to", [100_000, 3], ids=["exact", "hnsw"])
def test_a_changed_or_removed_article_is_never_found_again(
    make_engine: Callable[..., Any], tmp_path: Path, rebuilds: list[int], exact_up_to: int
) -> None:
    texts = one_each(10)
    engine = make_engine(exact_search_up_to=exact_up_to)
    engine.index([corpus(tmp_path / "news.jsonl", texts)])
    _, before = snapshot(engine)
    old = set(range(1, before.size + 1))
    texts["a1"] = "Le conseil départemental a repoussé le vote du budget à l'automne."
    del texts["a2"]
    summary = engine.index([corpus(tmp_path / "news.jsonl", texts)])
    assert (summary.changed, summary.removed) == (1, 1)
    assert rebuilds == [1]
    store, vectors = snapshot(engine)
    assert vectors.kind == ("exact" if exact_up_to > 3 else "hnsw")
    assert vectors.total == vectors.size + 2  # two tombstones: filtered, not removed
    live = live_ids(store)
    assert len(old - live) == 2
    for topic in TOPICS:
        query = HashEncoder().encode_queries([topic])[0]
        found = [cid for cid, _ in vectors.search(query, 100)]
        assert sorted(found) == sorted(live)  # every live chunk, and no dead one
    hits = engine.search("La grève des contrôleurs aériens à Orly", k=20, mode="dense")
    assert "a2" not in {h.article_id for h in hits}
    assert TOPICS[1] not in {h.text for h in hits}


def test_many_incremental_runs_find_what_a_rebuild_finds(
    make_engine: Callable[..., Any],
    tmp_path: Path,
    rebuilds: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(local, "COMPACT_AT", 0.9)  # grow on every run
    texts = one_each(10)
    engine = make_engine()
    engine.index([corpus(tmp_path / "news.jsonl", texts)])
    for run in range(8):
        texts[f"new{run}a"] = TOPICS[run] + f" Suite {run}, nouvelle dépêche."
        texts[f"new{run}b"] = TOPICS[-run] + f" Réaction {run}, dans la soirée."
        texts[f"a{run}"] = TOPICS[run + 1] + f" Mise à jour {run}."
        engine.index([corpus(tmp_path / "news.jsonl", texts)])
    assert rebuilds == [1]
    store, grown = snapshot(engine)
    assert grown.total > grown.size == store.counts()[1]
    rebuilt = VectorIndex.build(grown.dim, store.iter_vectors())
    for topic in TOPICS:
        query = HashEncoder().encode_queries([topic])[0]
        got, want = grown.search(query, 10), rebuilt.search(query, 10)
        assert [cid for cid, _ in got] == [cid for cid, _ in want]
        assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-6)


def test_past_the_tombstone_share_a_commit_rebuilds(
    make_engine: Callable[..., Any], tmp_path: Path, rebuilds: list[int]
) -> None:
    texts = one_each(10)
    engine = make_engine()
    engine.index([corpus(tmp_path / "news.jsonl", texts)])
    texts["a0"] += " Mise à jour."
    engine.index([corpus(tmp_path / "news.jsonl", texts)])
    _, vectors = snapshot(engine)
    assert (vectors.dead, rebuilds) == (1, [1])  # 1 dead of 11: grown
    texts["a1"] += " Mise à jour."
    texts["a2"] += " Mise à jour."
    engine.index([corpus(tmp_path / "news.jsonl", texts)])
    store, vectors = snapshot(engine)
    assert rebuilds == [1, 1]  # 3 dead of 13 would pass 20 %: rebuilt
    assert vectors.dead == 0 and vectors.size == vectors.total == store.counts()[1] == 10


def test_without_the_previous_file_a_commit_rebuilds(
    make_engine: Callable[..., Any],
    tmp_path: Path,
    rebuilds: list[int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    texts = one_each(6)
    engine = make_engine()
    engine.index([corpus(tmp_path / "news.jsonl", texts)])
    vectors_path(tmp_path / "data", 1).write_bytes(b"not a faiss index")
    texts["new"] = "Le port de Marseille accueille un paquebot de 6 000 passagers."
    with caplog.at_level("WARNING", logger="revue"):
        make_engine().index([corpus(tmp_path / "news.jsonl", texts)])
    assert "rebuilding" not in caplog.text  # no reader repaired it first: the commit did
    assert rebuilds == [1, 1]
    store, vectors = snapshot(make_engine())
    assert vectors.size == vectors.total == store.counts()[1] == 7


class Killed(Exception):
    """Stands for a kill between the new FAISS file and the database transaction."""


def test_a_crash_between_the_new_file_and_the_commit_leaves_a_working_index(
    make_engine: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = one_each(6)
    news = corpus(tmp_path / "news.jsonl", texts)
    make_engine().index([news])
    texts["a0"] = "Le conseil départemental a repoussé le vote du budget à l'automne."
    texts["new"] = "Le port de Marseille accueille un paquebot de 6 000 passagers."
    news = corpus(tmp_path / "news.jsonl", texts)

    def killed(self: Store, nxt: Any) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(Store, "commit", killed)
        with pytest.raises(Killed):
            make_engine().index([news])
    data = tmp_path / "data"
    assert vectors_path(data, 2).exists()  # written, never committed
    reader = make_engine()
    hits = reader.search("Le conseil municipal de Nantes et la piscine", k=1, mode="dense")
    assert hits[0].text == TOPICS[0] + " (0)"  # generation 1, its old chunk alive there
    store, vectors = snapshot(reader)
    assert vectors.dead == 0 and vectors.size == store.counts()[1] == 6
    reader.close()

    again = make_engine()
    summary = again.index([news])
    assert (summary.added, summary.changed) == (1, 1)
    store, vectors = snapshot(again)
    assert (vectors.dead, vectors.size) == (1, store.counts()[1])
    hits = again.search("Combien de passagers le paquebot de Marseille ?", k=1, mode="dense")
    assert hits[0].article_id == "new"


def test_a_reader_memory_maps_the_vectors_and_answers(
    make_engine: Callable[..., Any], tmp_path: Path
) -> None:
    texts = one_each(6)
    make_engine().index([corpus(tmp_path / "news.jsonl", texts)])
    index = LocalIndex(tmp_path / "data", 100_000)
    try:
        with index.reading() as snap:
            query = HashEncoder().encode_queries([TOPICS[3]])[0]
            found = snap.vectors.search(query, 3)
            mapped = Path("/proc/self/maps").read_text()
        assert str(vectors_path(tmp_path / "data", 1)) in mapped  # mapped, not copied in
        assert len(found) == 3
        assert snap.store.chunks([found[0][0]])[found[0][0]].text.startswith(TOPICS[3])
    finally:
        index.close()
