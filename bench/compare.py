"""Revue against the LangChain peer (bench/peer.py), measured in the same run, side by side.

    python bench/compare.py [--news FILE] [--articles N] [--runs R] [--encode-sample F]
                            [--scale DATA_DIR] [--piaf DIR] [--only index,query,seeds,cold,quality]

- quality: nDCG@10 and Recall@100 on PIAF (761 paragraphs, 3,835 judged questions) for Revue
  hybrid, dense-only and BM25-only and for the peer, each indexing the same paragraphs here.
- index: wall time and peak memory (peak RSS of a fresh process, model included) to index the seed
  articles plus the first N news articles, median of R runs each; Revue's throughput ratio to the
  raw model encode of its own chunks in the same process (a random share F of them, scaled).
- query: p50/p95 of retrieval alone and of a full answer, on that index and, with --scale (a
  Revue data directory of the 36k articles), at that size: the peer gets Revue's vectors through
  ``FAISS.from_embeddings``, so that only search is compared there.
- seeds: evidence among the first 3 citations (Revue) or top-3 chunks (peer), seeds + N news.
- cold: from process start to the first answer, with a built index (median of R).

Every figure goes to bench/results/compare.json as each section ends; the plot to
bench/results/latency.png (--plot PATH elsewhere: docs/latency.png is the published one, drawn
from a full run with --scale). Progress is printed as it goes; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    NEWS,
    PIAF,
    SEEDS,
    chunk_texts,
    embedded,
    latency_questions,
    percentile,
    piaf,
    ranked_ids,
    raw_encode_seconds,
    require,
    scores,
)

if TYPE_CHECKING:
    from bench.peer import Peer
    from index.evaluation import EvalQuestion
    from index.records import Article

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WORK = RESULTS / "compare"
CORPUS = ROOT / "corpus"
QUESTION = "Why did OpenAI pause advertising?"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def peak_mb() -> float:
    """This process's own peak RSS. ``ru_maxrss`` would not do: on Linux a child started by a
    parent that already holds the model inherits the parent's peak across fork and exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def subset(news: Path, n: int) -> Path:
    out = WORK / f"news-{n}.jsonl"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with news.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
            for i, line in enumerate(src):
                if i == n:
                    break
                dst.write(line)
    return out


def articles(paths: list[Path]) -> list[Article]:
    from index.ingest.corpus import load_corpus

    return list(load_corpus(paths).articles)


# -- children: each runs in a fresh process so that its peak memory is its own ----------------
def child_index_revue(data: Path, news: Path, sample: float) -> dict[str, Any]:
    import random

    from index.engine import Revue
    from index.settings import Settings

    t0 = time.perf_counter()
    engine = Revue(Settings(data_dir=data))
    summary = engine.index([CORPUS, news])
    wall = time.perf_counter() - t0
    index_s = summary.seconds  # the index run itself, model load excluded
    peak = peak_mb()
    # Revue's own chunks encoded raw: a random share of them, scaled to the whole, so that the
    # baseline does not double the benchmark's time.
    texts = chunk_texts(data)
    picked = random.Random(0).sample(texts, max(1, round(len(texts) * sample)))
    raw = raw_encode_seconds(engine.embedder, picked, engine.settings.batch_size)
    raw *= len(texts) / len(picked)
    return {
        "wall_s": wall,
        "index_s": index_s,
        "peak_mb": peak,
        "chunks": summary.chunks_total,
        "encode_sample": len(picked),
        "raw_encode_s": raw,
        "throughput_ratio": raw / index_s,
    }


def child_index_peer(data: Path, news: Path) -> dict[str, Any]:
    from bench.peer import Peer

    t0 = time.perf_counter()
    peer = Peer.build(articles([CORPUS, news]))
    peer.save(data)
    return {"wall_s": time.perf_counter() - t0, "peak_mb": peak_mb(), "chunks": peer.size}


def child_cold_revue(data: Path) -> dict[str, Any]:
    from index.engine import Revue
    from index.settings import Settings

    answer = Revue(Settings(data_dir=data)).ask(QUESTION)
    return {"answered": not answer.abstained}


def child_cold_peer(data: Path) -> dict[str, Any]:
    from bench.peer import Peer

    hits = Peer.load(data).search(QUESTION, k=3)
    return {"answered": bool(hits)}


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "index-revue": child_index_revue,
    "index-peer": child_index_peer,
    "cold-revue": child_cold_revue,
    "cold-peer": child_cold_peer,
}


def spawn(task: str, *args: Path | float) -> dict[str, Any]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", task, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"{task} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_s"] = elapsed
    return result


# -- parent -----------------------------------------------------------------------------------
def bench_index(news: Path, runs: int, sample: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for system in ("revue", "peer"):
        rows = []
        for r in range(runs):
            data = WORK / f"index-{system}-{r}"
            subprocess.run(["rm", "-rf", str(data)], check=True)
            log(f"index {system} run {r + 1}/{runs}: {news.name} and corpus/, fresh process")
            extra = (sample,) if system == "revue" else ()
            rows.append(spawn(f"index-{system}", data, news, *extra))
            log(f"index {system} run {r + 1}: {rows[-1]}")
        out[system] = {
            "runs": rows,
            **{
                k: statistics.median(row[k] for row in rows)
                for k in rows[0]
                if isinstance(rows[0][k], int | float)
            },
        }
    out["ratio_wall"] = out["revue"]["wall_s"] / out["peer"]["wall_s"]
    out["ratio_peak_mb"] = out["revue"]["peak_mb"] / out["peer"]["peak_mb"]
    return out


def timings(fn: Callable[[str], object], items: list[str]) -> dict[str, Any]:
    fn(items[0])  # warm-up
    times = []
    for q in items:
        t0 = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - t0)
    return {"p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000}


def bench_query(
    qs: list[str], revue_dir: Path, peer_dir: Path, scale: Path | None
) -> dict[str, Any]:
    from bench.peer import Peer, embeddings
    from index.engine import Revue
    from index.settings import Settings

    emb = embeddings()
    out = {}
    sizes: list[tuple[str, Path, Peer | None]] = []
    if (revue_dir / "revue.db").exists() and peer_dir.exists():
        sizes.append(("index", revue_dir, Peer.load(peer_dir, emb)))
    else:
        log("query: no indexes from the index step yet; measuring --scale only")
    if scale is not None:
        sizes.append(("scale", scale, None))
    for label, data, peer in sizes:
        engine = Revue(Settings(data_dir=data))
        engine.retriever()  # opened: the index is there
        if peer is None:  # the peer gets Revue's own chunks and vectors: search alone compared
            store = embedded(engine).store
            rows = list(store.db.execute("select text, vector, article_id from chunks order by id"))
            import numpy as np

            vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(
                len(rows), -1
            )
            peer = Peer.from_vectors([r[0] for r in rows], vecs, [r[2] for r in rows], emb)
        articles_n, chunks_n = embedded(engine).store.counts()
        label = f"{articles_n} articles"
        row = {
            "articles": articles_n,
            "chunks": chunks_n,
            "peer_chunks": peer.size,
            "revue_search": timings(partial(engine.search, k=10), qs),
            "revue_ask": timings(engine.ask, qs),
            "peer_search": timings(partial(peer.search, k=10), qs),
            # The peer's "answer" is its top-3 chunks: it has nothing more to do.
            "peer_ask": timings(partial(peer.search, k=3), qs),
        }
        out[label] = row
        log(f"query {label}: {row}")
        engine.close()
    return out


# Two ways to read a chunk ranking as a paragraph ranking. "top 100 chunks" is what each system
# returns for k=100 (Revue: 100 dense and 100 BM25 candidates, as in the product); when a
# paragraph is split into several chunks, 100 chunks hold fewer than 100 paragraphs. "100
# paragraphs" reads 300 chunks deep (300 candidates per list for Revue) and keeps the first 100
# distinct paragraphs, so that both systems are judged on 100 paragraphs.
DEPTHS = {"top 100 chunks": (100, 100), "100 paragraphs": (300, 300)}


def bench_quality(piaf_dir: Path) -> dict[str, Any]:
    """Revue hybrid, dense-only and BM25-only, and the peer, on the same PIAF paragraphs."""
    from bench.common import write_articles
    from bench.peer import Peer
    from index.engine import Revue
    from index.settings import Settings

    paragraphs, qs, qrels = piaf(piaf_dir)
    corpus = write_articles(paragraphs, WORK / "piaf.jsonl")
    judged = [q for q in qs if q.id in qrels]
    data = WORK / "piaf-revue"
    subprocess.run(["rm", "-rf", str(data)], check=True)
    engine = Revue(Settings(data_dir=data))
    engine.index([corpus])
    retriever = engine.retriever()
    vecs = engine.embedder.encode_queries([q.question for q in judged])
    out: dict[str, Any] = {depth: {} for depth in DEPTHS}
    for depth, (k, candidates) in DEPTHS.items():
        for mode in ("hybrid", "dense", "keyword"):
            out[depth][f"revue_{mode}"] = scores(
                [
                    (
                        ranked_ids(retriever.search(q.question, v, k, mode, candidates)),
                        qrels[q.id],
                    )
                    for q, v in zip(judged, vecs, strict=True)
                ]
            )
            log(f"quality {depth} revue {mode}: {out[depth][f'revue_{mode}']}")
    revue_chunks = embedded(engine).store.counts()[1]
    engine.close()
    peer = Peer.build(articles([corpus]))
    for depth, (k, _) in DEPTHS.items():
        out[depth]["peer"] = scores(
            [(ranked_ids(peer.search(q.question, k=k)), qrels[q.id]) for q in judged]
        )
        log(f"quality {depth} peer: {out[depth]['peer']}")
    out["chunks"] = {"paragraphs": len(paragraphs), "revue": revue_chunks, "peer": peer.size}
    return out


def bench_seeds(revue_dir: Path, peer_dir: Path) -> dict[str, Any]:
    """Seed evidence in Revue's first 3 citations, in Revue's and the peer's top-3 chunks."""
    from bench.peer import Peer
    from index.engine import Revue
    from index.evaluation import evaluate, load_questions, normalize
    from index.settings import Settings

    qs = load_questions(SEEDS)
    answerable = [q for q in qs if q.answerable]
    engine = Revue(Settings(data_dir=revue_dir))
    report = evaluate(engine, qs)
    peer = Peer.load(peer_dir)

    def found(q: EvalQuestion, texts: list[str]) -> bool:
        return any(normalize(e) in normalize(t) for e in q.evidence for t in texts)

    revue_top3 = [[h.text for h in engine.search(q.question, k=3)] for q in answerable]
    peer_top3 = [[h.text for h in peer.search(q.question, k=3)] for q in answerable]
    engine.close()
    out = {
        "answerable": len(answerable),
        "revue_citations_top3": sum(1 for r in report.results if r.answerable and r.passed),
        "revue_chunks_top3": sum(found(q, t) for q, t in zip(answerable, revue_top3, strict=True)),
        "peer_chunks_top3": sum(found(q, t) for q, t in zip(answerable, peer_top3, strict=True)),
        # how much text a reader is handed to find the evidence in
        "revue_chunk_chars": statistics.mean(len(x) for t in revue_top3 for x in t),
        "peer_chunk_chars": statistics.mean(len(x) for t in peer_top3 for x in t),
        "revue_summary": report.summary(),
        "revue_citation_misses": [r.id for r in report.results if r.answerable and not r.passed],
        "peer_chunk_misses": [
            q.id for q, t in zip(answerable, peer_top3, strict=True) if not found(q, t)
        ],
    }
    log(f"seeds: {out}")
    return out


def bench_cold(revue_dir: Path, peer_dir: Path, runs: int) -> dict[str, Any]:
    out = {}
    for system, data in (("revue", revue_dir), ("peer", peer_dir)):
        times = [spawn(f"cold-{system}", data)["process_s"] for _ in range(runs)]
        out[system] = {"median_s": statistics.median(times), "runs": times}
        log(f"cold {system}: {out[system]}")
    return out


def plot(query: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullLocator

    labels = list(query)
    sizes = [query[x]["chunks"] for x in labels]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, name, colour in (
        ("revue_search", "Revue retrieval (hybrid)", "tab:blue"),
        ("revue_ask", "Revue full answer", "tab:green"),
        ("peer_search", "LangChain FAISS search", "tab:red"),
    ):
        for pct, style, mark in (("p50", "-", "o"), ("p95", "--", "x")):
            ax.plot(
                sizes,
                [query[x][key][f"{pct}_ms"] for x in labels],
                color=colour,
                linestyle=style,
                marker=mark,
                label=f"{name} {pct}",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(FixedLocator(sizes))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels(
        [f"{query[x]['articles']:,} articles\n{query[x]['chunks']:,} chunks" for x in labels]
    )
    ax.set_ylabel("latency per question (ms, log scale)")
    ax.set_title("Query latency against corpus size (2 CPU cores, 50 questions)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        task, argv = sys.argv[2], sys.argv[3:]
        parsed: list[Path | float] = [Path(a) for a in argv]
        if task == "index-revue":  # (data, news, share of chunks for the raw-encode baseline)
            parsed[2] = float(argv[2])
        result = CHILDREN[task](*parsed)
        print(json.dumps(result))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--news", type=Path, default=NEWS)
    ap.add_argument("--articles", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--encode-sample",
        type=float,
        default=0.25,
        help="share of Revue's chunks re-encoded raw for the throughput ratio",
    )
    ap.add_argument("--scale", type=Path, help="a Revue data directory of the 36k articles")
    ap.add_argument("--piaf", type=Path, default=PIAF)
    ap.add_argument("--plot", type=Path, default=RESULTS / "latency.png", help="plot file")
    ap.add_argument(
        "--only",
        default="index,query,seeds,cold,quality",
        help="sections, in order (plot: redraw from the saved query figures)",
    )
    args = ap.parse_args()
    require(args.news, SEEDS)
    if args.scale is not None:
        require(args.scale / "revue.db")
    WORK.mkdir(parents=True, exist_ok=True)
    news = subset(args.news, args.articles)
    only = args.only.split(",")
    unknown = sorted(set(only) - {"index", "query", "seeds", "cold", "quality", "plot"})
    if unknown:
        ap.error(f"unknown section(s) {', '.join(unknown)}")
    out_path = RESULTS / "compare.json"
    results = json.loads(out_path.read_text()) if out_path.exists() else {}
    results["articles"] = args.articles
    revue_dir, peer_dir = WORK / "index-revue-0", WORK / "index-peer-0"
    sections = {
        "quality": lambda: bench_quality(args.piaf),
        "index": lambda: bench_index(news, args.runs, args.encode_sample),
        "query": lambda: bench_query(latency_questions(args.piaf), revue_dir, peer_dir, args.scale),
        "seeds": lambda: bench_seeds(revue_dir, peer_dir),
        "cold": lambda: bench_cold(revue_dir, peer_dir, args.runs),
    }
    if "quality" in only:
        require(args.piaf)
    for name in (x for x in only if x != "plot"):
        log(f"== {name}")
        results[name] = sections[name]()
        out_path.write_text(json.dumps(results, indent=2))  # each section saved as it ends
    if "query" in only or "plot" in only:
        if "query" not in results:
            sys.exit(f"no query figures in {out_path} to plot: run the query section first")
        plot(results["query"], args.plot)
    print(json.dumps(results, indent=2))
    log(f"wrote {out_path}")


if __name__ == "__main__":
    main()
