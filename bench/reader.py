"""The reader against today's cosine, on question sets with verbatim evidence (issue 22).

``read`` asks each question of a built index once and saves what every decision rule needs: the
cosine's relevance (standard deviations above unrelated text), the windows the cosine ranks
first with the reader's P(answers) for each, and which of them hold the evidence. ``fit``
replays decision rules over saved features without asking again: the cosine alone (today) and
the cosine plus w x the reader's logit, each threshold swept, per language.

    python bench/reader.py read DATA_DIR QUESTIONS.jsonl OUT.json [--windows 5]
    python bench/reader.py fit OUT.json [OUT2.json ...] [--at W T]

DATA_DIR is a Revue index (``REVUE_DATA_DIR=DIR revue index --corpus corpus --corpus
../shared/data/news_fr/articles.jsonl``); the reader is the language model REVUE_LLM_URL or
the embedded writer names (`revue model --writer`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile, read_jsonl, require  # noqa: E402
from index.engine import Revue  # noqa: E402
from index.evaluation import normalize  # noqa: E402
from index.search.candidates import candidates  # noqa: E402
from index.search.decision import select  # noqa: E402
from index.search.reading import read_windows  # noqa: E402
from index.settings import Settings  # noqa: E402
from index.writing.judge import ChatJudge  # noqa: E402
from index.writing.prompt import read_messages, read_messages_with_examples  # noqa: E402

PROMPTS = {"plain": read_messages, "few-shot": read_messages_with_examples}  # few-shot ships

TOP = 3  # evidence must be among the first three quotes


def read(args: argparse.Namespace) -> None:
    require(args.data_dir, args.questions)
    translate = "on" if args.translate else "off"
    engine = Revue(Settings(data_dir=args.data_dir, reader="llm", translate=translate))
    writer = engine.writer
    if writer is None:
        sys.exit("no language model: set REVUE_LLM_URL or run `revue model --writer`")
    judge = ChatJudge(writer.client, writer.name, PROMPTS[args.prompt])
    config = replace(engine.answer_config, read_windows=args.windows)
    rows = []
    for q in read_jsonl(args.questions):
        if args.lang and (q.get("lang") or q.get("language")) != args.lang:
            continue
        began = time.perf_counter()
        evidence = engine.evidence(q["question"])
        searched = time.perf_counter() - began  # with the translation, where there is one
        scored = candidates(evidence, engine.embedder.encode_passages, config)
        baseline = engine.baseline(evidence.query_vec)
        wanted = [normalize(e) for e in q.get("evidence") or ()]

        def holds(c: Any, ev: Any = evidence, wanted: list[str] = wanted) -> bool:
            quote = normalize(ev.articles[c.article_id].text[c.start : c.end])
            return any(w in quote for w in wanted)

        started = time.perf_counter()
        judged = read_windows(evidence, scored, judge.score, config) if scored else []
        seconds = time.perf_counter() - started
        cosine = select(scored, replace(config, abstain_below=float("-inf")), baseline)
        relevance = baseline.relevance(max((c.similarity for c in scored), default=-1.0))
        row = {
            "id": q["id"],
            "lang": q.get("lang") or q.get("language"),
            "answerable": bool(q.get("answerable", True)),
            "relevance": relevance,
            "cosine_holds": [holds(c) for c in cosine],
            "windows": [
                {"p": j.p, "quoted": j.quoted, "holds": holds(j.candidate)} for j in judged
            ],
            "read_seconds": seconds,
            "search_seconds": searched,
            "translated": evidence.translated,
        }
        rows.append(row)
        best = max((w["p"] for w in row["windows"]), default=0.0)
        print(f"{q['id']} {relevance:5.2f} p={best:.2f} {seconds:5.1f}s {q['question'][:70]}")
    args.out.write_text(json.dumps(rows, indent=1), encoding="utf-8")


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def decide(row: dict[str, Any], w: float | None, t: float, margin: float) -> tuple[bool, bool]:
    """(answered, evidence in the first quotes) under a rule: w None is the cosine alone."""
    windows = row["windows"]
    if not windows:  # the names check or nothing retrieved: declined before any reading
        return False, False
    if w is None:
        return row["relevance"] >= t, any(row["cosine_holds"][:TOP])
    if row["relevance"] + w * logit(best_belief(windows)) < t:
        return False, False
    return True, quotes_hold(windows, margin)


def best_belief(windows: list[dict[str, Any]]) -> float:
    """The reader's belief in its best window (a window quoting the question: 1)."""
    return max(1.0 if x["quoted"] >= 0.5 else x["p"] for x in windows)


def quotes_hold(windows: list[dict[str, Any]], margin: float) -> bool:
    """Whether the windows quoted (the best and those within ``margin``) hold the evidence
    among the first ``TOP``."""
    kept = [x for x in windows if x["p"] >= windows[0]["p"] - margin or x["quoted"] >= 0.5]
    return any(x["holds"] for x in kept[:TOP])


def score(rows: list[dict[str, Any]], w: float | None, t: float, margin: float) -> dict[str, Any]:
    """Per language: answerable questions answered with their evidence, unanswerable declined."""
    out: dict[str, Any] = {}
    for lang in ("en", "fr"):
        mine = [r for r in rows if r["lang"] == lang]
        pos = [decide(r, w, t, margin) for r in mine if r["answerable"]]
        neg = [decide(r, w, t, margin) for r in mine if not r["answerable"]]
        found = sum(a and e for a, e in pos) / max(len(pos), 1)
        declined = sum(not a for a, _ in neg) / max(len(neg), 1)
        out[lang] = (found, declined)
    out["balanced"] = sum(f + d for f, d in (out["en"], out["fr"])) / 4
    return out


def fit(args: argparse.Namespace) -> None:
    rows = [r for path in args.features for r in json.loads(path.read_text(encoding="utf-8"))]
    print(f"{len(rows)} questions")
    grid = [x / 10 for x in range(0, 121, 2)]
    rules: list[tuple[float | None, float]] = [(None, 3.7)] + (
        [(args.at[0], args.at[1])] if args.at else []
    )
    for w in (None, 0.5, 1.0, 2.0, 3.0, 5.0):

        def balanced(t: float, w: float | None = w) -> float:
            return float(score(rows, w, t, args.margin)["balanced"])

        rules.append((w, max(grid, key=balanced)))
    print("| rule | threshold | en: evidence / declined | fr: evidence / declined | balanced |")
    print("|---|---|---|---|---|")
    for w, t in rules:
        s = score(rows, w, t, args.margin)
        name = "cosine" if w is None else f"cosine + {w:g} x logit(p)"
        cells = " | ".join(f"{s[lang][0]:.2f} / {s[lang][1]:.2f}" for lang in ("en", "fr"))
        print(f"| {name} | {t:.1f} | {cells} | {s['balanced']:.3f} |")
    seconds = [r["read_seconds"] for r in rows]
    print(f"reading: p50 {percentile(seconds, 50):.1f} s, p95 {percentile(seconds, 95):.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(required=True)
    r = sub.add_parser("read")
    r.add_argument("data_dir", type=Path)
    r.add_argument("questions", type=Path)
    r.add_argument("out", type=Path)
    r.add_argument("--windows", type=int, default=5)
    r.add_argument("--prompt", choices=sorted(PROMPTS), default="few-shot")
    r.add_argument("--translate", action="store_true", help="English questions in French first")
    r.add_argument("--lang", choices=("en", "fr"), help="only the questions in this language")
    r.set_defaults(run=read)
    f = sub.add_parser("fit")
    f.add_argument("features", type=Path, nargs="+")
    f.add_argument("--margin", type=float, default=0.3)
    f.add_argument("--at", type=float, nargs=2, metavar=("W", "T"))
    f.set_defaults(run=fit)
    args = ap.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
