"""The written answer, measured: how often one is shown, what the check keeps and drops, whether
kept sentences cite the right article, and what it costs per answer.

    python bench/writer.py [--data DIR] [--news FILE] [--limit N] [--out FILE]
    python bench/writer.py --recheck FILE [--judged FILE]

Asks the seed questions, the held-out seed questions (bench/questions/seed_heldout.jsonl) and 24
single-fact questions about the 3,000 news articles (bench/questions/writer_news.jsonl), English
and French, over the index of corpus/ plus the news articles (built in ``--data`` when missing,
about 50 minutes on 2 cores). The writer is whatever the settings give (REVUE_LLM_URL, or the
embedded model of ``revue model --writer``). Every answer, with each written sentence and its
verdict, goes to ``--out`` (JSON Lines) for judging by hand; the summary goes to stdout.

``--recheck`` runs today's check again over the drafts a run saved (the model only answers the
check's yes-or-no questions) and, with ``--judged`` (bench/questions/writer_judged.jsonl: for
each drafted sentence, keyed by its SHA-1 so that no article text is kept here, the quotes that
support it, judged by reading), reports the check's citation precision (kept
sentences whose citations support them) and recall (supported sentences kept).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NEWS, SEEDS, percentile, read_jsonl, require  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
QUESTIONS = ROOT / "bench" / "questions"


def questions(limit: int | None) -> list[dict[str, Any]]:
    """Every question with its language and what a right citation holds."""
    out = []
    for q in read_jsonl(SEEDS):
        out.append({**q, "set": "seed", "language": q.get("lang")})
    for q in read_jsonl(QUESTIONS / "seed_heldout.jsonl"):
        out.append({**q, "set": "seed-heldout", "language": q.get("lang") or q.get("language")})
    for q in read_jsonl(QUESTIONS / "writer_news.jsonl"):
        out.append({**q, "set": "news", "answerable": True})
    return out[:limit]


def right_article(q: dict[str, Any], cited: list[dict[str, Any]]) -> bool | None:
    """Whether the citations of kept sentences point at the evidence (None: nothing to check)."""
    if not cited or not q.get("answerable", True):
        return None
    if "article_id" in q:
        return any(c["article_id"] == q["article_id"] for c in cited)
    evidence = q.get("evidence") or []
    return any(e in c["quote"] for c in cited for e in evidence) if evidence else None


def run(engine: Any, qs: list[dict[str, Any]], out: Path) -> list[dict[str, Any]]:
    rows = []
    with out.open("w", encoding="utf-8") as sink:
        for n, q in enumerate(qs, 1):
            started = time.perf_counter()
            answer = engine.write(engine.ask(q["question"]))
            seconds = time.perf_counter() - started
            w = answer.written
            sentences = [
                {
                    "text": s.text,
                    "cites": list(s.cites),
                    "kept": s.kept,
                    "reason": s.reason,
                    "support": s.support,
                }
                for s in (w.sentences if w else ())
            ]
            kept_cites = {n for s in sentences if s["kept"] for n in s["cites"]}
            cited = [
                {"n": c.n, "article_id": c.article_id, "quote": c.quote}
                for c in answer.citations
                if c.n in kept_cites
            ]
            row = {
                "id": q["id"],
                "set": q["set"],
                "language": q["language"],
                "question": q["question"],
                "answerable": q.get("answerable", True),
                "declined": answer.abstained,
                "shown": bool(w and w.shown),
                "fallback": w.fallback if w else None,
                "draft": w.draft if w else "",
                "written": w.text if w else "",
                "sentences": sentences,
                "right_article": right_article(q, cited),
                "seconds": round(seconds, 2),
                "write_seconds": w.seconds if w else 0.0,
                "quotes": [
                    {"n": c.n, "article_id": c.article_id, "quote": c.quote}
                    for c in answer.citations
                ],
            }
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            sink.flush()
            rows.append(row)
            print(
                f"{n:>3}/{len(qs)} {row['seconds']:5.1f} s shown={row['shown']!s:5} "
                f"{q['question'][:60]}",
                file=sys.stderr,
            )
    return rows


def reason_kind(reason: str) -> str:
    """A drop's reason without its particulars: "[2] does not support it" -> "[n] does…"."""
    if reason.startswith(("“", "the number")):
        return "a name or number not in its quote"
    return re.sub(r"\(p=[\d.]+\)", "(p<0.5)", re.sub(r"\[\d+\]", "[n]", reason))


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    asked = [r for r in rows if not r["declined"]]
    sentences = [s for r in asked for s in r["sentences"]]
    kept = [s for s in sentences if s["kept"]]
    reasons: dict[str, int] = {}
    for s in sentences:
        if not s["kept"]:
            key = reason_kind(s["reason"])
            reasons[key] = reasons.get(key, 0) + 1
    checked = [r["right_article"] for r in asked if r["shown"] and r["right_article"] is not None]
    times = [r["write_seconds"] for r in asked]
    by_language = {
        lang: f"{sum(r['shown'] for r in asked if r['language'] == lang)}"
        f"/{sum(1 for r in asked if r['language'] == lang)}"
        for lang in ("en", "fr")
    }
    return {
        "questions": len(rows),
        "declined": len(rows) - len(asked),
        "written answer shown": f"{sum(r['shown'] for r in asked)}/{len(asked)}",
        "shown by language": by_language,
        "fell back to quotes only": sum(not r["shown"] for r in asked),
        "sentences written / kept": f"{len(sentences)} / {len(kept)}",
        "re-cited by Revue": sum(s["reason"].startswith("cited by Revue") for s in kept),
        "dropped, by reason": reasons,
        "shown answers citing the expected article or evidence": f"{sum(checked)}/{len(checked)}",
        "writing seconds p50 / p95": [
            round(percentile(times, 50), 1),
            round(percentile(times, 95), 1),
        ],
    }


def recheck(
    engine: Any, rows: list[dict[str, Any]], judged: Path | None, config: Any = None
) -> dict[str, float]:
    """Today's check over saved drafts, scored against the judgments where given."""
    from index.records import Citation
    from index.writing.checking import CheckConfig, Checkers, check, claims

    config = config or CheckConfig()
    entails = None
    if engine.writer is not None:  # the same yes-or-no question the writer asks its model
        from index.writing.prompt import judge_messages

        client = engine.writer.client()
        entails = lambda q, s: client.yes_probability(judge_messages(q, s))  # noqa: E731

    verdicts = {}
    if judged is not None:
        for j in read_jsonl(judged):
            verdicts[(j["id"], j["sentence_sha1"])] = set(j["supported_by"])
    tally: dict[str, float] = {
        "kept": 0,
        "kept, supported": 0,
        "supported": 0,
        "supported, kept": 0,
        "unjudged": 0,
    }
    for row in rows:
        if row["declined"] or not row["draft"]:
            continue
        cites = tuple(
            Citation(q["n"], q["article_id"], None, None, None, None, q["quote"], 0, 0, 0.0)
            for q in row["quotes"]
        )
        checkers = Checkers(engine.support([c.quote for c in cites]), entails)
        for claim in claims(row["draft"], row["language"]):
            verdict = check(claim, row["question"], cites, checkers, config)
            truth = verdicts.get((row["id"], hashlib.sha1(claim.text.encode()).hexdigest()))
            if truth is None:
                tally["unjudged"] += 1
                continue
            right = verdict.kept and bool(set(verdict.cites) & truth)
            tally["kept"] += verdict.kept
            tally["kept, supported"] += right
            tally["supported"] += bool(truth)
            tally["supported, kept"] += verdict.kept and bool(truth)
    tally["citation precision"] = round(tally["kept, supported"] / max(tally["kept"], 1), 3)
    tally["recall of supported sentences"] = round(
        tally["supported, kept"] / max(tally["supported"], 1), 3
    )
    return tally


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=RESULTS / "news3k")
    ap.add_argument("--news", type=Path, default=NEWS)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--out", type=Path, default=RESULTS / "writer.jsonl")
    ap.add_argument("--recheck", type=Path, help="a run's --out file: check its drafts again")
    ap.add_argument("--judged", type=Path, help="judgments of the drafted sentences")
    args = ap.parse_args()
    from index.engine import Revue
    from index.settings import Settings

    if args.recheck is not None:
        require(args.recheck, *([args.judged] if args.judged else []))
        engine = Revue(Settings(data_dir=args.data))
        rows = read_jsonl(args.recheck)
        print(json.dumps(recheck(engine, rows, args.judged), indent=1))
        return
    require(SEEDS, args.news)
    engine = Revue(Settings(data_dir=args.data))
    if not engine.is_indexed():
        print(f"indexing corpus/ and {args.news} into {args.data} (once)", file=sys.stderr)
        engine.index([ROOT / "corpus", args.news])
    if engine.writer is None:
        sys.exit("no writer: set REVUE_LLM_URL or run `revue model --writer` (see README)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    rows = run(engine, questions(args.limit), args.out)
    print(json.dumps({"writer": engine.writer.name, **summary(rows)}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
