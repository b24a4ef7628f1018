"""Indexing into real SQLite and FAISS, and into PostgreSQL (fake encoder): incremental, reported
problems, rebuilds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from index.errors import IndexMissing
from index.storage.layout import vectors_path, writer_lock
from tests.conftest import CORPUS, write

pytestmark = pytest.mark.backends


class Spy:
    """Delegates to an encoder and counts what it is asked to embed."""

    def __init__(self, real, fingerprint=None):
        self.real = real
        self.embedded: list[str] = []
        self.fingerprint = fingerprint or real.fingerprint

    def __getattr__(self, name):
        return getattr(self.real, name)

    def encode_passages(self, texts, progress=None):
        self.embedded.extend(texts)
        return self.real.encode_passages(texts, progress)


def article(id_, text, **meta):
    return json.dumps({"id": id_, "text": text, **meta}, ensure_ascii=False)


def test_unchanged_corpus_embeds_nothing(make_engine, encoder):
    engine = make_engine()
    first = engine.index([CORPUS])
    assert first.added == 2 and first.chunks_embedded == first.chunks_total > 0
    spy = Spy(encoder)
    engine.models.embedder = spy
    second = engine.index([CORPUS])
    assert spy.embedded == []
    assert (second.added, second.changed, second.removed, second.unchanged) == (0, 0, 0, 2)
    assert second.chunks_total == first.chunks_total


def test_add_change_remove_touch_only_their_article(make_engine, encoder, tmp_path):
    corpus = tmp_path / "news.jsonl"
    a = article("a", "Le conseil municipal a voté le budget de la piscine mardi soir.")
    b = article("b", "La grève des transports perturbe le trafic des trains régionaux.")
    c = article("c", "Un nouveau musée consacré à la bande dessinée ouvre à Angoulême.")
    write(corpus, "\n".join([a, b]) + "\n")
    engine = make_engine()
    engine.models.embedder = spy = Spy(encoder)
    engine.index([corpus])
    assert len(spy.embedded) == 2

    spy.embedded.clear()
    b2 = article("b", "La grève des transports est terminée, les trains circulent à nouveau.")
    write(corpus, "\n".join([a, b2, c]) + "\n")
    summary = engine.index([corpus])
    assert (summary.added, summary.changed, summary.unchanged) == (1, 1, 1)
    assert sorted(spy.embedded) == sorted([json.loads(b2)["text"], json.loads(c)["text"]])
    hits = engine.search("Les trains circulent-ils de nouveau ?", k=3)
    assert hits[0].article_id == "b" and "terminée" in hits[0].text

    spy.embedded.clear()
    write(corpus, "\n".join([a, b2]) + "\n")
    summary = engine.index([corpus])
    assert summary.removed == 1 and spy.embedded == []
    assert {s.id for s in engine.sources()} == {"a", "b"}


def test_model_change_rebuilds_everything(make_engine, encoder):
    engine = make_engine()
    engine.index([CORPUS])
    engine.models.embedder = spy = Spy(encoder, fingerprint="another-model|dim=1024")
    summary = engine.index([CORPUS])
    assert summary.rebuilt and summary.changed == 2 and len(spy.embedded) == summary.chunks_total


def test_bad_files_are_reported_and_the_rest_indexed(make_engine, tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "good.md", "---\ntitle: Bon\n---\nLe maire a inauguré la médiathèque samedi.\n")
    write(corpus / "latin1.txt", "Le th\xe9\xe2tre rouvre ses portes.".encode("latin-1"))
    write(corpus / "empty.md", "---\ntitle: Vide\n---\n\n")
    write(corpus / "broken.md", "---\ntitle: [unclosed\n---\nTexte.\n")
    summary = make_engine().index([corpus])
    assert summary.articles_total == 1
    reasons = {p.origin.rsplit("/", 1)[-1]: p.reason for p in summary.problems}
    assert set(reasons) == {"latin1.txt", "empty.md", "broken.md"}
    assert "UTF-8" in reasons["latin1.txt"]
    assert "front matter" in reasons["broken.md"]


def test_a_duplicate_id_is_reported_naming_both_and_the_first_is_indexed(make_engine, tmp_path):
    first = write(tmp_path / "c1" / "x.md", "---\nid: same\n---\nPremier texte de l'article.\n")
    second = write(tmp_path / "c2" / "y.md", "---\nid: same\n---\nSecond texte de l'article.\n")
    summary = make_engine().index([tmp_path / "c1", tmp_path / "c2"])
    assert summary.articles_total == 1
    (problem,) = summary.problems
    assert problem.origin == str(second)
    assert problem.reason == f"duplicate id 'same': already read from {first}"
    assert "1 skipped" in summary.describe()


def test_missing_index_is_reported(make_engine):
    engine = make_engine()
    with pytest.raises(IndexMissing, match="no index in"):
        engine.ask("Who is Nick Turley?")
    with pytest.raises(IndexMissing, match="no index in"):
        engine.sources()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong count", "missing"])
def test_a_damaged_vector_file_is_detected_and_rebuilt_from_sqlite(
    damage, make_engine, encoder, tmp_path, caplog
):
    engine = make_engine()
    engine.index([CORPUS])
    data = engine.data_dir
    path = vectors_path(data, 1)
    if damage == "garbage":
        path.write_bytes(b"not a faiss index")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "wrong count":  # a valid FAISS file, but of another index
        other = make_engine(tmp_path / "other")
        write(tmp_path / "one.md", "---\ntitle: Un\n---\nLe maire a inauguré la médiathèque.\n")
        other.index([tmp_path / "one.md"])
        path.write_bytes(vectors_path(other.data_dir, 1).read_bytes())
    else:
        path.unlink()
    fresh = make_engine(data)
    fresh.models.embedder = spy = Spy(encoder)
    with caplog.at_level("WARNING", logger="revue"):
        hits = fresh.search("Who is Nick Turley?", k=3)
    assert any("Nick Turley" in h.text for h in hits)
    assert "rebuilding it from the database" in caplog.text
    assert spy.embedded == []  # rebuilt from the vectors kept in SQLite, nothing re-embedded
    assert fresh.retriever().vectors.size == fresh.retriever().store.counts()[1]
    caplog.clear()
    again = make_engine(data)  # the rebuilt file was saved: no second warning
    with caplog.at_level("WARNING", logger="revue"):
        again.search("Who is Nick Turley?", k=3)
    assert "rebuilding" not in caplog.text


def test_near_identical_chunks_are_returned_once(make_engine, tmp_path):
    text = "L'usine Renault de Flins fermera ses portes en 2024, a annoncé la direction lundi."
    write(
        tmp_path / "wire.jsonl",
        "\n".join(
            [
                article("ouest", text, source="Ouest-France"),
                article("sud", text + " ", source="Sud Ouest"),
                article("autre", "Le festival de jazz de Marciac affiche complet cette année."),
            ]
        )
        + "\n",
    )
    engine = make_engine()
    engine.index([tmp_path / "wire.jsonl"])
    hits = engine.search("Quand l'usine de Flins va-t-elle fermer ?", k=5)
    assert [h.article_id for h in hits].count("ouest") + [h.article_id for h in hits].count(
        "sud"
    ) == 1


@pytest.mark.sqlite_only
def test_above_the_exact_search_size_an_hnsw_index_is_written_and_used(make_engine, tmp_path):
    engine = make_engine()
    engine.settings = engine.settings.model_copy(update={"exact_search_up_to": 3})
    summary = engine.index([CORPUS])
    assert summary.chunks_total > 3
    retriever = engine.retriever()
    assert retriever.vectors.kind == "hnsw"
    hits = engine.search("Who is Nick Turley?", k=3, mode="dense")
    assert any("Nick Turley" in h.text for h in hits)

    # Back under the limit (a larger setting): the next run rewrites an exact index, no embedding.
    reader = make_engine(engine.data_dir)
    summary = reader.index([CORPUS])
    assert summary.chunks_embedded == 0
    assert reader.retriever().vectors.kind == "exact"
    assert [h.chunk_id for h in reader.search("Who is Nick Turley?", k=3, mode="dense")] == [
        h.chunk_id for h in hits
    ]


def as_revue_0_1_recorded_it(db: sqlite3.Connection, applied: list[str]) -> None:
    """Revue 0.1 recorded the migrations it applied in ``_migrations(name, applied_at)`` (its
    own runner), not in sqlite-utils' ``_sqlite_migrations``; later ones are recorded there."""
    db.executemany("delete from _sqlite_migrations where name = ?", [(n,) for n in applied])
    db.execute("create table [_migrations] ([name] TEXT PRIMARY KEY, [applied_at] TEXT)")
    db.executemany(
        "insert into _migrations values (?, ?)", [(n, "2026-11-20T09:00:00+00:00") for n in applied]
    )


def migrations_of(data_dir: Path) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(data_dir / "revue.db")
    try:
        if not db.execute(
            "select 1 from sqlite_master where name = '_sqlite_migrations'"
        ).fetchall():
            return []
        return db.execute(
            "select migration_set, name, applied_at from _sqlite_migrations order by id"
        ).fetchall()
    finally:
        db.close()


@pytest.mark.sqlite_only
def test_an_index_written_by_revue_0_1_is_read_without_writing_then_its_records_carried_over(
    make_engine,
):
    engine = make_engine()
    engine.index([CORPUS])
    engine.close()
    db = sqlite3.connect(engine.data_dir / "revue.db")
    with db:
        as_revue_0_1_recorded_it(db, ["001_initial", "002_staging_and_groups"])
    db.close()
    reader = make_engine(engine.data_dir)
    with writer_lock(engine.data_dir):  # a reindex is running: readers must not need the lock
        assert reader.ask("Why did OpenAI pause advertising?").citations
    assert reader.retriever().store.is_current()
    newer = ["003_stemmed_keywords", "004_filter_indexes"]  # recorded when it was built
    assert [m[1] for m in migrations_of(engine.data_dir)] == newer  # no write

    reader.index([CORPUS])  # the first writer: nothing applied twice, the records copied over
    carried = [m for m in migrations_of(engine.data_dir) if m[1] not in newer]
    assert carried == [
        ("revue", "001_initial", "2026-11-20T09:00:00+00:00"),
        ("revue", "002_staging_and_groups", "2026-11-20T09:00:00+00:00"),
    ]
    db = sqlite3.connect(engine.data_dir / "revue.db")
    legacy = db.execute("select name from _migrations order by name").fetchall()
    db.close()
    assert legacy == [("001_initial",), ("002_staging_and_groups",)]  # a 0.1 process still reads


@pytest.mark.sqlite_only
def test_an_index_written_before_a_schema_migration_is_upgraded_when_read(make_engine):
    engine = make_engine()
    engine.index([CORPUS])
    engine.close()
    db = sqlite3.connect(engine.data_dir / "revue.db")
    with db:  # back to the schema of migration 001, as Revue 0.1 wrote it before 002
        as_revue_0_1_recorded_it(db, ["001_initial"])
        db.execute("delete from _sqlite_migrations")
        db.execute("drop table chunks_stem")
        db.execute("drop index idx_articles_group_id")
        db.execute("alter table articles drop column group_id")
        db.execute("alter table articles drop column signature")
        db.execute("drop table staged_chunks")
    db.close()
    reader = make_engine(engine.data_dir)
    answer = reader.ask("Why did OpenAI pause advertising?")
    assert not answer.abstained and answer.citations
    assert reader.retriever().store.is_current()
    assert [m[1] for m in migrations_of(engine.data_dir)] == [
        "001_initial",
        "002_staging_and_groups",
        "003_stemmed_keywords",
        "004_filter_indexes",
    ]
    assert reader.search("rentabilité", k=1, mode="keyword")  # stems backfilled: "rentable"
    summary = reader.index([CORPUS])  # signatures are backfilled; nothing is re-embedded
    assert summary.chunks_embedded == 0 and summary.unchanged == 2
