"""What a filter costs at 36,000 articles: filtered retrieval against unfiltered, same index,
same questions, same process (the baseline).

The index holds the 36k articles of ``articles_all.jsonl.gz`` chunked as Revue chunks them, with
384-dimension vectors (multilingual-e5-small's size) from a hashing encoder: embedding 36k
articles with the real model takes ~2 h on 2 cores, and what a filter costs (selecting ids in
SQLite, FAISS's id selector over an HNSW or flat index, FTS5 joins) depends on the number and
size of vectors and rows, not on what the vectors mean. Query vectors come from the same
encoder; the model's own encoding of the question (~20 ms) is the same with or without a filter
and is left out of both sides.

    python -m bench.filters [--articles PATH] [--data DIR] [--queries N]
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bench.common import NEWS_ALL, embedded, percentile, read_jsonl, require
from index.records import NO_FILTERS, Filters

RESULTS = Path(__file__).resolve().parent / "results"


class HashEncoder384:
    """Each word hashed to one of 384 dimensions, normalised: texts sharing words are close."""

    name = "bench/hash-384"
    dim = 384
    max_tokens = 512
    fingerprint = "bench/hash-384|dim=384"

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for word in text.lower().split():
            h = zlib.crc32(word.encode())
            v[h % self.dim] += 1.0 if h & 1 else -1.0
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        if progress is not None and texts:
            progress(len(texts))
        return self.encode_queries(texts)


def timed(run: Callable[[], Sequence[object]], repeat: int = 3) -> tuple[float, int]:
    """The best of ``repeat`` runs, in ms, and how many results the last returned."""
    best, n = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = len(run())
        best = min(best, time.perf_counter() - t0)
    return best * 1000, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=Path, default=NEWS_ALL)
    ap.add_argument("--data", type=Path, default=RESULTS / "filters36k")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()
    require(args.articles)
    from index.engine import Revue
    from index.settings import Settings

    engine = Revue(Settings(data_dir=args.data, writer="none"), HashEncoder384())
    if not engine.is_indexed():
        t0 = time.perf_counter()
        summary = engine.index([args.articles])
        print(f"built: {summary.describe()} ({time.perf_counter() - t0:.0f} s)", flush=True)
    retriever = engine.retriever()
    outlets = engine.outlets()
    big, small = outlets[0][0], outlets[min(len(outlets) - 1, 20)][0]
    month = Filters(None, "2020-03-01", "2020-03-31")
    in_month = engine.outlets(month)[0][0]
    filters = {
        "none": NO_FILTERS,
        f"outlet, largest ({big})": Filters(big),
        f"outlet, 21st ({small})": Filters(small),
        "one year (2019)": Filters(None, "2019-01-01", "2019-12-31"),
        "one month (2020-03)": Filters(None, "2020-03-01", "2020-03-31"),
        f"outlet + month ({in_month})": Filters(in_month, month.since, month.until),
    }
    rows = read_jsonl(args.articles) if args.articles.suffix == ".jsonl" else _titles(args.articles)
    questions = [r["title"] for r in rows[:: max(1, len(rows) // args.queries)]][: args.queries]
    results: dict[str, dict[str, float]] = {}
    for name, f in filters.items():
        cold, warm, counts = [], [], []
        for q in questions:
            qvec = engine.embedder.encode_queries([q])[0]
            search = functools.partial(retriever.search, q, qvec, args.k, filters=f)
            retriever._allowed.clear()  # the first question with this filter
            cold.append(timed(search, repeat=1)[0])
            ms, n = timed(search)  # then asked again: its chunk selection is kept
            warm.append(ms)
            counts.append(n)
        allowed = len(embedded(engine).store.chunk_ids(f)) if f else embedded(engine).vectors.size
        results[name] = {
            "allowed_chunks": allowed,
            "cold_p50_ms": round(statistics.median(cold), 1),
            "p50_ms": round(statistics.median(warm), 1),
            "p95_ms": round(percentile(warm, 95), 1),
            "k_returned_min": min(counts),
        }
    base, cold_base = results["none"]["p50_ms"], results["none"]["cold_p50_ms"]
    vectors = embedded(engine).vectors
    print(f"index: {vectors.size} chunks, {vectors.kind}; k={args.k}")
    print(
        f"{'filter':38} {'allowed':>8} {'first':>7} {'x none':>6} {'again':>7} {'p95':>7} "
        f"{'x none':>6} {'min k':>5}"
    )
    for name, r in results.items():
        print(
            f"{name[:38]:38} {r['allowed_chunks']:>8} {r['cold_p50_ms']:>7} "
            f"{r['cold_p50_ms'] / cold_base:>6.2f} {r['p50_ms']:>7} {r['p95_ms']:>7} "
            f"{r['p50_ms'] / base:>6.2f} {r['k_returned_min']:>5}"
        )
    out = RESULTS / "filters.json"
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    engine.close()


def _titles(path: Path) -> list[dict[str, str]]:
    import gzip

    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


if __name__ == "__main__":
    main()
