"""``kill -9`` during ``revue index``: the last complete index keeps answering, and the next run
finishes the job with every article present exactly once (real model, SQLite and FAISS)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CORPUS, ROOT, write
from tests.deadlines import HANG
from tests.test_indexing import Spy, article

pytestmark = pytest.mark.model  # starts or loads the real embedding model

HELPER = ROOT / "tests" / "crash_index.py"
OLD = {
    "budget": "Le conseil municipal de Nantes a voté mardi un budget de 12 millions d'euros "
    "pour rénover la piscine Léo-Lagrange, fermée depuis deux ans.",
    "greve": "La grève des contrôleurs aériens a entraîné l'annulation de 300 vols à Orly.",
}
NEW = {
    "budget": "Le conseil municipal de Nantes a finalement repoussé à l'automne le vote du "
    "budget de rénovation de la piscine Léo-Lagrange.",
    "musee": "Un musée de la bande dessinée a ouvert ses portes à Angoulême, avec 4 000 "
    "planches originales prêtées par des collectionneurs.",
    "velo": "Strasbourg a inauguré une piste cyclable de 14 kilomètres le long du Rhin, "
    "financée par l'Eurométropole.",
    "vignes": "La grêle a détruit un tiers des vignes du Beaujolais la nuit de samedi à "
    "dimanche, selon la chambre d'agriculture.",
}  # "greve" is removed, "budget" changed, three are added


def corpus_file(path: Path, articles: dict[str, str]) -> Path:
    lines = [article(k, v, source="Test") for k, v in articles.items()]
    return write(path, "\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def base_index(tmp_path_factory, embedder):
    """An index of the seed articles and OLD, built once and copied for each test."""
    from index.engine import Revue
    from index.settings import Settings

    root = tmp_path_factory.mktemp("crash-base")
    news = corpus_file(root / "news.jsonl", OLD)
    engine = Revue(Settings(data_dir=root / "data"), embedder)
    engine.index([CORPUS, news])
    engine.close()
    return root / "data"


def engine_at(data_dir: Path, embedder):
    from index.engine import Revue
    from index.settings import Settings

    return Revue(Settings(data_dir=data_dir), embedder)


def run_helper(point: str, data_dir: Path, news: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "REVUE_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, str(HELPER), point, "--", "--corpus", str(CORPUS), "--corpus", str(news)],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG * 2,  # a whole `revue index` run
    )


def assert_complete(engine, expected_ids: set[str], finished: bool = True) -> None:
    """Every article once, and the FAISS file agrees with SQLite."""
    ids = [s.id for s in engine.sources()]
    assert sorted(ids) == sorted(expected_ids)
    retriever = engine.retriever()
    articles, chunks = retriever.store.counts()
    assert articles == len(expected_ids)
    assert retriever.vectors.size == chunks
    if finished:
        assert retriever.store.staged_count() == 0


def seed_ids() -> set[str]:
    from index.ingest.corpus import load_corpus

    return {a.id for a in load_corpus([CORPUS]).articles}


@pytest.mark.parametrize("point", ["staged", "vectors", "commit", "cleanup"])
def test_a_reindex_killed_at_any_point_leaves_answers_intact_and_the_next_run_completes(
    point, base_index, tmp_path, embedder
):
    data = tmp_path / "data"
    shutil.copytree(base_index, data)
    news = corpus_file(tmp_path / "news.jsonl", NEW)

    crashed = run_helper(point, data, news)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]

    reader = engine_at(data, embedder)
    seeds = seed_ids()
    committed = point == "cleanup"
    assert_complete(reader, seeds | (set(NEW) if committed else set(OLD)), finished=False)
    answer = reader.ask("Why did OpenAI pause advertising?")
    assert not answer.abstained
    assert "Institut des Arts Numériques" in (answer.citations[0].source or "")
    top = reader.search("Que devient la rénovation de la piscine Léo-Lagrange ?", k=1)[0]
    assert top.text == (NEW if committed else OLD)["budget"]
    reader.close()

    engine = engine_at(data, embedder)
    engine.models.embedder = spy = Spy(embedder)
    summary = engine.index([CORPUS, news])
    assert_complete(engine, seeds | set(NEW))
    if committed:
        assert summary.added == summary.changed == summary.removed == 0
    else:
        assert (summary.added, summary.changed, summary.removed) == (3, 1, 1)
    if point == "staged":
        # The two articles committed to the staging table before the kill are not redone.
        assert len(spy.embedded) == len(NEW) - 2
    elif point in ("vectors", "commit"):
        assert spy.embedded == []  # everything was staged
    hit = engine.search("Combien de planches le musée d'Angoulême expose-t-il ?", k=1)[0]
    assert hit.article_id == "musee"
    assert not list(data.glob("*.tmp"))
    engine.close()


def test_a_reindex_killed_from_outside_mid_embedding(base_index, tmp_path, embedder):
    """A real ``kill -9`` of ``revue index`` while it embeds, then a normal run."""
    data = tmp_path / "data"
    shutil.copytree(base_index, data)
    many = {f"breve-{n}": f"La commune {n} a voté le budget {n} mardi soir." for n in range(60)}
    news = corpus_file(tmp_path / "news.jsonl", {**NEW, **many})
    env = {**os.environ, "REVUE_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    code = (
        "import sys; from index.indexing import embedding; embedding.STAGE_CHUNKS = 4; "
        "from cli.main import main; sys.argv = ['revue'] + sys.argv[1:]; main()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "index", "--corpus", str(CORPUS), "--corpus", str(news)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = sqlite3.connect(f"file:{data / 'revue.db'}?mode=ro", uri=True)
    deadline = time.monotonic() + HANG
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if db.execute("select count(*) from staged_chunks").fetchone()[0] > 0:
                    break
            except sqlite3.OperationalError:
                pass  # the migration adding the staging table is not committed yet
            time.sleep(0.05)
        assert proc.poll() is None, "the index run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=HANG)
    finally:
        db.close()
        if proc.poll() is None:
            proc.kill()

    reader = engine_at(data, embedder)
    seeds = seed_ids()
    assert_complete(reader, seeds | set(OLD), finished=False)
    reader.close()

    engine = engine_at(data, embedder)
    engine.models.embedder = spy = Spy(embedder)
    summary = engine.index([CORPUS, news])
    assert_complete(engine, seeds | set(NEW) | set(many))
    assert summary.added == 3 + len(many) and summary.changed == 1 and summary.removed == 1
    assert len(spy.embedded) < summary.added + summary.changed  # staged work was kept
    assert summary.problems == ()
    engine.close()
