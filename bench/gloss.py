"""Bilingual evidence (issue 25), measured: the glosses the language model makes for French quotes
under English questions, and what the check (index/writing/gloss.py) keeps.

    .venv/bin/python bench/gloss.py --dev [bench/questions/gloss_dev.jsonl]
    .venv/bin/python bench/gloss.py --data DIR [--min 60] [--out bench/results/gloss_run.jsonl]
    .venv/bin/python bench/gloss.py --score bench/questions/gloss_judged.jsonl [--run FILE]

``--dev``: each dev sentence (an article id of ../shared/data/news_fr/articles.jsonl and
offsets; no article text is kept here) is glossed into English; prints the checks' values, and
the cosine of each gloss to the *other* sentences' glosses (mismatched pairs: what a gloss of
something else scores), which is what THRESHOLD is set from.

``--data DIR``: answers the English questions of bench/questions/reader_heldout.jsonl, then of
bench/questions/writer_news.jsonl (the questions bench/questions/writer_judged.jsonl judges),
over the index in DIR (the 3,000 news articles and the seeds, /work/data/news3k) with the cosine
choosing the quotes (no reader, no first reports: only the glosses cost model time), and glosses
the first 3 citations of each answer until at least ``--min`` quotes are glossed or dropped.
Each goes to ``--out`` (JSON Lines; bench/results is not kept in git): the question, the article
id and offsets, the gloss, whether the check kept it, and the checks' values.

``--score``: the judged file (per quote: ``faithful`` true/false, judged by reading the French
beside the gloss, blind to ``kept``) against the run: precision of shown glosses, how often a
gloss is shown, the faithful ones the check dropped, and seconds per gloss.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import NEWS, percentile, read_jsonl  # noqa: E402
from index.engine import Revue  # noqa: E402
from index.settings import Settings  # noqa: E402
from index.writing.gloss import MAX_GLOSSED, Glosser  # noqa: E402

DEV = ROOT / "bench" / "questions" / "gloss_dev.jsonl"
QUESTIONS = [
    ROOT / "bench" / "questions" / "reader_heldout.jsonl",
    ROOT / "bench" / "questions" / "writer_news.jsonl",
]
OUT = ROOT / "bench" / "results" / "gloss_run.jsonl"


def _glosser(engine: Revue) -> Glosser:
    glosser = engine.models.glosser
    if glosser is None:
        sys.exit("no language model: set REVUE_LLM_URL or run `revue model --writer`")
    return glosser


def dev(path: Path) -> None:
    wanted = read_jsonl(path)
    ids = {row["article"] for row in wanted}
    texts = {}
    with NEWS.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["id"] in ids:
                texts[row["id"]] = row["text"]
    engine = Revue(Settings(reader="none", first_reports=False))
    glosser = _glosser(engine)
    glosses = []
    for row in wanted:
        quote = texts[row["article"]][row["start"] : row["end"]]
        check = glosser.check(quote, "en")
        glosses.append(check)
        print(
            json.dumps(
                {
                    "id": row["id"],
                    "gloss": check.text,
                    "kept": check.kept,
                    "reason": check.reason,
                    "cosine": check.cosine,
                    "seconds": round(check.seconds, 1),
                },
                ensure_ascii=False,
            )
        )
    vecs = engine.embedder.encode_passages([c.quote for c in glosses] + [c.text for c in glosses])
    n = len(glosses)
    sims = vecs[:n] @ vecs[n:].T
    mismatched = sims[~np.eye(n, dtype=bool)]
    matched = np.diag(sims)
    print(
        f"matched cosine: min {matched.min():.3f} p10 {np.percentile(matched, 10):.3f} "
        f"median {np.median(matched):.3f}; mismatched: max {mismatched.max():.3f} "
        f"p99 {np.percentile(mismatched, 99):.3f} median {np.median(mismatched):.3f}"
    )
    print(f"kept {sum(c.kept for c in glosses)}/{n} at threshold {glosser.threshold}")
    engine.close()


def judged_run(data: Path, least: int, out: Path) -> None:
    engine = Revue(Settings(data_dir=data, reader="none", first_reports=False))
    glosser = _glosser(engine)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = 0
    with out.open("w", encoding="utf-8") as sink:
        for path in QUESTIONS:
            for q in read_jsonl(path):
                if q.get("lang") != "en" or done >= least:
                    continue
                answer = engine.ask(q["question"])
                for i in glosser.wanted(answer):
                    c = answer.citations[i]
                    check = glosser.check(c.quote, answer.language)
                    done += 1
                    row = {
                        "id": f"{q['id']}-{c.n}",
                        "question": q["question"],
                        "article": c.article_id,
                        "start": c.start,
                        "end": c.end,
                        "gloss": check.text,
                        "kept": check.kept,
                        "reason": check.reason,
                        "cosine": check.cosine,
                        "missing_numbers": list(check.missing_numbers),
                        "missing_names": list(check.missing_names),
                        "seconds": round(check.seconds, 2),
                    }
                    sink.write(json.dumps(row, ensure_ascii=False) + "\n")
                    sink.flush()
                    print(row["id"], row["kept"], row["reason"], row["seconds"], flush=True)
    engine.close()
    print(f"{done} quotes glossed or dropped -> {out}")


def score(judged_path: Path, run_path: Path) -> dict[str, Any]:
    run = {r["id"]: r for r in read_jsonl(run_path)}
    judged = read_jsonl(judged_path)
    rows = [(run[j["id"]], j) for j in judged if j["id"] in run]
    kept = [(r, j) for r, j in rows if r["kept"]]
    faithful_kept = sum(j["faithful"] for _, j in kept)
    dropped_faithful = [r["id"] for r, j in rows if not r["kept"] and j["faithful"]]
    seconds = [r["seconds"] for r, _ in rows]
    return {
        "attempted": len(rows),
        "kept": len(kept),
        "shown_rate": round(len(kept) / len(rows), 3) if rows else None,
        "precision": round(faithful_kept / len(kept), 3) if kept else None,
        "faithful_kept": faithful_kept,
        "faithful_all": sum(j["faithful"] for _, j in rows),
        "dropped_faithful": dropped_faithful,
        "drop_reasons": {r["id"]: r["reason"] for r, j in rows if not r["kept"]},
        "seconds_p50": round(percentile(seconds, 50), 1) if seconds else None,
        "seconds_p95": round(percentile(seconds, 95), 1) if seconds else None,
        "max_glossed_per_answer": MAX_GLOSSED,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", nargs="?", const=DEV, type=Path)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--min", type=int, default=60)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--score", type=Path)
    parser.add_argument("--run", type=Path, default=OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.dev:
        dev(args.dev)
    elif args.data:
        judged_run(args.data, args.min, args.out)
    elif args.score:
        print(json.dumps(score(args.score, args.run), indent=1, ensure_ascii=False))
    else:
        parser.error("give --dev, --data DIR or --score FILE")


if __name__ == "__main__":
    main()
