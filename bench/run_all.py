"""Revue's benchmarks: retrieval quality, indexing throughput, ask latency.

    python bench/run_all.py [--piaf DIR] [--news FILE] [--only quality,throughput,latency]

- quality: nDCG@10 and Recall@100 on PIAF (761 French paragraphs, 3,835 questions) for hybrid,
  dense-only and BM25-only retrieval (chunk hits mapped to their paragraph, first rank kept);
  then, on the held-out third the reader never saw (1,293 questions, and 400 of them translated
  to English), hybrid against hybrid reordered by the reader (`revue search`), with its cost.
- throughput: indexing the PIAF paragraphs from scratch, against the raw model encode of the
  very same chunks in the same process (the physical limit on this CPU): a ratio.
- latency: `ask` p50/p95 over the seed questions and a sample of PIAF questions, on the seeds
  plus the 3,000 French news articles (the index `revue eval --corpus corpus --corpus FILE`
  builds; built here if missing), with the reader and without it, in the same run.

Results are printed as Markdown and saved to bench/results/*.json. Nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    NEWS,
    PIAF,
    PiafQuestion,
    chunk_texts,
    latency_questions,
    percentile,
    piaf,
    ranked_ids,
    raw_encode_seconds,
    read_jsonl,
    require,
    scores,
    write_articles,
)
from index.engine import Revue  # noqa: E402
from index.model.reader_data import split  # noqa: E402
from index.settings import Settings  # noqa: E402

RESULTS = Path("bench/results")
CORPUS = Path("corpus")
ENGLISH = Path(__file__).with_name("questions") / "piaf_eval_en.jsonl"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def quality(engine: Revue, piaf_dir: Path, held_out_only: int = 0) -> dict[str, Any]:
    paragraphs, questions, qrels = piaf(piaf_dir)
    corpus = write_articles(paragraphs, RESULTS / "piaf_all.jsonl")
    scratch = engine.scratch_for([corpus])
    t0 = time.perf_counter()
    scratch.index([corpus])
    log(f"quality: PIAF indexed in {time.perf_counter() - t0:.0f} s")
    retriever = scratch.retriever()
    qs = [q for q in questions if q.id in qrels]
    vecs = scratch.embedder.encode_queries([q.question for q in qs])
    out: dict[str, Any] = {}
    held_out = [q for q in qs if split(q.title) == "eval"]
    if held_out_only:  # a sample of the held-out part alone: the reader's figures, quicker
        held_out = random.Random(0).sample(held_out, min(held_out_only, len(held_out)))
        out["held_out"] = held_out_quality(scratch, held_out, qrels)
        return out
    for mode in ("hybrid", "dense", "keyword"):
        out[mode] = scores(
            [
                (ranked_ids(retriever.search(q.question, v, k=100, mode=mode)), qrels[q.id])
                for q, v in zip(qs, vecs, strict=True)
            ]
        )
        log(f"quality: {mode} {out[mode]}")
    out["held_out"] = held_out_quality(scratch, held_out, qrels)
    return out


def held_out_quality(
    engine: Revue, questions: list[PiafQuestion], qrels: dict[str, set[str]]
) -> dict[str, Any]:
    """Hybrid against hybrid reordered by the reader, on questions the reader never saw."""
    english = {r["id"]: r["question"] for r in read_jsonl(ENGLISH)}
    sets = {
        "fr": [(q.question, qrels[q.id]) for q in questions],
        "en": [(question, qrels[qid]) for qid, question in english.items() if qid in qrels],
    }
    out: dict[str, Any] = {}
    for language, asked in sets.items():
        for rerank in (False, True):
            name = f"{language}_{'reader' if rerank else 'hybrid'}"
            t0 = time.perf_counter()
            runs = [(ranked_ids(engine.search(q, k=100, rerank=rerank)), rel) for q, rel in asked]
            out[name] = scores(runs) | {"s_per_query": (time.perf_counter() - t0) / len(asked)}
            log(f"quality: held-out {name} {out[name]}")
    return out


def throughput(engine: Revue, piaf_dir: Path, repeats: int = 3) -> dict[str, Any]:
    paragraphs, _, _ = piaf(piaf_dir)
    corpus = write_articles(paragraphs, RESULTS / "piaf_all.jsonl")
    runs = []
    for r in range(repeats):
        data = RESULTS / "throughput-index"
        shutil.rmtree(data, ignore_errors=True)
        fresh = Revue(engine.settings.model_copy(update={"data_dir": data}), engine.embedder)
        t0 = time.perf_counter()
        summary = fresh.index([corpus])
        index_s = time.perf_counter() - t0
        fresh.close()
        texts = chunk_texts(data)
        raw_s = raw_encode_seconds(engine.embedder, texts, engine.settings.batch_size)
        tokens = sum(engine.embedder.count_tokens(t) for t in texts)
        runs.append(
            {
                "chunks": summary.chunks_total,
                "tokens": tokens,
                "index_s": index_s,
                "raw_encode_s": raw_s,
                "ratio": raw_s / index_s,
            }
        )
        log(f"throughput run {r + 1}: {runs[-1]}")
    runs.sort(key=lambda x: x["ratio"])
    median = runs[len(runs) // 2]
    return {
        "median": median,
        "runs": runs,
        "index_tokens_per_s": median["tokens"] / median["index_s"],
        "raw_tokens_per_s": median["tokens"] / median["raw_encode_s"],
    }


def latency(engine: Revue, piaf_dir: Path, news: Path) -> dict[str, Any]:
    require(news)
    scratch = engine.scratch_for([CORPUS, news])
    t0 = time.perf_counter()
    summary = scratch.index([CORPUS, news])
    log(
        f"latency: index of {summary.articles_total} articles ready in "
        f"{time.perf_counter() - t0:.0f} s"
    )
    questions = latency_questions(piaf_dir)
    bare = Revue(scratch.settings.model_copy(update={"reader": "none"}), scratch.embedder)
    return {
        "articles": summary.articles_total,
        "chunks": summary.chunks_total,
        "questions": len(questions),
        "without_reader": timings(bare, questions),
        "with_reader": timings(scratch, questions),
    }


def timings(engine: Revue, questions: list[str]) -> dict[str, Any]:
    """`ask` and `search` times over ``questions``, after a warm-up."""
    engine.ask("warm-up question")
    times: list[float] = []
    answered: list[float] = []
    declined: list[float] = []
    for q in questions:
        t0 = time.perf_counter()
        answer = engine.ask(q)
        times.append(time.perf_counter() - t0)
        (declined if answer.abstained else answered).append(times[-1])
    search_times = []
    for q in questions:
        t0 = time.perf_counter()
        engine.search(q, k=10)
        search_times.append(time.perf_counter() - t0)
    return {
        "ask_p50_s": percentile(times, 50),
        "ask_p95_s": percentile(times, 95),
        "answered": len(answered),
        "answered_p50_s": percentile(answered, 50),
        "answered_p95_s": percentile(answered, 95),
        "declined": len(declined),
        "declined_p50_s": percentile(declined, 50),
        "declined_p95_s": percentile(declined, 95),
        "search_p50_s": percentile(search_times, 50),
        "search_p95_s": percentile(search_times, 95),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--piaf", type=Path, default=PIAF)
    ap.add_argument("--news", type=Path, default=NEWS)
    ap.add_argument("--only", default="quality,throughput,latency")
    ap.add_argument("--repeats", type=int, default=3, help="throughput runs (median reported)")
    ap.add_argument(
        "--held-out-only",
        type=int,
        default=0,
        metavar="N",
        help="quality: only N held-out questions, hybrid against the reader (0: everything)",
    )
    args = ap.parse_args()
    require(args.piaf)
    RESULTS.mkdir(parents=True, exist_ok=True)
    # The default data directory: scratch indexes land where `revue eval` puts them, so the
    # 3,000-article index built by `revue eval --corpus corpus --corpus FILE` is reused.
    engine = Revue(Settings())
    results: dict[str, Any] = {}
    for name in args.only.split(","):
        fn: Callable[[], dict[str, Any]] = {
            "quality": lambda: quality(engine, args.piaf, args.held_out_only),
            "throughput": lambda: throughput(engine, args.piaf, args.repeats),
            "latency": lambda: latency(engine, args.piaf, args.news),
        }[name]
        results[name] = fn()
        (RESULTS / f"{name}.json").write_text(json.dumps(results[name], indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
