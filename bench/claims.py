"""Check a claim (issue 25): the stance judge on judged (claim, passage) pairs, and what
`revue check` costs end to end.

    python bench/claims.py pairs [--file bench/questions/claims_dev.jsonl] [--out RAW.jsonl]
    python bench/claims.py rescore RAW.jsonl [--tune] [--pairs PAIRS.jsonl]  # saved probabilities
    python bench/claims.py e2e [--data DIR] [--corpus PATH ...] [--claim TEXT ...]

- pairs: each (claim, passage) pair's passage is ``article.text[start:end]`` (news_fr articles,
  and the seed articles of corpus/); the embedded model (or REVUE_LLM_URL) is asked its two
  questions; prints accuracy per class, overall, precision and recall of "contradicts", and
  p50/p95 seconds a pair. ``--out`` keeps each pair's probabilities for ``rescore``.
- rescore --tune: the thresholds that do best on a saved run (for the development set only:
  the judged set is run once, with the thresholds the development set chose).
- e2e: p50/p95 seconds of ``Revue.check`` for a few claims over an index (the seeds by default).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NEWS, percentile, require  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "bench" / "questions" / "claims_dev.jsonl"
LABELS = ("supports", "contradicts", "not_said")
CLAIMS = [  # end to end over the seeds: true, false by a number, unrelated, in both languages
    "OpenAI a déclaré une alerte « code rouge ».",
    "Gemini has 650 million monthly users.",
    "Gemini a 900 millions d'utilisateurs mensuels.",
    "The Paris metro will be free in August.",
]


def articles(news: Path) -> dict[str, str]:
    from index.ingest.corpus import load_corpus

    texts = {a.id: a.text for a in load_corpus([ROOT / "corpus"]).articles}
    with news.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            texts[row["id"]] = row["text"]
    return texts


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def judge_pairs(path: Path, news: Path, out: Path | None) -> list[dict[str, Any]]:
    from index.settings import Settings
    from index.writing.stance import StanceJudge, mismatch
    from index.writing.writer import open_writer

    writer = open_writer(Settings())
    if writer is None:
        sys.exit("no language model: set REVUE_LLM_URL or run `revue model --writer`")
    client = writer.client()
    judge = StanceJudge(client.yes_probability)
    texts = articles(news)
    rows = []
    sink = out.open("w", encoding="utf-8") if out else None
    for n, pair in enumerate(read_jsonl(path), 1):
        passage = texts[pair["article"]][pair["start"] : pair["end"]]
        assert passage.strip(), pair["id"]
        started = time.perf_counter()
        states, denies = judge.probabilities(pair["claim"], passage)
        seconds = time.perf_counter() - started
        row = {
            "id": pair["id"], "label": pair["label"], "change": pair.get("change"),
            "lang": pair["lang"], "states": round(states, 4), "denies": round(denies, 4),
            "mismatch": mismatch(pair["claim"], passage), "seconds": round(seconds, 2),
        }  # fmt: skip
        rows.append(row)
        if sink:
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            sink.flush()
        print(f"{n:3d} {row['label']:<11} s={states:.2f} d={denies:.2f} {seconds:.1f}s", flush=True)
    writer.close()
    return rows


def recheck(rows: list[dict[str, Any]], pairs: Path, news: Path) -> list[dict[str, Any]]:
    """The saved probabilities with today's literal check: a change to it is measured without
    asking the model again."""
    from index.writing.stance import mismatch

    texts = articles(news)
    by_id = {p["id"]: p for p in read_jsonl(pairs)}
    out = []
    for row in rows:
        pair = by_id[row["id"]]
        passage = texts[pair["article"]][pair["start"] : pair["end"]]
        out.append(row | {"mismatch": mismatch(pair["claim"], passage)})
    return out


def score(rows: list[dict[str, Any]], config: Any) -> dict[str, Any]:
    from index.writing.stance import decide

    got = [decide(r["states"], r["denies"], r["mismatch"], config).label for r in rows]
    want = [r["label"] for r in rows]
    per = {
        label: f"{sum(g == w == label for g, w in zip(got, want, strict=True))}/{want.count(label)}"
        for label in LABELS
    }
    called = got.count("contradicts")
    right = sum(g == w == "contradicts" for g, w in zip(got, want, strict=True))
    by_change: dict[str, list[int]] = {}
    for g, w, r in zip(got, want, rows, strict=True):
        if w == "contradicts":
            by_change.setdefault(r.get("change") or "?", []).append(int(g == w))
    seconds = [r["seconds"] for r in rows]
    return {
        "pairs": len(rows),
        "accuracy": round(sum(g == w for g, w in zip(got, want, strict=True)) / len(rows), 3),
        "per_class": per,
        "contradicts_precision": round(right / called, 3) if called else None,
        "contradicts_recall": round(right / max(1, want.count("contradicts")), 3),
        "contradictions_found_by_change": {k: f"{sum(v)}/{len(v)}" for k, v in by_change.items()},
        "confusion": {
            w: {
                g: sum(1 for a, b in zip(got, want, strict=True) if b == w and a == g)
                for g in LABELS
            }
            for w in LABELS
        },
        "seconds_p50": percentile(seconds, 50),
        "seconds_p95": percentile(seconds, 95),
    }


def tune(rows: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """The thresholds with the best accuracy among those whose contradictions are ≥ 85 % right
    (the target), on a development run."""
    from index.writing.stance import StanceConfig

    grid = [x / 20 for x in range(2, 20)]
    best: tuple[tuple[float, float], Any, dict[str, Any]] | None = None
    for s, c, m in itertools.product(grid, grid, grid):
        if m > c:
            continue
        config = StanceConfig(supports_above=s, contradicts_above=c, mismatch_contradicts_above=m)
        result = score(rows, config)
        precise = (result["contradicts_precision"] or 0) >= 0.85
        key = (float(precise), result["accuracy"])
        if best is None or key > best[0]:
            best = (key, config, result)
    assert best is not None
    return best[1], best[2]


def end_to_end(data: Path, corpus: list[Path], claims: list[str]) -> dict[str, Any]:
    from index.engine import Revue
    from index.settings import Settings

    engine = Revue(Settings(data_dir=data))
    engine.index(corpus or [ROOT / "corpus"])
    engine.check("warm-up: the model starts")  # the first call starts llama.cpp (not counted)
    seconds, runs = [], []
    for claim in claims:
        started = time.perf_counter()
        c = engine.check(claim)
        seconds.append(time.perf_counter() - started)
        runs.append(
            {
                "claim": claim,
                "seconds": round(seconds[-1], 1),
                "verdicts": [(v.outlet, v.label, v.confidence) for v in c.verdicts],
                "unjudged": len(c.unjudged),
            }
        )
        print(json.dumps(runs[-1], ensure_ascii=False), flush=True)
    engine.close()
    return {"runs": runs, "p50": percentile(seconds, 50), "p95": percentile(seconds, 95)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("pairs")
    p.add_argument("--file", type=Path, default=DEV)
    p.add_argument("--news", type=Path, default=NEWS)
    p.add_argument("--out", type=Path)
    r = sub.add_parser("rescore")
    r.add_argument("raw", type=Path)
    r.add_argument("--tune", action="store_true")
    r.add_argument(
        "--pairs", type=Path, help="the run's pairs file: the literal check is done again"
    )
    r.add_argument("--news", type=Path, default=NEWS)
    e = sub.add_parser("e2e")
    e.add_argument("--data", type=Path, default=ROOT / "bench" / "results" / "claims-seeds")
    e.add_argument("--corpus", type=Path, action="append", default=[])
    e.add_argument("--claim", action="append", default=[])
    args = ap.parse_args()
    from index.writing.stance import StanceConfig

    if args.what == "pairs":
        require(args.file, args.news)
        rows = judge_pairs(args.file, args.news, args.out)
        print(json.dumps(score(rows, StanceConfig()), indent=1))
    elif args.what == "rescore":
        rows = read_jsonl(args.raw)
        if args.pairs:
            rows = recheck(rows, args.pairs, args.news)
        if args.tune:
            config, result = tune(rows)
            print(config)
            print(json.dumps(result, indent=1))
        else:
            print(json.dumps(score(rows, replace(StanceConfig())), indent=1))
    else:
        print(json.dumps(end_to_end(args.data, args.corpus, args.claim or CLAIMS), indent=1))


if __name__ == "__main__":
    main()
