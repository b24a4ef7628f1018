"""Time until N new articles are answerable, FAISS rebuilt (before) against grown (after), and
the memory of two reader processes, FAISS file read (before) against memory-mapped (after).

    python bench/incremental.py [--sizes 60000,300000] [--new 20] [--no-model] [--out FILE]

For each size S, a synthetic data directory of S random unit vectors of dimension 384 (5 chunks
per article) is built through the embedded index's own writer; then a run stages N new articles
(5 chunks each) and changes 2, and commits them twice from copies of that directory: once with
the rebuild every commit made before, once growing the previous file. Embedding does not depend
on S: it is timed once, the real model on N articles made of the seed articles' text (``--no-model``
skips it). The reader's side: the first load of the new generation, and the PSS and RSS that two
reader processes add once each has loaded the file and answered 50 questions.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.records import Article, Chunk  # noqa: E402
from index.storage.layout import vectors_path  # noqa: E402
from index.storage.local import LocalIndex, LocalWriter  # noqa: E402
from index.storage.protocols import NewArticle, Staged  # noqa: E402
from index.storage.vectors import EXACT_UP_TO, VectorIndex  # noqa: E402

DIM, PER_ARTICLE, CHANGED = 384, 5, 2
ROOT = Path(__file__).resolve().parent.parent


def unit(n: int, rng: np.random.Generator) -> np.ndarray:
    vecs = rng.standard_normal((n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs


def articles(prefix: str, n: int, rng: np.random.Generator, start: int = 0) -> list[NewArticle]:
    out = []
    for i in range(start, start + n):
        text = f"Article {prefix}{i}: " + " ".join(f"phrase {j} de {prefix}{i}." for j in range(5))
        a = Article(id=f"{prefix}{i}", text=text, source="Synthétique")
        chunks = tuple(Chunk(a.id, j, 0, len(text), text) for j in range(PER_ARTICLE))
        out.append(NewArticle(a, chunks, unit(PER_ARTICLE, rng)))
    return out


def build_base(data_dir: Path, size: int, rng: np.random.Generator) -> float:
    """A data directory of ``size`` vectors; the seconds its one commit took."""
    n, added = size // PER_ARTICLE, []
    with LocalWriter.open(data_dir, EXACT_UP_TO) as writer:
        for at in range(0, n, 2000):
            batch = articles("base", min(2000, n - at), rng, at)
            writer.store.stage(batch)
            added += [item.article for item in batch]
        started = time.perf_counter()
        writer.commit(Staged(tuple(added), (), (), {}, {}), DIM, {})
    return time.perf_counter() - started


def new_run(base: Path, work: Path, new: int, rebuild: bool, seed: int) -> dict[str, float]:
    """Stage ``new`` articles and change ``CHANGED`` in a copy of ``base``, then commit: the
    commit's seconds, split into the vector step and the SQLite transaction."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base, work)
    rng = np.random.default_rng(seed)
    added, changed = articles("new", new, rng), articles("base", CHANGED, rng)
    with LocalWriter.open(work, EXACT_UP_TO) as writer:
        writer.store.stage(added + changed)
        if rebuild:  # the commit as it was: every vector read from SQLite and indexed again
            writer._grown = lambda *_: None  # type: ignore[method-assign]
        swap = timed(writer.store, "commit")
        started = time.perf_counter()
        writer.commit(
            Staged(tuple(a.article for a in added), tuple(a.article for a in changed), (), {}, {}),
            DIM,
            {},
        )
        total = time.perf_counter() - started
    return {"vector_s": total - swap[0], "sqlite_s": swap[0], "commit_s": total}


def timed(obj: Any, name: str) -> list[float]:
    """Wrap ``obj.name`` to add its seconds to the returned list's one cell."""
    spent, original = [0.0], getattr(obj, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    setattr(obj, name, wrapper)
    return spent


def first_answer(data_dir: Path, seed: int) -> dict[str, float]:
    """Seconds for a fresh reader to load the new generation and answer, mapped and read."""
    query = unit(1, np.random.default_rng(seed))[0]
    started = time.perf_counter()
    index = LocalIndex(data_dir, EXACT_UP_TO)
    with index.reading() as snap:
        snap.vectors.search(query, 10)
        generation = index.generation or 0
    mapped = time.perf_counter() - started
    index.close()
    started = time.perf_counter()
    VectorIndex.load(vectors_path(data_dir, generation)).search(query, 10)
    return {"reader_mapped_s": mapped, "reader_read_s": time.perf_counter() - started}


def embed_seconds(new: int) -> dict[str, float]:
    """The real model's time to chunk and embed ``new`` articles of the seed articles' text."""
    from index.indexing.embedding import chunk_all
    from index.model.embedder import Embedder

    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.md"))]
    batch = [Article(id=f"e{i}", text=texts[i % len(texts)]) for i in range(new)]
    encoder = Embedder()
    encoder.encode_passages(["échauffement"])
    started = time.perf_counter()
    chunks = [c.text for cs in chunk_all(encoder, batch, lambda *_: None) for c in cs]
    encoder.encode_passages(chunks)
    return {"embed_s": time.perf_counter() - started, "embed_chunks": len(chunks)}


def rollup() -> dict[str, int]:
    """This process's memory in MB (Rss, Pss, Anonymous), from /proc/self/smaps_rollup."""
    out = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split()[:2]
        if key.rstrip(":") in ("Rss", "Pss", "Anonymous"):
            out[key.rstrip(":")] = int(value) // 1024
    return out


def child(path: Path, mapped: bool) -> None:
    """One reader process: load, answer 50 questions, say so, wait, then report its memory."""
    before = rollup()
    vectors = VectorIndex.load(path, mapped=mapped)
    for query in unit(50, np.random.default_rng(7)):
        vectors.search(query, 10)
    print("ready", flush=True)
    sys.stdin.readline()  # both readers are loaded now
    after = rollup()
    print(json.dumps({k: after[k] - before[k] for k in after}), flush=True)


def two_readers(path: Path, mapped: bool) -> list[dict[str, int]]:
    cmd = [sys.executable, __file__, "--child", str(path)] + (["--mapped"] if mapped else [])
    procs = [
        subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    out = [json.loads(p.stdout.readline()) for p in procs if p.stdout is not None]
    for p in procs:
        p.wait()
    return out


def search_cost(size: int, dead_share: float = 0.2) -> dict[str, Any]:
    """Single-query search p50 (ms, k=10) over ``size`` vectors, then with ``dead_share`` of
    them tombstoned: what filtering the dead costs until a compaction."""
    rng = np.random.default_rng(size)
    ids = np.arange(1, size + 1, dtype=np.int64)
    vectors = VectorIndex.build(DIM, [(ids, unit(size, rng))])
    queries = unit(200, rng)
    report: dict[str, Any] = {"size": size, "kind": vectors.kind, "dead_share": dead_share}
    dead: set[int] = set()
    for label in ("live_ms", "tombstoned_ms"):
        if label == "tombstoned_ms":
            dead = set(rng.choice(ids, int(size * dead_share), replace=False).tolist())
            vectors.grow(dead, [])
        times = []
        for q in queries:
            started = time.perf_counter()
            found = vectors.search(q, 10)
            times.append(time.perf_counter() - started)
            assert len(found) == 10 and not dead.intersection(cid for cid, _ in found)
        report[label] = round(float(np.median(times)) * 1000, 2)
    return report


def one_size(size: int, new: int, root: Path) -> dict[str, Any]:
    base = root / f"base-{size}"
    report: dict[str, Any] = {"size": size, "new_articles": new, "changed": CHANGED}
    report["base_build_s"] = build_base(base, size, np.random.default_rng(size))
    report["before"] = new_run(base, root / "work", new, rebuild=True, seed=1)
    report["after"] = new_run(base, root / "work", new, rebuild=False, seed=1)
    report["after"] |= first_answer(root / "work", seed=2)
    path = next((root / "work").glob("vectors-2.faiss"))
    report["kind"] = VectorIndex.load(path, mapped=True).kind
    report["file_mb"] = round(path.stat().st_size / 2**20)
    report["readers_read"] = two_readers(path, mapped=False)
    report["readers_mapped"] = two_readers(path, mapped=True)
    report["vector_step_ratio"] = report["before"]["vector_s"] / report["after"]["vector_s"]
    pss = [sum(r["Pss"] for r in report[k]) for k in ("readers_read", "readers_mapped")]
    report["reader_pss_ratio"] = pss[0] / max(pss[1], 1)
    shutil.rmtree(base)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="60000,300000")
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--no-model", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--search-cost", help="sizes: time search with 20%% tombstones, only")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mapped", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.mapped)
    if args.search_cost:
        for size in (int(s) for s in args.search_cost.split(",")):
            print(json.dumps(search_cost(size)), flush=True)
        return None
    report: dict[str, Any] = {} if args.no_model else embed_seconds(args.new)
    print(json.dumps(report), flush=True)
    with tempfile.TemporaryDirectory(prefix="revue-incremental-") as tmp:
        report["sizes"] = []
        for size in (int(s) for s in args.sizes.split(",")):
            report["sizes"].append(one_size(size, args.new, Path(tmp)))
            print(json.dumps(report["sizes"][-1]), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
