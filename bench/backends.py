"""The same questions through both backends in one run: SQLite + FAISS against PostgreSQL +
pgvector (issue 23).

    python bench/backends.py [--data DIR] [--piaf DIR] [--news FILE] [--sample N]

The embedded index in ``--data`` (corpus/ plus the 3,000 news articles; built if missing, about
20 minutes on 2 cores) is copied into a PostgreSQL started here (``tests/pg.py``: pgserver's
PostgreSQL 16.2 + pgvector 0.6.2 on 127.0.0.1) by ``revue migrate``, so both hold the same
vectors. Then, for each backend, with the same model in the same process:

- PIAF nDCG@10 / Recall@100 (hybrid, dense, keyword) on a sample of questions, over an index of
  the PIAF paragraphs (built once, copied the same way);
- the seed questions: the citations (article and quote) of each answer, compared;
- ``bench/quotes.py``'s test: a distinctive sentence brings back its own article first;
- ``search`` and ``ask`` p50/p95 (quotes only: the language model's seconds are the same
  whichever backend), size on disk, and each backend's resident memory in a fresh process.

Prints Markdown and saves bench/results/backends.json. Nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    NEWS,
    PIAF,
    SEEDS,
    latency_questions,
    percentile,
    piaf,
    ranked_ids,
    require,
    scores,
    write_articles,
)

RESULTS = ROOT / "bench" / "results"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def engines(data: Path, url: str, embedder: Any) -> dict[str, Any]:
    from pydantic import SecretStr

    from index.engine import Revue
    from index.settings import Settings

    quotes_only: dict[str, Any] = {"reader": "none", "writer": "none", "translate": "off"}
    sqlite = Revue(Settings(data_dir=data, **quotes_only), embedder)
    t0 = time.perf_counter()
    report = sqlite.migrate_to(url)
    log(f"copied into PostgreSQL: {report.copied} articles, {report.chunks} chunks, "
        f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    pg = Revue(Settings(data_dir=data, database_url=SecretStr(url), **quotes_only), embedder)
    return {"sqlite": sqlite, "postgresql": pg, "migrate_s": report.seconds}


def piaf_quality(base: Any, server: Any, piaf_dir: Path, sample: int) -> dict[str, Any]:
    paragraphs, questions, qrels = piaf(piaf_dir)
    corpus = write_articles(paragraphs, RESULTS / "piaf_all.jsonl")
    scratch = base.scratch_for([corpus])
    scratch.index([corpus])
    both = engines(scratch.data_dir, server.database(), base.embedder)
    qs = random.Random(0).sample([q for q in questions if q.id in qrels], sample)
    vecs = base.embedder.encode_queries([q.question for q in qs])
    out: dict[str, Any] = {}
    for name in ("sqlite", "postgresql"):
        retriever = both[name].retriever()
        out[name] = {
            mode: scores(
                [
                    (ranked_ids(retriever.search(q.question, v, k=100, mode=mode)), qrels[q.id])
                    for q, v in zip(qs, vecs, strict=True)
                ]
            )
            for mode in ("hybrid", "dense", "keyword")
        }
    return out


def seed_answers(both: dict[str, Any]) -> dict[str, Any]:
    questions = [json.loads(x)["question"] for x in SEEDS.read_text().splitlines() if x.strip()]
    same, differ = 0, []
    for q in questions:
        cited = {
            name: [(c.article_id, c.quote) for c in both[name].ask(q).citations]
            for name in ("sqlite", "postgresql")
        }
        if cited["sqlite"] == cited["postgresql"]:
            same += 1
        else:
            differ.append({"question": q, **cited})
    return {"questions": len(questions), "same_citations": same, "differ": differ}


def quotes(both: dict[str, Any], news: Path, n: int) -> dict[str, Any]:
    from bench.quotes import distinctive_sentences, measure
    from index.ingest.corpus import load_corpus

    samples = distinctive_sentences(list(load_corpus([news]).articles), n)
    return {name: measure(both[name], samples) for name in ("sqlite", "postgresql")}


def latency(both: dict[str, Any], piaf_dir: Path) -> dict[str, Any]:
    qs = latency_questions(piaf_dir, 60)
    out: dict[str, Any] = {}
    for name in ("sqlite", "postgresql"):
        engine = both[name]
        engine.ask("warm-up")
        timings: dict[str, list[float]] = {"search": [], "ask": []}
        for q in qs:
            for kind, call in (("search", engine.search), ("ask", engine.ask)):
                t0 = time.perf_counter()
                call(q)
                timings[kind].append((time.perf_counter() - t0) * 1000)
        out[name] = {
            f"{kind}_{p}_ms": round(percentile(ms, p), 1)
            for kind, ms in timings.items()
            for p in (50, 95)
        }
    return out


RSS_PROBE = """
import resource, sys
from pathlib import Path
from index.engine import Revue
from index.settings import Settings
kw = {"database_url": sys.argv[2]} if sys.argv[2] else {}
e = Revue(Settings(data_dir=Path(sys.argv[1]), reader="none", writer="none", **kw))
for q in ["Why did OpenAI pause advertising?", "Qui a gagné les élections ?", "grève SNCF"] * 5:
    e.ask(q)
rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1])
print(rss // 1024)
"""


def memory_and_disk(data: Path, url: str) -> dict[str, Any]:
    import psycopg

    rss = {}
    for name, target in (("sqlite", ""), ("postgresql", url)):
        probe = [sys.executable, "-c", RSS_PROBE, str(data), target]
        done = subprocess.run(probe, capture_output=True, text=True, cwd=ROOT, check=True)
        rss[name] = int(done.stdout.strip().splitlines()[-1])
    files = [p for p in data.iterdir() if p.name.startswith(("revue.db", "vectors-"))]
    with psycopg.connect(url) as conn:
        row = conn.execute("select pg_database_size(current_database())").fetchone()
    return {
        "rss_mb_per_bot_process": rss,
        "disk_mb": {
            "sqlite": round(sum(p.stat().st_size for p in files) / 2**20, 1),
            "postgresql": round((row[0] if row else 0) / 2**20, 1),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=RESULTS / "news3k")
    ap.add_argument("--news", type=Path, default=NEWS)
    ap.add_argument("--piaf", type=Path, default=PIAF)
    ap.add_argument("--sample", type=int, default=500, help="PIAF questions and quotes")
    args = ap.parse_args()
    require(args.news, args.piaf)
    from bench.quotes import engine_for
    from tests.pg import TemporaryPostgres

    base = engine_for(args.news, args.data)
    server = TemporaryPostgres.start()
    try:
        url = server.database()
        both = engines(args.data, url, base.embedder)
        result: dict[str, Any] = {"migrate_s": round(both["migrate_s"], 1)}
        result["seeds"] = seed_answers(both)
        log(f"seeds: {result['seeds']['same_citations']}/{result['seeds']['questions']} same")
        result["latency"] = latency(both, args.piaf)
        log(f"latency: {result['latency']}")
        result["quotes"] = quotes(both, args.news, args.sample // 2)
        result |= memory_and_disk(args.data, url)
        result["piaf"] = piaf_quality(base, server, args.piaf, args.sample)
    finally:
        server.remove()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "backends.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps({k: v for k, v in result.items() if k != "quotes"}, indent=2))
    for name, q in result["quotes"].items():
        print(name, {k: v for k, v in q.items() if k != "misses"})
    shutil.rmtree(RESULTS / "pg", ignore_errors=True)


if __name__ == "__main__":
    main()
