"""Revue against the LangChain peer (bench/peer.py), measured in the same run, side by side.

    python bench/compare.py [--news FILE] [--articles N] [--runs R] [--scale DATA_DIR]
                            [--piaf DIR] [--only index,query,quality,seeds,cold]

- index: wall time and peak memory (RSS of a fresh process) to index the seed articles plus the
  first N news articles, median of R runs each; Revue's ratio to the raw model encode of its own
  chunks in the same process.
- query: p50/p95 of retrieval alone and of a full answer, on that index and, with --scale (a
  Revue data directory of the 36k articles), at that size: the peer gets Revue's vectors through
  ``FAISS.from_embeddings``, so that only search is compared there.
- quality: nDCG@10 and Recall@100 on PIAF for the peer (Revue's own figures: bench/run_all.py).
- seeds: evidence among the first 3 citations (Revue) or top-3 chunks (peer), seeds + N news.
- cold: from process start to the first answer, with a built index (median of R).

Every figure goes to bench/results/compare.json; the plot to docs/latency.png. Progress is
printed as it goes; nothing passes or fails.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NEWS, PIAF, SEEDS, ndcg_at, percentile, piaf, recall_at, require  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WORK = RESULTS / "compare"
CORPUS = ROOT / "corpus"
QUESTION = "Why did OpenAI pause advertising?"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def peak_mb() -> float:
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


def articles(paths: list[Path]):
    from index.corpus import load_corpus

    return list(load_corpus(paths).articles)


# -- children: each runs in a fresh process so that its peak memory is its own ----------------
def child_index_revue(data: Path, news: Path) -> dict:
    from index.engine import Revue
    from index.settings import Settings
    from index.store import Store

    t0 = time.perf_counter()
    engine = Revue(Settings(data_dir=data))
    summary = engine.index([CORPUS, news])
    wall = time.perf_counter() - t0
    encode_s = summary.seconds  # the index run itself, model load excluded
    peak = peak_mb()
    store = Store(data / "revue.db", readonly=True)
    texts = [r["text"] for r in store.db.query("select text from chunks order by id")]
    store.close()
    emb = engine.embedder
    t0 = time.perf_counter()
    emb._model.encode(
        [emb.passage_prefix + t for t in texts],
        batch_size=engine.settings.batch_size,
        normalize_embeddings=True,
    )
    raw = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "index_s": encode_s,
        "peak_mb": peak,
        "chunks": summary.chunks_total,
        "raw_encode_s": raw,
        "throughput_ratio": raw / encode_s,
    }


def child_index_peer(data: Path, news: Path) -> dict:
    from bench.peer import Peer

    t0 = time.perf_counter()
    peer = Peer.build(articles([CORPUS, news]))
    peer.save(data)
    return {"wall_s": time.perf_counter() - t0, "peak_mb": peak_mb(), "chunks": peer.size}


def child_cold_revue(data: Path) -> dict:
    from index.engine import Revue
    from index.settings import Settings

    answer = Revue(Settings(data_dir=data)).ask(QUESTION)
    return {"answered": not answer.abstained}


def child_cold_peer(data: Path) -> dict:
    from bench.peer import Peer

    hits = Peer.load(data).search(QUESTION, k=3)
    return {"answered": bool(hits)}


CHILDREN = {
    "index-revue": child_index_revue,
    "index-peer": child_index_peer,
    "cold-revue": child_cold_revue,
    "cold-peer": child_cold_peer,
}


def spawn(task: str, *args: Path) -> dict:
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
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_s"] = elapsed
    return result


# -- parent -----------------------------------------------------------------------------------
def bench_index(news: Path, runs: int) -> dict:
    out: dict = {}
    for system in ("revue", "peer"):
        rows = []
        for r in range(runs):
            data = WORK / f"index-{system}-{r}"
            subprocess.run(["rm", "-rf", str(data)], check=True)
            rows.append(spawn(f"index-{system}", data, news))
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


def questions(piaf_dir: Path, n: int = 50) -> list[str]:
    import random

    qs = [json.loads(x)["question"] for x in SEEDS.read_text().splitlines() if x.strip()]
    if (piaf_dir / "qa.jsonl").exists():
        _, piaf_qs, _ = piaf(piaf_dir)
        qs += [q.question for q in random.Random(0).sample(piaf_qs, n - len(qs))]
    return qs


def timings(fn, items: list[str]) -> dict:
    fn(items[0])  # warm-up
    times = []
    for q in items:
        t0 = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - t0)
    return {"p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000}


def bench_query(qs: list[str], revue_dir: Path, peer_dir: Path, scale: Path | None) -> dict:
    from bench.peer import Peer, embeddings
    from index.engine import Revue
    from index.settings import Settings

    emb = embeddings()
    out = {}
    sizes = []
    if (revue_dir / "revue.db").exists() and peer_dir.exists():
        sizes.append(("index", revue_dir, Peer.load(peer_dir, emb)))
    else:
        log("query: no indexes from the index step yet; measuring --scale only")
    if scale is not None:
        sizes.append(("scale", scale, None))
    for label, data, peer in sizes:
        engine = Revue(Settings(data_dir=data))
        retriever = engine.retriever()
        if peer is None:  # the peer gets Revue's own chunks and vectors: search alone compared
            store = retriever.store
            rows = list(store.db.execute("select text, vector, article_id from chunks order by id"))
            import numpy as np

            vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(
                len(rows), -1
            )
            peer = Peer.from_vectors([r[0] for r in rows], vecs, [r[2] for r in rows], emb)
        articles_n, chunks_n = retriever.store.counts()
        label = f"{articles_n} articles"
        row = {
            "articles": articles_n,
            "chunks": chunks_n,
            "peer_chunks": peer.size,
            "revue_search": timings(lambda q, e=engine: e.search(q, k=10), qs),
            "revue_ask": timings(engine.ask, qs),
            "peer_search": timings(lambda q, p=peer: p.search(q, k=10), qs),
            # The peer's "answer" is its top-3 chunks: it has nothing more to do.
            "peer_ask": timings(lambda q, p=peer: p.search(q, k=3), qs),
        }
        out[label] = row
        log(f"query {label}: {row}")
        engine.close()
    return out


def bench_quality(piaf_dir: Path) -> dict:
    from bench.common import write_articles
    from bench.peer import Peer

    paragraphs, qs, qrels = piaf(piaf_dir)
    corpus = write_articles(paragraphs, WORK / "piaf.jsonl")
    peer = Peer.build(articles([corpus]))
    ndcg, recall = [], []
    for q in (q for q in qs if q.id in qrels):
        ranked: list[str] = []
        for h in peer.search(q.question, k=100):
            if h.article_id not in ranked:
                ranked.append(h.article_id)
        ndcg.append(ndcg_at(ranked, qrels[q.id], 10))
        recall.append(recall_at(ranked, qrels[q.id], 100))
    out = {"ndcg@10": statistics.mean(ndcg), "recall@100": statistics.mean(recall)}
    log(f"quality peer: {out}")
    return out


def bench_seeds(revue_dir: Path, peer_dir: Path) -> dict:
    from bench.peer import Peer
    from index.engine import Revue
    from index.evaluation import evaluate, load_questions, normalize

    qs = load_questions(SEEDS)
    from index.settings import Settings

    report = evaluate(Revue(Settings(data_dir=revue_dir)), qs)
    peer = Peer.load(peer_dir)
    hits = 0
    answerable = [q for q in qs if q.answerable]
    for q in answerable:
        top = [normalize(h.text) for h in peer.search(q.question, k=3)]
        if any(normalize(e) in t for e in q.evidence for t in top):
            hits += 1
    revue_hits = sum(1 for r in report.results if r.answerable and r.passed)
    out = {
        "answerable": len(answerable),
        "revue_evidence_top3": revue_hits,
        "peer_evidence_top3": hits,
        "revue_summary": report.summary(),
    }
    log(f"seeds: {out}")
    return out


def bench_cold(revue_dir: Path, peer_dir: Path, runs: int) -> dict:
    out = {}
    for system, data in (("revue", revue_dir), ("peer", peer_dir)):
        times = [spawn(f"cold-{system}", data)["process_s"] for _ in range(runs)]
        out[system] = {"median_s": statistics.median(times), "runs": times}
        log(f"cold {system}: {out[system]}")
    return out


def plot(query: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(query)
    sizes = [query[x]["chunks"] for x in labels]
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, name in (
        ("revue_search", "Revue retrieval (hybrid)"),
        ("revue_ask", "Revue full answer"),
        ("peer_search", "LangChain FAISS search"),
    ):
        ax.plot(sizes, [query[x][key]["p50_ms"] for x in labels], marker="o", label=f"{name} p50")
        ax.plot(
            sizes,
            [query[x][key]["p95_ms"] for x in labels],
            marker="x",
            linestyle="--",
            label=f"{name} p95",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks in the index")
    ax.set_ylabel("latency per question (ms)")
    ax.set_title("Query latency against corpus size (2 CPU cores)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        result = CHILDREN[sys.argv[2]](*map(Path, sys.argv[3:]))
        print(json.dumps(result))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--news", type=Path, default=NEWS)
    ap.add_argument("--articles", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scale", type=Path, help="a Revue data directory of the 36k articles")
    ap.add_argument("--piaf", type=Path, default=PIAF)
    ap.add_argument("--only", default="index,query,quality,seeds,cold")
    args = ap.parse_args()
    require(args.news, SEEDS)
    if args.scale is not None:
        require(args.scale / "revue.db")
    WORK.mkdir(parents=True, exist_ok=True)
    news = subset(args.news, args.articles)
    only = args.only.split(",")
    out_path = RESULTS / "compare.json"
    results = json.loads(out_path.read_text()) if out_path.exists() else {}
    results["articles"] = args.articles
    revue_dir, peer_dir = WORK / "index-revue-0", WORK / "index-peer-0"
    if "index" in only:
        results["index"] = bench_index(news, args.runs)
    if "query" in only:
        results["query"] = bench_query(questions(args.piaf), revue_dir, peer_dir, args.scale)
        plot(results["query"], ROOT / "docs" / "latency.png")
    if "quality" in only:
        require(args.piaf)
        results["quality"] = bench_quality(args.piaf)
    if "seeds" in only:
        results["seeds"] = bench_seeds(revue_dir, peer_dir)
    if "cold" in only:
        results["cold"] = bench_cold(revue_dir, peer_dir, args.runs)
    out_path.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    log(f"wrote {out_path}")


if __name__ == "__main__":
    main()
