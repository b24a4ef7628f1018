"""Two questions' retrievals at once (issue 23): the same retrievals on one thread, then split
over two, against an existing index; the ratio is the speed-up the engine's two workers get.

    python bench/readers.py DATA_DIR [--rounds 3]

DATA_DIR is a Revue index (e.g. corpus/ and the 3,000 news articles). The questions are the
tuning set's, encoded once beforehand: only retrieval (dense, keyword, phrase, fusion, chunks)
is timed.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import read_jsonl, require  # noqa: E402
from index.engine import Revue  # noqa: E402
from index.settings import Settings  # noqa: E402

QUESTIONS = Path(__file__).with_name("questions") / "reader_tuning.jsonl"


def retrieve(engine: Revue, items: Sequence[tuple[str, np.ndarray]]) -> None:
    for question, vec in items:
        with engine.reading() as (retriever, _):
            retriever.search(question, vec, k=10)


def timed(engine: Revue, parts: Sequence[Sequence[tuple[str, np.ndarray]]]) -> float:
    threads = [threading.Thread(target=retrieve, args=(engine, part)) for part in parts]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    require(args.data_dir)
    engine = Revue(Settings(data_dir=args.data_dir, reader="none", writer="none"))
    questions = [q["question"] for q in read_jsonl(QUESTIONS)]
    items = list(zip(questions, engine.embedder.encode_queries(questions), strict=True))
    items *= args.rounds
    retrieve(engine, items[:5])  # warm-up: the index opens, the vectors load
    one = timed(engine, [items])
    two = timed(engine, [items[::2], items[1::2]])
    print(
        f"{len(items)} retrievals: one thread {one:.2f} s, two threads {two:.2f} s, "
        f"speed-up {one / two:.2f}x"
    )


if __name__ == "__main__":
    main()
