"""What only the PostgreSQL backend does: inserts into the live HNSW index instead of rebuilding,
one snapshot per question while writers commit, runs taking turns without a lock file, a server
that goes away and comes back, and ``kill -9`` of a run (real PostgreSQL 16 + pgvector 0.6).
The behaviour both backends share is tested once for both (modules marked ``backends``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import psycopg
import pytest

from index.errors import DatabaseUnavailable
from tests.conftest import CORPUS, ROOT, write
from tests.deadlines import HANG
from tests.pg import TemporaryPostgres
from tests.test_crash import NEW, OLD, corpus_file
from tests.test_indexing import Spy, article


def news(tmp_path, n: int, prefix: str = "breve"):
    lines = [
        article(
            f"{prefix}-{i}", f"La commune numéro {i} a voté un budget de {i} euros.", source="X"
        )
        for i in range(n)
    ]
    return write(tmp_path / f"{prefix}.jsonl", "\n".join(lines) + "\n")


def hnsw_index(url: str) -> tuple[str, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select c.relname, c.relfilenode from pg_class c where c.relname like 'chunks_hnsw_%'"
        ).fetchone()
    assert row is not None, "no HNSW index"
    return row[0], row[1]


def test_a_new_article_is_inserted_into_the_hnsw_index_not_rebuilt(make_engine, pg_url, tmp_path):
    engine = make_engine(database_url=pg_url)
    engine.index([CORPUS])
    before = hnsw_index(pg_url)
    write(tmp_path / "more" / "musee.md", "---\nid: musee\n---\n\nUn musée de la bande dessinée "
          "a ouvert ses portes à Angoulême avec 4 000 planches originales.\n")  # fmt: skip
    summary = engine.index([CORPUS, tmp_path / "more"])
    assert summary.added == 1
    assert hnsw_index(pg_url) == before  # the same index file: rows were inserted into it
    hit = engine.search("musée de la bande dessinée à Angoulême", k=1)[0]
    assert hit.article_id == "musee"


def test_above_the_exact_size_the_hnsw_index_answers(make_engine, pg_url, tmp_path):
    exact = make_engine(tmp_path / "a", database_url=pg_url)
    exact.index([CORPUS, news(tmp_path, 40)])
    approximate = make_engine(tmp_path / "b", database_url=pg_url, exact_search_up_to=10)
    vec = exact.embedder.encode_queries(["le budget de la commune numéro 7"])[0]
    with approximate.reading() as (retriever, _):
        assert not retriever.vectors.exact
        found = retriever.vectors.search(vec, 5)
        sql = "select id, embedding::vector(1024) <#> %s::vector(1024) as d from chunks "
        plan = retriever.vectors._approximate("explain " + sql + "order by d limit 5", [vec], 5)
    assert "chunks_hnsw_1024" in " ".join(r[0] for r in plan)
    with exact.reading() as (retriever, _):
        assert retriever.vectors.exact
        best = retriever.vectors.search(vec, 5)
    assert found[0] == pytest.approx(best[0])  # ties below it may come in another order
    assert [s for _, s in found] == pytest.approx([s for _, s in best], abs=1e-6)


def test_a_question_reads_one_snapshot_while_a_run_commits(make_engine, pg_url, tmp_path):
    engine = make_engine(database_url=pg_url)
    engine.index([CORPUS])
    writer = make_engine(database_url=pg_url)
    with engine.reading() as (_, library):
        before = library.coverage().articles
        writer.index([CORPUS, news(tmp_path, 5)])  # committed while the question reads
        assert library.coverage().articles == before
        assert library.article("breve-3") is None
    assert engine.article("breve-3") is not None  # the next question sees it


def test_two_runs_at_once_take_turns_and_lose_nothing(make_engine, pg_url, tmp_path, encoder):
    corpus = [CORPUS, news(tmp_path, 30)]
    engines = [make_engine(tmp_path / name, database_url=pg_url) for name in "ab"]
    spies = [Spy(encoder) for _ in engines]
    for e, spy in zip(engines, spies, strict=True):
        e.models.embedder = spy
    summaries = []
    threads = [
        threading.Thread(target=lambda e=e: summaries.append(e.index(corpus))) for e in engines
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG)
    assert len(summaries) == 2
    assert sorted(s.added for s in summaries) == [0, 32]  # the second found it all done
    assert sum(len(s.embedded) for s in spies) == summaries[0].chunks_total
    assert {s.id for s in engines[0].sources()} >= {"breve-0", "breve-29"}


@pytest.mark.slow  # stops and starts a server
def test_a_server_that_goes_away_gets_a_clear_error_then_answers_again(make_engine, tmp_path):
    server = TemporaryPostgres.start()  # its own server: the session's keeps running
    try:
        engine = make_engine(database_url=server.database())
        engine.index([CORPUS])
        assert not engine.ask("Why did OpenAI pause advertising?").abstained
        server.stop()
        with pytest.raises(DatabaseUnavailable, match="database"):
            engine.ask("Why did OpenAI pause advertising?")
        with pytest.raises(DatabaseUnavailable, match="cannot be reached"):
            engine.ask("Why did OpenAI pause advertising?")
        server.restart()
        assert not engine.ask("Why did OpenAI pause advertising?").abstained
    finally:
        server.remove()


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("point", ["pg-staged", "pg-commit"])
def test_a_run_killed_mid_way_loses_nothing_and_the_next_completes(
    point, pg_url, tmp_path, embedder
):
    from index.engine import Revue
    from index.settings import Settings

    def engine():
        return Revue(Settings(data_dir=tmp_path / "data", database_url=pg_url), embedder)

    base = engine()
    base.index([CORPUS, corpus_file(tmp_path / "old.jsonl", OLD)])
    base.close()
    fresh = corpus_file(tmp_path / "news.jsonl", NEW)
    env = {**os.environ, "REVUE_DATABASE_URL": pg_url, "REVUE_DATA_DIR": str(tmp_path / "data")}
    crashed = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "crash_index.py"), point, "--",
         "--corpus", str(CORPUS), "--corpus", str(fresh)],
        env=env, capture_output=True, text=True, timeout=HANG * 2,
    )  # fmt: skip
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]

    reader = engine()
    ids = {s.id for s in reader.sources()}
    assert set(OLD) <= ids and not set(NEW) - set(OLD) & ids  # the old index, whole
    assert not reader.ask("Why did OpenAI pause advertising?").abstained
    reader.close()

    again = engine()
    again.models.embedder = spy = Spy(embedder)
    summary = again.index([CORPUS, fresh])
    assert (summary.added, summary.changed, summary.removed) == (3, 1, 1)
    assert len(spy.embedded) < 4 * 2  # what was staged before the kill is not embedded again
    hit = again.search("Combien de planches le musée d'Angoulême expose-t-il ?", k=1)[0]
    assert hit.article_id == "musee"
    again.close()
