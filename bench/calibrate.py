"""Calibrate answer selection and abstention on PIAF (French QA paragraphs).

Half of PIAF's Wikipedia articles (by title) are indexed. Questions written from indexed
paragraphs are answerable; questions written from the other half are the same kind of
question asked of a corpus without their paragraph, so they should be declined.

For each question this records the best window similarity (the abstention signal) and whether
the quotes chosen under several scoring weights contain PIAF's answer span. It then sweeps the
abstention threshold and prints the one that best separates the two sets.

    python bench/calibrate.py [--piaf DIR] [--sample 150]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PIAF, piaf, write_articles  # noqa: E402
from index.engine import Revue  # noqa: E402
from index.evaluation import normalize  # noqa: E402
from index.search.quotes import AnswerConfig, candidates, select  # noqa: E402
from index.settings import Settings  # noqa: E402

WEIGHTS = (0.0, 0.25, 0.5, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--piaf", type=Path, default=PIAF)
    ap.add_argument("--work", type=Path, default=Path("bench/results/calibrate"))
    ap.add_argument("--sample", type=int, default=150, help="questions per set")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    paragraphs, questions, _ = piaf(args.piaf)
    titles = sorted({p["title"] for p in paragraphs})
    indexed = set(titles[::2])
    corpus = write_articles(
        [p for p in paragraphs if p["title"] in indexed], args.work / "piaf_half.jsonl"
    )
    engine = Revue(Settings(data_dir=args.work / "index"))
    t0 = time.perf_counter()
    summary = engine.index([corpus])
    print(
        f"indexed {summary.articles_total} paragraphs ({summary.chunks_total} chunks) "
        f"in {time.perf_counter() - t0:.0f} s",
        file=sys.stderr,
    )

    rng = random.Random(args.seed)
    answerable = [q for q in questions if q.title in indexed and q.answers]
    unanswerable = [q for q in questions if q.title not in indexed]
    sample = [(q, True) for q in rng.sample(answerable, min(args.sample, len(answerable)))] + [
        (q, False) for q in rng.sample(unanswerable, min(args.sample, len(unanswerable)))
    ]

    cache: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:

        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            for t, v in zip(missing, engine.embedder.encode_passages(missing), strict=True):
                cache[t] = v
        return np.vstack([cache[t] for t in texts])

    rows = []
    started = time.perf_counter()
    for n, (q, is_answerable) in enumerate(sample, 1):
        evidence = engine.evidence(q.question)
        hits, articles = evidence.hits, evidence.articles
        row = {
            "id": q.id,
            "answerable": is_answerable,
            "top_dense": hits[0].dense if hits else 0.0,
            "paragraph_in_top3": any(h.article_id == q.context_id for h in hits[:3]),
        }
        forced = AnswerConfig(abstain_below=-1.0)
        for w in WEIGHTS:
            config = replace(forced, passage_weight=w)
            scored = candidates(evidence, embed, config)
            chosen = select(scored, config)
            best = max((c.similarity for c in scored), default=0.0)
            row["best_similarity"] = best
            row["relevance"] = engine.baseline(evidence.query_vec).relevance(best)
            quotes = [normalize(articles[c.article_id].text[c.start : c.end]) for c in chosen]
            row[f"answer_in_quotes_w{w}"] = any(
                normalize(a) in quote for a in q.answers for quote in quotes
            )
        rows.append(row)
        if n % 25 == 0:
            print(
                f"{n}/{len(sample)} questions, {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )

    report(rows)
    (args.work / "calibration.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")


def report(rows: list[dict[str, Any]]) -> None:
    pos = [r for r in rows if r["answerable"]]
    neg = [r for r in rows if not r["answerable"]]
    print(f"\n{len(pos)} answerable, {len(neg)} unanswerable questions")
    print(
        f"answerable: paragraph among the first 3 passages: "
        f"{sum(r['paragraph_in_top3'] for r in pos) / len(pos):.3f}"
    )
    for w in WEIGHTS:
        hit = sum(r[f"answer_in_quotes_w{w}"] for r in pos) / len(pos)
        print(f"passage_weight={w}: answer span inside the chosen quotes: {hit:.3f}")
    for signal in ("relevance", "best_similarity", "top_dense"):
        best = (0.0, 0.0)
        print(f"\nthreshold on {signal}: answered(answerable) declined(unanswerable) balanced")
        values = sorted({round(r[signal], 3) for r in rows if r[signal] > 0})
        for t in values:
            tpr = sum(r[signal] >= t for r in pos) / len(pos)
            tnr = sum(r[signal] < t for r in neg) / len(neg)
            if (tpr + tnr) / 2 > best[1]:
                best = (t, (tpr + tnr) / 2)
        step = 0.2 if signal == "relevance" else 0.01
        for t in sorted({best[0], *[round(best[0] + d * step, 3) for d in (-2, -1, 1, 2)]}):
            tpr = sum(r[signal] >= t for r in pos) / len(pos)
            tnr = sum(r[signal] < t for r in neg) / len(neg)
            print(f"  {t:.3f}: {tpr:.3f} {tnr:.3f} {(tpr + tnr) / 2:.3f}")
        print(f"  best: {best[0]:.3f} (balanced accuracy {best[1]:.3f})")


if __name__ == "__main__":
    main()
