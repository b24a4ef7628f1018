"""Revue's answers as a user gets them, scored on question sets with verbatim evidence (issue 22).

``run`` asks each question of a built index through the engine's own path (retrieval, the reader
or the cosine, the citations, the written answer and its checks), times each stage, and saves
what was shown. ``report`` scores saved runs per language: answerable questions answered with
their evidence in the first 3 citations, unanswerable ones declined, written answers shown and
stage timings; ``--sentences`` lists every written sentence shown, to be judged by reading.

    python bench/answers.py run DATA_DIR QUESTIONS.jsonl OUT.json [--reader llm|none] [--no-write]
    python bench/answers.py report OUT.json [OUT2.json ...] [--sentences]

DATA_DIR is a Revue index (``REVUE_DATA_DIR=DIR revue index --corpus corpus --corpus
../shared/data/news_fr/articles.jsonl``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile, read_jsonl, require  # noqa: E402
from index.engine import Revue  # noqa: E402
from index.evaluation import TOP_CITATIONS, normalize  # noqa: E402
from index.records import Answer  # noqa: E402
from index.settings import Settings  # noqa: E402

STAGES = ("retrieval", "reading", "writing")


def _timed(stages: dict[str, float], name: str, began: float) -> float:
    now = time.perf_counter()
    stages[name] = now - began
    return now


def ask(engine: Revue, question: str, write: bool) -> tuple[Answer, dict[str, float]]:
    """The answer a user gets, and how long each stage took."""
    stages: dict[str, float] = {}
    began = time.perf_counter()
    evidence = engine.evidence(question)
    began = _timed(stages, "retrieval", began)
    answer = engine.answer(evidence)
    began = _timed(stages, "reading", began)
    if write and not answer.abstained:
        answer = engine.write(answer)
        _timed(stages, "writing", began)
    return answer, stages


def row_of(q: dict[str, Any], answer: Answer, stages: dict[str, float]) -> dict[str, Any]:
    wanted = [normalize(e) for e in q.get("evidence") or ()]
    quotes = [c.quote for c in answer.citations]
    rank = next(
        (
            n
            for n, quote in enumerate(quotes[:TOP_CITATIONS], 1)
            if any(w in normalize(quote) for w in wanted)
        ),
        None,
    )
    written = answer.written
    return {
        "id": q["id"],
        "lang": q.get("lang") or q.get("language"),
        "answerable": bool(q.get("answerable", True)),
        "question": q["question"],
        "evidence": q.get("evidence") or [],
        "abstained": answer.abstained,
        "rank": rank,
        "quotes": quotes,
        "nearest": answer.nearest.quote if answer.nearest else None,
        "written": written.text if written and written.shown else "",
        "sentences": [
            {"text": s.text, "kept": s.kept, "reason": s.reason, "cites": list(s.cites)}
            for s in (written.sentences if written else ())
        ],
        "fallback": written.fallback if written else None,
        "stages": stages,
    }


def run(args: argparse.Namespace) -> None:
    require(args.data_dir, args.questions)
    engine = Revue(Settings(data_dir=args.data_dir, reader=args.reader))
    engine.answer(engine.evidence("OpenAI"))  # a warm-up: the models load outside the timings
    rows = []
    for q in read_jsonl(args.questions):
        answer, stages = ask(engine, q["question"], not args.no_write)
        rows.append(row_of(q, answer, stages))
        r = rows[-1]
        verdict = "declined" if r["abstained"] else f"evidence {r['rank']}"
        print(
            f"{q['id']} {verdict:12} {sum(stages.values()):5.1f}s {q['question'][:70]}", flush=True
        )
        args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")


def report(args: argparse.Namespace) -> None:
    rows = [r for path in args.runs for r in json.loads(path.read_text(encoding="utf-8"))]
    print("| language | answerable: evidence in first 3 | unanswerable: declined | written shown |")
    print("|---|---|---|---|")
    for lang in sorted({r["lang"] for r in rows}):
        mine = [r for r in rows if r["lang"] == lang]
        pos = [r for r in mine if r["answerable"]]
        neg = [r for r in mine if not r["answerable"]]
        found = sum(r["rank"] is not None for r in pos)
        declined = sum(r["abstained"] for r in neg)
        answered = [r for r in mine if not r["abstained"]]
        shown = sum(bool(r["written"]) for r in answered)
        print(
            f"| {lang} | {found}/{len(pos)} ({found / max(len(pos), 1):.2f}) "
            f"| {declined}/{len(neg)} ({declined / max(len(neg), 1):.2f}) "
            f"| {shown}/{len(answered)} |"
        )
    for stage in STAGES:
        seconds = [r["stages"][stage] for r in rows if stage in r["stages"]]
        if seconds:
            print(
                f"{stage}: p50 {percentile(seconds, 50):.2f} s, "
                f"p95 {percentile(seconds, 95):.2f} s ({len(seconds)} questions)"
            )
    if args.sentences:
        for r in rows:
            if r["written"]:
                kind = "answerable" if r["answerable"] else "UNANSWERABLE"
                print(f"\n{r['id']} [{kind}] {r['question']}")
                for n, quote in enumerate(r["quotes"], 1):
                    print(f"  [{n}] {quote}")
                print("  written:")
                for s in r["sentences"]:
                    if s["kept"]:
                        print(f"  - {s['text']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(required=True)
    r = sub.add_parser("run")
    r.add_argument("data_dir", type=Path)
    r.add_argument("questions", type=Path)
    r.add_argument("out", type=Path)
    r.add_argument("--reader", default="llm", help="REVUE_READER for the run (llm or none)")
    r.add_argument("--no-write", action="store_true", help="quotes only: no written answer")
    r.set_defaults(run=run)
    p = sub.add_parser("report")
    p.add_argument("runs", type=Path, nargs="+")
    p.add_argument("--sentences", action="store_true", help="list the written sentences shown")
    p.set_defaults(run=report)
    args = ap.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
