"""What one machine holds today: articles, chunks, sizes, resident memory and question latency of
the 36,000-article index, the real model's share of a question, and what 1M / 10M articles need.

The index is the one ``bench/filters.py`` builds (``bench/results/filters36k``): the 35,987
articles of ``articles_all.jsonl.gz`` chunked as Revue chunks them, with 384-dimension vectors
(multilingual-e5-small's size) from a hashing encoder, since embedding them with the real model
takes ~2 h on 2 cores. Sizes, memory and retrieval cost depend on how many rows and vectors there
are, not on what the vectors mean. The real model's part of a question (encoding the question,
and the sentences an answer scores) is then timed in the same process on the very texts each
question had encoded, so each question's total with the real model is its measured parts added.

    python -m bench.scale [--data DIR] [--questions N] [--no-model]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sqlite3
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import NEWS_ALL, PIAF, embedded, percentile, piaf, require
from bench.filters import HashEncoder384

RESULTS = Path(__file__).resolve().parent / "results"
MODEL_DIM = 384  # multilingual-e5-small (index/model): the hashing encoder uses the same


def rss_mb() -> dict[str, int]:
    """This process's resident memory now, at its peak, private (anonymous) and file-backed
    (shared with other processes mapping the same file), in MB."""
    kb = {
        ln.split(":")[0]: int(ln.split()[1])
        for ln in Path("/proc/self/status").read_text().splitlines()
        if ln.startswith(("VmRSS", "VmHWM", "RssAnon", "RssFile"))
    }
    names = {"VmRSS": "rss", "VmHWM": "peak", "RssAnon": "private", "RssFile": "file"}
    return {names[k]: round(v / 1024) for k, v in kb.items()}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def disk(data: Path) -> dict[str, Any]:
    """File sizes, and what SQLite's pages hold (dbstat): live bytes per table, free pages."""
    db = data / "revue.db"
    faiss = sorted(data.glob("vectors-*.faiss"), key=lambda p: int(p.stem.split("-")[1]))
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        page = con.execute("pragma page_size").fetchone()[0]
        free = con.execute("pragma freelist_count").fetchone()[0] * page
        tables = dict(con.execute("select name, sum(pgsize) from dbstat group by name").fetchall())
    finally:
        con.close()
    return {
        "revue_db": db.stat().st_size,
        "revue_db_free_pages": free,
        "revue_db_live": db.stat().st_size - free,
        "tables": {k: v for k, v in sorted(tables.items(), key=lambda kv: -kv[1]) if v > 1 << 20},
        "faiss_file": faiss[-1].name if faiss else None,
        "faiss": faiss[-1].stat().st_size if faiss else 0,
    }


def questions(articles: Path, piaf_dir: Path, n: int) -> list[tuple[str, str]]:
    """Half article titles (the index holds their answer), half PIAF questions (French
    Wikipedia: most are declined), shuffled together."""
    with gzip.open(articles, "rt", encoding="utf-8") as fh:
        titles = [t for line in fh if line.strip() and (t := json.loads(line).get("title"))]
    _, piaf_qs, _ = piaf(piaf_dir)
    rng = random.Random(0)
    chosen = [("title", t) for t in rng.sample(titles, n // 2)]
    chosen += [("piaf", q.question) for q in rng.sample(piaf_qs, n - n // 2)]
    rng.shuffle(chosen)
    return chosen


class Recording:
    """The hashing encoder, keeping what each question made it encode and how long that took,
    so the real model can be timed on the same texts."""

    def __init__(self, inner: HashEncoder384) -> None:
        self.inner = inner
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self.fingerprint = inner.fingerprint
        self.queries: list[str] = []
        self.passages: list[str] = []
        self.seconds = 0.0

    def reset(self) -> None:
        self.queries, self.passages, self.seconds = [], [], 0.0

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        t0 = time.perf_counter()
        self.queries += texts
        out = self.inner.encode_queries(texts)
        self.seconds += time.perf_counter() - t0
        return out

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        t0 = time.perf_counter()
        self.passages += texts
        out = self.inner.encode_passages(texts, progress)
        self.seconds += time.perf_counter() - t0
        return out


def timed_questions(engine: Any, rec: Recording, qs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Each question searched (k=10) then asked; ms without the hashing encoder's own time, and
    the texts the ask encoded."""
    rows = []
    for kind, q in qs:
        rec.reset()
        t0 = time.perf_counter()
        engine.search(q, k=10)
        search_ms = (time.perf_counter() - t0 - rec.seconds) * 1000
        rec.reset()
        t0 = time.perf_counter()
        answer = engine.ask(q)
        ask_ms = (time.perf_counter() - t0 - rec.seconds) * 1000
        rows.append(
            {
                "kind": kind,
                "search_ms": search_ms,
                "ask_ms": ask_ms,
                "abstained": answer.abstained,
                "queries": list(rec.queries),
                "passages": list(rec.passages),
            }
        )
    return rows


def new_generation(engine: Any) -> dict[str, float]:
    """What a reader pays when a reindex commits: its FAISS file read again (forced here by
    forgetting the generation), while the previous one is still held."""
    before = rss_mb()
    engine._index.reload()  # as if a new generation had been committed
    t0 = time.perf_counter()
    engine.retriever()
    return {"reload_s": round(time.perf_counter() - t0, 2), "peak_mb": rss_mb()["peak"]} | {
        "rss_before_mb": before["rss"]
    }


def rebuild(engine: Any) -> dict[str, float]:
    """What every reindex pays at this size, however few articles changed: ``swap_in`` builds
    the next generation's FAISS index from every vector in SQLite."""
    from index.storage.vectors import VectorIndex

    store = embedded(engine).store
    t0 = time.perf_counter()
    built = VectorIndex.build(store.dim, store.iter_vectors())
    return {"seconds": round(time.perf_counter() - t0, 1), "vectors": built.size} | {
        "peak_mb": rss_mb()["peak"]
    }


def mapped(path: Path, queries: np.ndarray) -> dict[str, Any]:
    """The same FAISS file memory-mapped (``IO_FLAG_MMAP_IFC``) rather than read: how long it
    takes to open, and how much of it is private to this process after 100 searches (the rest is
    the OS's page cache, shared by every process on the machine that maps it)."""
    import faiss

    before = rss_mb()
    t0 = time.perf_counter()
    index: Any = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
    open_s = time.perf_counter() - t0
    inner: Any = faiss.downcast_index(index.index)
    inner.hnsw.efSearch = 256
    t0 = time.perf_counter()
    for q in queries[:100]:
        index.search(q.reshape(1, -1), 100)
    after = rss_mb()
    return {
        "open_s": round(open_s, 3),
        "search_ms": round((time.perf_counter() - t0) * 10, 2),
        "private_mb": after["private"] - before["private"],
        "file_backed_mb": after["file"] - before["file"],
    }


def real_model(rows: list[dict[str, Any]], chunks: list[str]) -> dict[str, Any]:
    """The real embedding model in this process: memory, per question the time to encode its
    question and the sentences its ask scored, and its indexing throughput on ``chunks``."""
    from index.model.embedder import Embedder

    before = rss_mb()
    t0 = time.perf_counter()
    model = Embedder()
    load_s = time.perf_counter() - t0
    loaded = rss_mb()
    model.encode_queries(["échauffement"])  # first call: lazy initialisation
    for row in rows:
        t0 = time.perf_counter()
        model.encode_queries(row["queries"][:1])
        row["model_query_ms"] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        model.encode_passages(row["passages"])
        row["model_passages_ms"] = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    model.encode_passages(chunks)
    per_s = len(chunks) / (time.perf_counter() - t0)
    return {
        "name": model.name,
        "dim": model.dim,
        "bf16": model.bf16,
        "load_s": round(load_s, 1),
        "rss_added_mb": loaded["rss"] - before["rss"],
        "rss_after_mb": rss_mb()["rss"],
        "chunks_per_s": round(per_s, 1),
        "chunks_timed": len(chunks),
    }


def spread(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(percentile(values, 95), 1),
        "max": round(max(values), 1),
    }


def latency(rows: list[dict[str, Any]], with_model: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "questions": len(rows),
        "answered": sum(not r["abstained"] for r in rows),
        "search_ms_index_only": spread([r["search_ms"] for r in rows]),
        "ask_ms_index_only": spread([r["ask_ms"] for r in rows]),
        "passages_encoded_per_ask": spread([float(len(r["passages"])) for r in rows]),
    }
    if with_model:
        out["model_query_ms"] = spread([r["model_query_ms"] for r in rows])
        out["model_passages_ms"] = spread([r["model_passages_ms"] for r in rows])
        out["search_ms_with_model"] = spread([r["search_ms"] + r["model_query_ms"] for r in rows])
        out["ask_ms_with_model"] = spread(
            [r["ask_ms"] + r["model_query_ms"] + r["model_passages_ms"] for r in rows]
        )
    return out


def estimate(articles: int, chunks: int, sizes: dict[str, Any]) -> dict[str, Any]:
    """1M and 10M articles at today's measured sizes per chunk and per article (linear: the
    chunks per article of this corpus, FAISS HNSW at its measured bytes per vector)."""
    per_chunk_faiss = sizes["faiss"] / chunks
    per_article_db = sizes["revue_db_live"] / articles
    out: dict[str, Any] = {
        "chunks_per_article": round(chunks / articles, 2),
        "faiss_bytes_per_chunk": round(per_chunk_faiss),
        "float32_vector_bytes": MODEL_DIM * 4,
        "hnsw_graph_bytes_per_chunk": round(per_chunk_faiss - MODEL_DIM * 4),
        "sqlite_live_bytes_per_article": round(per_article_db),
    }
    out["faiss_hnsw_GB_per_million_chunks"] = round(per_chunk_faiss * 1e6 / 1e9, 2)
    for n in (1_000_000, 10_000_000):
        c = n * chunks / articles
        out[f"{n // 1_000_000}M_articles"] = {
            "chunks_M": round(c / 1e6, 1),
            "float32_vectors_GB": round(c * MODEL_DIM * 4 / 1e9, 1),
            "faiss_hnsw_GB": round(c * per_chunk_faiss / 1e9, 1),
            "faiss_hnsw_int8_GB": round(c * (per_chunk_faiss - MODEL_DIM * 3) / 1e9, 1),
            "sqlite_GB": round(n * per_article_db / 1e9, 1),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=RESULTS / "filters36k")
    ap.add_argument("--articles", type=Path, default=NEWS_ALL)
    ap.add_argument("--piaf", type=Path, default=PIAF)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--no-model", action="store_true", help="leave out the real model's part")
    args = ap.parse_args()
    if not (args.data / "revue.db").exists():
        raise SystemExit(
            f"no index in {args.data}: build the 36k-article index with `python -m bench.filters`"
            f" (about 7 minutes with its hashing encoder), or pass --data DIR"
        )
    require(args.articles, args.piaf)
    from index.engine import Revue
    from index.settings import Settings

    report: dict[str, Any] = {"uptime_start": uptime(), "rss_start_mb": rss_mb()["rss"]}
    report["disk"] = disk(args.data)
    rec = Recording(HashEncoder384())
    engine = Revue(Settings(data_dir=args.data, writer="none", reader="none"), rec)
    t0 = time.perf_counter()
    engine.retriever()
    report["open_s"] = round(time.perf_counter() - t0, 2)
    report["rss_open_mb"] = rss_mb()["rss"]
    articles, chunks = embedded(engine).store.counts()
    report |= {"articles": articles, "chunks": chunks, "vector_kind": embedded(engine).vectors.kind}
    qs = questions(args.articles, args.piaf, args.questions + 5)
    timed_questions(engine, rec, qs[:5])  # warm-up: background sentences, language model
    rows = timed_questions(engine, rec, qs[5:])
    report["rss_answered_mb"] = rss_mb()
    report["new_generation"] = new_generation(engine)
    report["rebuild"] = rebuild(engine)
    faiss_file = args.data / report["disk"]["faiss_file"]
    report["mmap"] = mapped(faiss_file, rec.inner.encode_queries([q for _, q in qs]))
    report["uptime_index"] = uptime()
    if not args.no_model:
        sample = "select text from chunks where id % 731 = 0"  # 256 chunks across the index
        texts = [r[0] for r in embedded(engine).store.db.execute(sample)]
        report["model"] = real_model(rows, texts)
        report["uptime_model"] = uptime()
    report["latency"] = latency(rows, not args.no_model)
    report["by_kind"] = {
        kind: latency([r for r in rows if r["kind"] == kind], not args.no_model)
        for kind in ("title", "piaf")
    }
    report["estimate"] = estimate(articles, chunks, report["disk"])
    engine.close()
    out = RESULTS / "scale.json"
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
