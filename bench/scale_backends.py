"""Both backends at 36,000 articles: ``search`` latency, and the time until 20 new articles are
answerable (issue 23).

    python bench/scale_backends.py [--articles FILE] [--data DIR] [--questions N]

The index holds the 35,987 articles of ``articles_all.jsonl.gz`` chunked as Revue chunks them,
with 384-dimension vectors from ``bench.filters``' hashing encoder (the real model takes ~2 h
to embed them on 2 cores; latency and indexing costs depend on the rows and vectors, not on
what the vectors mean). It is built in ``--data`` if missing, then copied into a PostgreSQL
started here (``revue migrate``). Then, in this process, for each backend:

- ``search`` p50/p95 (k = 10) over half article titles and half PIAF questions, index only
  (the hashing encoder costs microseconds; the real model adds the same ~50 ms to both);
- 20 new articles made answerable as a feed poll does it: before issue 23, the whole corpus
  parsed again and the FAISS file rebuilt; now, the new entries alone, added to a grown FAISS
  file or inserted into PostgreSQL; the real model's time to embed those 20 articles is
  measured once, on the same machine, and added.

Prints Markdown, saves bench/results/scale_backends.json; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import NEWS, NEWS_ALL, PIAF, percentile, require  # noqa: E402
from bench.filters import HashEncoder384  # noqa: E402
from bench.scale import questions  # noqa: E402

RESULTS = ROOT / "bench" / "results"
MARK = "Dépêche inédite du zorglub quintessentiel"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def search_latency(engine: Any, qs: list[str]) -> dict[str, float]:
    engine.search("warm-up")
    ms = []
    for q in qs:
        t0 = time.perf_counter()
        engine.search(q, k=10)
        ms.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1)}


def new_articles(folder: Path, n: int = 20) -> Path:
    """``n`` articles of the 3,000-article file under new ids, each opening with a sentence no
    other article holds (the probe finds it; the rest makes it a wire copy of its original)."""
    rows = [json.loads(x) for x in NEWS.read_text().splitlines()[:n]]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "new.jsonl"
    path.write_text(
        "".join(
            json.dumps(r | {"id": f"new-{i}", "text": f"{MARK} numéro {i}. {r['text']}"}) + "\n"
            for i, r in enumerate(rows)
        )
    )
    return path


def answerable(engine: Any, corpus: list[Path], probe: str, prune: bool) -> dict[str, float]:
    t0 = time.perf_counter()
    summary = engine.index(corpus, prune=prune)
    seconds = time.perf_counter() - t0
    assert summary.added == 20, summary
    hit = engine.search(probe, k=1)[0]
    assert hit.article_id == "new-3", hit
    return {"index_s": round(seconds, 1)}


def real_embedding_seconds(path: Path) -> float:
    from index.indexing.embedding import chunk_all
    from index.ingest.corpus import load_corpus
    from index.model.embedder import Embedder
    from index.settings import Settings

    s = Settings()
    model = Embedder(s.model, batch_size=s.batch_size, bf16=s.bf16)
    articles = load_corpus([path]).articles
    texts = [c.text for chunks in chunk_all(model, articles, lambda *_: None) for c in chunks]
    model.encode_passages(texts[:4])
    t0 = time.perf_counter()
    model.encode_passages(texts)
    return round(time.perf_counter() - t0, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--articles", type=Path, default=NEWS_ALL)
    ap.add_argument("--data", type=Path, default=RESULTS / "hash36k")
    ap.add_argument("--questions", type=int, default=200)
    args = ap.parse_args()
    require(args.articles, NEWS, PIAF)
    from pydantic import SecretStr

    from index.engine import Revue
    from index.settings import Settings
    from index.storage.local import LocalWriter
    from tests.pg import TemporaryPostgres

    encoder = HashEncoder384()
    quiet: dict[str, Any] = {"writer": "none", "reader": "none", "translate": "off"}
    sqlite = Revue(Settings(data_dir=args.data, **quiet), encoder)
    if not sqlite.is_indexed():
        t0 = time.perf_counter()
        log(f"built: {sqlite.index([args.articles]).describe()} ({time.perf_counter() - t0:.0f} s)")
    qs = [q for _, q in questions(args.articles, PIAF, args.questions)]
    server = TemporaryPostgres.start()
    out: dict[str, Any] = {}
    try:
        url = server.database()
        report = sqlite.migrate_to(url)
        out["migrate_s"] = round(report.seconds, 1)
        log(f"copied {report.articles} articles, {report.chunks} chunks in {report.seconds:.0f} s")
        pg = Revue(Settings(data_dir=args.data, database_url=SecretStr(url), **quiet), encoder)
        out["search"] = {"sqlite": search_latency(sqlite, qs), "postgresql": search_latency(pg, qs)}
        log(f"search: {out['search']}")
        fresh = new_articles(RESULTS / "scale_new")
        probe = f"{MARK} numéro 3"
        copy = RESULTS / "hash36k-copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(args.data, copy, ignore=shutil.ignore_patterns("eval"))
        grown = Revue(Settings(data_dir=copy, **quiet), encoder)
        # What a poll does now: the new entries alone, adding only.
        out["new_20"] = {
            "postgresql": answerable(pg, [fresh], probe, prune=False),
            "sqlite, growing the FAISS file": answerable(grown, [fresh], probe, prune=False),
        }
        shutil.rmtree(copy)
        shutil.copytree(args.data, copy, ignore=shutil.ignore_patterns("eval"))
        rebuilt = Revue(Settings(data_dir=copy, **quiet), encoder)
        setattr(LocalWriter, "_grown", lambda *_: None)  # noqa: B010  the path before issue 23
        # What a poll did before: the whole corpus parsed again, the FAISS file rebuilt.
        out["new_20"]["sqlite, rebuilding it (before)"] = answerable(
            rebuilt, [args.articles, fresh], probe, prune=True
        )
        shutil.rmtree(copy)
        out["real_model_embedding_s"] = real_embedding_seconds(fresh)
    finally:
        server.remove()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale_backends.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
