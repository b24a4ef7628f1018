"""Throughput with 1, 2 and 4 processes asking at once, against one PostgreSQL and, as the
baseline in the same run, against one SQLite + FAISS data directory (issue 23).

    python bench/processes.py [--data DIR] [--questions N] [--procs 1,2,4]

Each process is what a bot process holds, without Discord: the real model and the engine
(quotes only: the language model's seconds do not depend on the backend), asking ``N`` fixed
questions (seed questions, PIAF questions, article titles) after all are loaded. Reported:
questions per second over the wall time from the common start to the last answer, and p50/p95
per question. The index of ``--data`` (corpus/ + 3,000 news articles) is copied into a
PostgreSQL started here (``tests/pg.py``). Prints Markdown; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import PIAF, latency_questions, percentile  # noqa: E402

RESULTS = ROOT / "bench" / "results"

ASKER = """
import json, sys, time
from pathlib import Path
from index.engine import Revue
from index.settings import Settings
data, url, start, questions = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4:]
kw = {"database_url": url} if url else {}
engine = Revue(Settings(data_dir=data, reader="none", writer="none", translate="off", **kw))
engine.ask("warm-up")
print("ready", flush=True)
while not start.exists():
    time.sleep(0.01)
times = []
for q in questions:
    t0 = time.perf_counter()
    engine.ask(q)
    times.append(time.perf_counter() - t0)
print(json.dumps({"end": time.time(), "times": times}), flush=True)
"""


def run(n: int, data: Path, url: str, questions: list[str], split: bool) -> dict[str, Any]:
    """``n`` processes asking at once; with ``split``, the cores shared out among them
    (``OMP_NUM_THREADS``: torch otherwise starts a thread per core in every process)."""
    start = Path(tempfile.mkdtemp()) / "start"
    threads = max(1, (os.cpu_count() or 1) // n)
    env = os.environ | ({"OMP_NUM_THREADS": str(threads)} if split else {})
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ASKER, str(data), url, str(start), *questions],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip
        for _ in range(n)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    began = time.time()
    start.touch()
    done = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    times = [t for d in done for t in d["times"]]
    wall = max(d["end"] for d in done) - began
    return {
        "processes": n,
        "threads_each": threads if split else "default",
        "questions": len(times),
        "per_second": round(len(times) / wall, 2),
        "p50_ms": round(percentile(times, 50) * 1000),
        "p95_ms": round(percentile(times, 95) * 1000),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=RESULTS / "news3k")
    ap.add_argument("--questions", type=int, default=30)
    ap.add_argument("--procs", default="1,2,4")
    ap.add_argument("--split", action="store_true", help="share the cores out among processes")
    args = ap.parse_args()
    from index.engine import Revue
    from index.settings import Settings
    from tests.pg import TemporaryPostgres

    questions = latency_questions(PIAF, args.questions)
    server = TemporaryPostgres.start()
    out: list[dict[str, Any]] = []
    try:
        url = server.database()
        Revue(Settings(data_dir=args.data)).migrate_to(url)
        for n in (int(x) for x in args.procs.split(",")):
            for backend, target in (("sqlite", ""), ("postgresql", url)):
                found = run(n, args.data, target, questions, args.split)
                out.append({"backend": backend} | found)
                print(json.dumps(out[-1]), flush=True)
    finally:
        server.remove()
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "processes_split.json" if args.split else "processes.json"
    (RESULTS / name).write_text(json.dumps(out, indent=2))
    print("| processes | backend | questions/s | p50 ms | p95 ms |\n|---|---|---|---|---|")
    for r in out:
        print(
            f"| {r['processes']} | {r['backend']} | {r['per_second']} | {r['p50_ms']} "
            f"| {r['p95_ms']} |"
        )


if __name__ == "__main__":
    main()
