"""Calibrate and measure answering against declining, in French and in English, on PIAF.

Only PIAF's held-out articles are used (``split(title) == "eval"``: the reader never saw them).
Half of PIAF's articles (by title) are indexed. Held-out questions written from indexed
paragraphs are answerable; those written from the other half are the same kind of question
asked of a corpus without their paragraph, so they should be declined. English questions are
our translations of held-out French ones (bench/questions/piaf_eval_en.jsonl), asked of the same
French paragraphs.

Both judges run on the same questions in one process: the embedding cosine against unrelated
text (the decline rule before the reader) and the reader's probability. For each it prints the
balanced accuracy at the configured threshold and at the best one, and how often the chosen
quotes hold PIAF's answer.

    python bench/calibrate.py [--piaf DIR] [--sample 150] [--reader llm]

With ``--reader llm`` the reader is the language model (REVUE_READER's default where one is set
up), which reads the cosine's first windows as ``revue ask`` does (seconds a window: sample ~20).
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PIAF, PiafQuestion, piaf, write_articles  # noqa: E402
from index.engine import Revue  # noqa: E402
from index.evaluation import normalize  # noqa: E402
from index.model.reader_data import split  # noqa: E402
from index.search.candidates import AnswerConfig, candidates  # noqa: E402
from index.search.decision import select  # noqa: E402
from index.search.reading import (  # noqa: E402
    belief,
    read_candidates,
    read_windows,
    select_judged,
    select_read,
)
from index.settings import Settings  # noqa: E402
from index.writing.judge import ChatJudge  # noqa: E402

ENGLISH = Path(__file__).with_name("questions") / "piaf_eval_en.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--piaf", type=Path, default=PIAF)
    ap.add_argument("--work", type=Path, default=Path("bench/results/calibrate"))
    ap.add_argument("--sample", type=int, default=150, help="questions per set and language")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--reader", default="default", help="REVUE_READER: default (the cross-encoder) or llm"
    )
    args = ap.parse_args()

    paragraphs, questions, _ = piaf(args.piaf)
    titles = sorted({p["title"] for p in paragraphs})
    indexed = set(titles[::2])
    corpus = write_articles(
        [p for p in paragraphs if p["title"] in indexed], args.work / "piaf_half.jsonl"
    )
    engine = Revue(Settings(data_dir=args.work / "index", reader=args.reader))
    if engine.reader is None:
        sys.exit("the reader is not built: run `revue model` first")
    t0 = time.perf_counter()
    summary = engine.index([corpus])
    print(f"index of {summary.articles_total} paragraphs ready in {time.perf_counter() - t0:.0f} s")

    held_out = [q for q in questions if split(q.title) == "eval" and q.answers]
    english = {r["id"]: r["question"] for r in map(json.loads, ENGLISH.open(encoding="utf-8"))}
    sets = {
        "fr": _sample(held_out, indexed, args.sample, args.seed),
        "en": _sample(
            [replace(q, question=english[q.id]) for q in held_out if q.id in english],
            indexed,
            args.sample,
            args.seed,
        ),
    }
    results = {}
    for language, sample in sets.items():
        rows = [_judge(engine, q, answerable) for q, answerable in sample]
        results[language] = rows
        print(f"\n## {language}: questions in {language}, paragraphs in French")
        report(rows, engine.answer_config)
    path = args.work / "calibration.json"
    path.write_text(json.dumps(results, indent=1), encoding="utf-8")


def _sample(
    pool: list[PiafQuestion], indexed: set[str], n: int, seed: int
) -> list[tuple[PiafQuestion, bool]]:
    rng = random.Random(seed)
    yes = [q for q in pool if q.title in indexed]
    no = [q for q in pool if q.title not in indexed]
    return [(q, True) for q in rng.sample(yes, min(n, len(yes)))] + [
        (q, False) for q in rng.sample(no, min(n, len(no)))
    ]


def _judge(engine: Revue, q: PiafQuestion, answerable: bool) -> dict[str, Any]:
    """Both judges' best score for the question, and whether their quotes hold the answer."""
    evidence = engine.evidence(q.question)
    config = engine.answer_config
    assert engine.reader is not None
    row: dict[str, Any] = {"id": q.id, "answerable": answerable}
    scored = candidates(evidence, engine.embedder.encode_passages, config)
    baseline = engine.baseline(evidence.query_vec)
    row["cosine"] = baseline.relevance(max((c.similarity for c in scored), default=-1.0))
    cosine_quotes = select(scored, replace(config, abstain_below=-99.0), baseline)
    if isinstance(engine.reader, ChatJudge):  # the windows a question's answer reads
        judged = read_windows(evidence, scored, engine.reader.score, config) if scored else []
        row["reader"] = belief(judged)
        read_quotes = select_judged(judged, config)
    else:
        read = read_candidates(evidence, engine.reader.score, config)
        row["reader"] = max((c.similarity for c in read), default=0.0)
        read_quotes = select_read(read, replace(config, read_threshold=0.0))
    for judge, chosen in (("cosine", cosine_quotes), ("reader", read_quotes)):
        quotes = [normalize(evidence.articles[c.article_id].text[c.start : c.end]) for c in chosen]
        row[f"{judge}_holds_answer"] = any(normalize(a) in t for a in q.answers for t in quotes)
    return row


def report(rows: list[dict[str, Any]], config: AnswerConfig) -> None:
    pos = [r for r in rows if r["answerable"]]
    neg = [r for r in rows if not r["answerable"]]
    print(f"{len(pos)} answerable, {len(neg)} unanswerable")
    print("| judge | threshold | answered (answerable) | declined (unanswerable) | balanced |")
    print("|---|---|---|---|---|")
    reading = config.read_below or config.read_threshold  # the language model's, or the encoder's
    configured = {"cosine": config.abstain_below, "reader": reading}
    for judge, at in configured.items():
        best = max(sorted({r[judge] for r in rows}), key=lambda t: _balance(pos, neg, judge, t)[2])
        for label, t in (("configured", at), ("best", best)):
            yes, no, both = _balance(pos, neg, judge, t)
            print(f"| {judge} | {label} {t:.3f} | {yes:.3f} | {no:.3f} | {both:.3f} |")
    for judge in configured:
        held = sum(r[f"{judge}_holds_answer"] for r in pos) / len(pos)
        print(f"{judge}: answer span inside the quotes of answerable questions: {held:.3f}")


def _balance(
    pos: list[dict[str, Any]], neg: list[dict[str, Any]], judge: str, t: float
) -> tuple[float, float, float]:
    yes = sum(r[judge] >= t for r in pos) / len(pos)
    no = sum(r[judge] < t for r in neg) / len(neg)
    return yes, no, (yes + no) / 2


if __name__ == "__main__":
    main()
