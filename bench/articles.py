"""Whole-article evidence in retrieval (issue 22): does an article whose several chunks match
outrank one chunk of another article that matches more?

Each sampled article's title is the query and the article the one right answer; the ranking is
``revue search``'s chunks reduced to their articles (first rank kept), scored by nDCG@10 and
Recall@10, against plain stemmed BM25 over whole articles (the reference the issue compares
with), with and without their titles: Revue's chunks do not hold the title. (Raising a chunk by
its article's other chunks' fused scores was measured too, and dropped: docs/benchmarks.md.)

    python bench/articles.py DATA_DIR [--articles ../shared/data/news_fr/articles.jsonl]
        [--sample 300]

DATA_DIR is a Revue index of those articles (``REVUE_DATA_DIR=DIR revue index --corpus corpus
--corpus ../shared/data/news_fr/articles.jsonl``).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NEWS, ndcg_at, read_jsonl, require  # noqa: E402
from index.engine import Revue  # noqa: E402
from index.settings import Settings  # noqa: E402
from index.stemming import query_stems, stems  # noqa: E402


class WholeArticles:
    """Okapi BM25 (k1 1.2, b 0.75) over each article's stems: title and text."""

    def __init__(self, articles: list[dict[str, str]]) -> None:
        self.ids = [a["id"] for a in articles]
        self.docs = [Counter(stems(f"{a['title']}\n{a['text']}")) for a in articles]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.lengths) / len(self.lengths)
        df = Counter(s for d in self.docs for s in d)
        n = len(self.docs)
        self.idf = {s: math.log(1 + (n - f + 0.5) / (f + 0.5)) for s, f in df.items()}

    def rank(self, query: str, k: int = 10) -> list[str]:
        terms = [t for t in query_stems(query) if t in self.idf]
        scores = []
        for i, doc in enumerate(self.docs):
            norm = 1.2 * (0.25 + 0.75 * self.lengths[i] / self.avg)
            s = sum(self.idf[t] * doc[t] * 2.2 / (doc[t] + norm) for t in terms if t in doc)
            scores.append((s, i))
        scores.sort(reverse=True)
        return [self.ids[i] for _, i in scores[:k]]


def ranked_articles(engine: Revue, query: str, k: int = 10) -> list[str]:
    out: list[str] = []
    for hit in engine.search(query, k=50):
        if hit.article_id not in out:
            out.append(hit.article_id)
    return out[:k]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--articles", type=Path, default=NEWS)
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    require(args.data_dir, args.articles)
    articles = [a for a in read_jsonl(args.articles) if a.get("title") and a.get("text")]
    engine = Revue(Settings(data_dir=args.data_dir, reader="none", writer="none"))
    indexed = {a.id for a in engine.sources()}
    pool = [a for a in articles if a["id"] in indexed]
    sample = random.Random(args.seed).sample(pool, min(args.sample, len(pool)))
    print(f"{len(sample)} titles as queries, over {len(indexed)} indexed articles")
    print("| ranking | nDCG@10 | Recall@10 |\n|---|---|---|")
    _row("revue search (chunks)", [ranked_articles(engine, a["title"]) for a in sample], sample)
    for name, titled in (("with", pool), ("without", [dict(a, title="") for a in pool])):
        bm25 = WholeArticles(titled)
        runs = [bm25.rank(a["title"]) for a in sample]
        _row(f"stemmed BM25 over whole articles, {name} titles", runs, sample)


def _row(name: str, runs: list[list[str]], sample: list[dict[str, str]]) -> None:
    ndcg = sum(ndcg_at(r, {a["id"]}) for r, a in zip(runs, sample, strict=True)) / len(sample)
    recall = sum(a["id"] in r for r, a in zip(runs, sample, strict=True)) / len(sample)
    print(f"| {name} | {ndcg:.3f} | {recall:.3f} |", flush=True)


if __name__ == "__main__":
    main()
