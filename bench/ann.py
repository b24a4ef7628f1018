"""Exact against approximate FAISS search on Revue's own chunk vectors: latency and recall@10.

    python bench/ann.py DATA_DIR [--queries N] [--sizes 15000,50000,...]

DATA_DIR is a built Revue data directory (its revue.db holds every chunk vector). Queries are
article titles encoded as e5 queries (``query: ``), as people ask. For each size (the first N
chunks), it times single-query search (what ``ask`` does) for the exact index and for HNSW and
IVF at several search efforts, and reports recall@10 against exact search on the same queries.
This is what set ``EXACT_UP_TO`` and the HNSW parameters in index/storage/vectors.py.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import faiss  # the benchmark compares index types that Revue does not ship
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import require  # noqa: E402
from index.storage import vectors  # noqa: E402


def load(db_path: Path, queries: int) -> tuple[np.ndarray, list[str]]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    blobs = [r[0] for r in db.execute("select vector from chunks order by id")]
    vecs = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
    titles = [
        r[0]
        for r in db.execute(
            "select title from articles where title is not null and length(title) > 20 "
            "order by random() limit ?",
            [queries],
        )
    ]
    db.close()
    return vecs, titles


def timed_search(index: faiss.Index, q: np.ndarray, k: int = 10) -> tuple[np.ndarray, float]:
    """Results for every query, and the median latency of one query at a time (ms)."""
    out, times = [], []
    for row in q:
        t = time.perf_counter()
        _, ids = index.search(row.reshape(1, -1), k)
        times.append((time.perf_counter() - t) * 1000)
        out.append(ids[0])
    return np.vstack(out), statistics.median(times)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(
        np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--sizes", default="15000,50000,100000,0", help="0 = all chunks")
    parser.add_argument("--out", type=Path, default=Path("bench/results/ann.json"))
    args = parser.parse_args()
    require(args.data_dir / "revue.db")
    from index.model.embedder import Embedder

    all_vecs, titles = load(args.data_dir / "revue.db", args.queries)
    q = Embedder().encode_queries(titles).astype(np.float32)
    faiss.omp_set_num_threads(2)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        data = np.ascontiguousarray(all_vecs[: size or len(all_vecs)])
        n, dim = data.shape
        flat = faiss.IndexFlatIP(dim)
        flat.add(data)
        truth, flat_ms = timed_search(flat, q)
        rows.append({"size": n, "index": "exact", "build_s": 0.0, "ms": flat_ms, "recall@10": 1.0})
        print(f"{n:>7} exact          {flat_ms:6.2f} ms", flush=True)
        t = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(dim, vectors.HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = vectors.HNSW_EF_CONSTRUCTION
        hnsw.add(data)
        build = time.perf_counter() - t
        for ef in (32, 64, 128, 256):
            hnsw.hnsw.efSearch = ef
            found, ms = timed_search(hnsw, q)
            r = recall(found, truth)
            rows.append(
                {"size": n, "index": f"hnsw ef={ef}", "build_s": build, "ms": ms, "recall@10": r}
            )
            print(
                f"{n:>7} hnsw ef={ef:<4}  {ms:6.2f} ms  recall@10 {r:.4f}  build {build:.0f} s",
                flush=True,
            )
        nlist = int(4 * np.sqrt(n))
        t = time.perf_counter()
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.train(data)
        ivf.add(data)
        build = time.perf_counter() - t
        for nprobe in (8, 16, 32, 64):
            ivf.nprobe = nprobe
            found, ms = timed_search(ivf, q)
            r = recall(found, truth)
            rows.append(
                {
                    "size": n,
                    "index": f"ivf{nlist} nprobe={nprobe}",
                    "build_s": build,
                    "ms": ms,
                    "recall@10": r,
                }
            )
            print(
                f"{n:>7} ivf nprobe={nprobe:<3} {ms:6.2f} ms  recall@10 {r:.4f}"
                f"  build {build:.0f} s",
                flush=True,
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
