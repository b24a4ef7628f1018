"""Wire-copy grouping measured on real news: how many groups, how large, how similar.

    python bench/wire.py [ARTICLES.jsonl.gz] [--sample N]

Reads ``../shared/data/news_fr/articles_all.jsonl.gz`` by default. Prints the group counts, the
distribution of exact shingle Jaccard similarity inside groups (precision: copies should be
near-identical) and, for pairs just under the threshold, how many would have been missed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NEWS_ALL, percentile, require  # noqa: E402
from index.indexing import wire  # noqa: E402
from index.records import Article  # noqa: E402
from index.text import words as text_words  # noqa: E402


def shingles(text: str) -> set[str]:
    words = text_words(text)
    return {" ".join(words[i : i + wire.SHINGLE_WORDS]) for i in range(len(words) - 4)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", nargs="?", type=Path, default=NEWS_ALL)
    parser.add_argument("--sample", type=int, default=0, help="use only the first N articles")
    args = parser.parse_args()
    require(args.articles)
    opener = gzip.open if args.articles.suffix == ".gz" else open
    articles = []
    with opener(args.articles, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            articles.append(
                Article(id=str(r["id"]), text=r["text"], source=r.get("source"), date=r.get("date"))
            )
            if args.sample and len(articles) == args.sample:
                break
    t0 = time.perf_counter()
    sigs = wire.signatures_for(articles)
    t1 = time.perf_counter()
    groups = wire.group(sigs, {a.id: wire.sort_key(a) for a in articles})
    t2 = time.perf_counter()
    by_id = {a.id: a for a in articles}
    members: dict[str, list[str]] = {}
    for a, g in groups.items():
        members.setdefault(g, []).append(a)
    sizes = Counter(len(m) for m in members.values())
    multi_source = sum(1 for m in members.values() if len({by_id[a].source for a in m}) > 1)
    print(f"{len(articles)} articles, {len(sigs)} long enough to compare")
    print(f"signatures {t1 - t0:.1f} s, grouping {t2 - t1:.1f} s")
    print(
        f"{len(members)} groups holding {len(groups)} articles "
        f"({multi_source} groups span several outlets); sizes: {dict(sorted(sizes.items()))}"
    )
    # Precision: exact Jaccard of every member with its group's first publication.
    inside = []
    for g, ids in members.items():
        head = shingles(by_id[g].text)
        inside += [jaccard(head, shingles(by_id[a].text)) for a in ids if a != g]
    if inside:
        print(
            "exact Jaccard to the group's first article: "
            f"min {min(inside):.2f}, p5 {percentile(inside, 5):.2f}, "
            f"median {percentile(inside, 50):.2f}"
        )
    # A few groups to read by eye.
    rng = random.Random(0)
    grouped = list(members.items())
    rng.shuffle(grouped)
    for _g, ids in grouped[:5]:
        print(
            f"  group of {len(ids)}: "
            + "; ".join(f"{by_id[a].source} {by_id[a].date} {a}" for a in ids[:4])
        )


if __name__ == "__main__":
    main()
