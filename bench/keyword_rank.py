"""Keyword ranking in PostgreSQL: ``ts_rank_cd`` against BM25 (issue 23).

    python bench/keyword_rank.py [--piaf DIR] [--data DIR]

PostgreSQL's own ranking, ``ts_rank_cd``, weighs how often and how close the query's terms
occur in a chunk, but not how rare they are in the index (no IDF). Revue's PostgreSQL backend
ranks by BM25 in SQL instead (``index/storage/postgres/library.py``: document frequencies counted
from the ``terms`` table, FTS5's constants). This measures the three on the same stems, keyword
retrieval alone (no vectors: the model is not loaded): nDCG@10 and Recall@100 over every PIAF
question, paragraphs as documents, and the 10 seed questions' evidence (its article among the
first 3).

The PIAF paragraphs and the seeds are indexed with a hashing encoder (the vectors are not used),
copied into a PostgreSQL started here, and a ``tsvector`` of each chunk's stems is added for
``ts_rank_cd``. Prints Markdown; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import PIAF, SEEDS, piaf, ranked_ids, require, scores, write_articles  # noqa: E402

RESULTS = ROOT / "bench" / "results"

TS_RANK_CD = """
select id, ts_rank_cd(stem_vec, (%(query)s)::tsquery) as r from chunks
where stem_vec @@ (%(query)s)::tsquery order by r desc, id limit %(k)s
"""


def ts_rank_cd_search(library: Any) -> Callable[..., list[tuple[int, float]]]:
    def stem_search(stems: list[str], k: int, *_: Any) -> list[tuple[int, float]]:
        query = " | ".join("'" + s.replace("'", "''") + "'" for s in stems)
        if not query:
            return []
        rows = library.conn.execute(TS_RANK_CD, {"query": query, "k": k})
        return [(int(c), float(r)) for c, r in rows]

    return stem_search


class TsRank:
    """The PostgreSQL library with its keyword ranking replaced by ``ts_rank_cd``."""

    def __init__(self, library: Any) -> None:
        self.library = library
        self.stem_search = ts_rank_cd_search(library)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.library, name)


def add_stem_vectors(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("alter table chunks add column stem_vec tsvector")
        conn.execute(
            "update chunks c set stem_vec = to_tsvector('simple', s.stems) from ("
            "select chunk_id, string_agg(repeat(term || ' ', tf), ' ') as stems "
            "from terms group by chunk_id) s where s.chunk_id = c.id"
        )
        conn.execute("create index on chunks using gin (stem_vec)")


def evaluate(
    engine: Any, questions: list[Any], qrels: dict[str, set[str]], rank: str
) -> dict[str, Any]:
    dummy = np.zeros(engine.embedder.dim, dtype=np.float32)
    with engine.reading() as (retriever, library):
        if rank == "ts_rank_cd":
            retriever.store = TsRank(library)
        runs = [
            (ranked_ids(retriever.search(q.question, dummy, k=100, mode="keyword")), qrels[q.id])
            for q in questions
        ]
    return scores(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--piaf", type=Path, default=PIAF)
    ap.add_argument("--data", type=Path, default=RESULTS / "keyword_rank")
    args = ap.parse_args()
    require(args.piaf, SEEDS)
    from pydantic import SecretStr

    from bench.filters import HashEncoder384
    from index.engine import Revue
    from index.settings import Settings
    from tests.pg import TemporaryPostgres

    paragraphs, questions, qrels = piaf(args.piaf)
    corpus = write_articles(paragraphs, RESULTS / "piaf_all.jsonl")
    encoder = HashEncoder384()
    sqlite = Revue(Settings(data_dir=args.data, writer="none", reader="none"), encoder)
    sqlite.index([corpus])
    qs = [q for q in questions if q.id in qrels]
    server = TemporaryPostgres.start()
    try:
        url = server.database()
        sqlite.migrate_to(url)
        add_stem_vectors(url)
        pg = Revue(
            Settings(data_dir=args.data, database_url=SecretStr(url), writer="none", reader="none"),
            encoder,
        )
        out: dict[str, Any] = {}
        for name, engine, rank in (
            ("sqlite FTS5 bm25", sqlite, "bm25"),
            ("postgresql bm25 (shipped)", pg, "bm25"),
            ("postgresql ts_rank_cd", pg, "ts_rank_cd"),
        ):
            t0 = time.perf_counter()
            out[name] = evaluate(engine, qs, qrels, rank) | {
                "ms_per_query": round((time.perf_counter() - t0) * 1000 / len(qs), 1)
            }
            print(name, json.dumps(out[name]), flush=True)
    finally:
        server.remove()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "keyword_rank.json").write_text(json.dumps(out, indent=2))
    print("| ranking | nDCG@10 | Recall@100 | ms / query |\n|---|---|---|---|")
    for name, r in out.items():
        print(f"| {name} | {r['ndcg@10']:.3f} | {r['recall@100']:.3f} | {r['ms_per_query']} |")


if __name__ == "__main__":
    main()
