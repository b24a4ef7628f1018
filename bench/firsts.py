"""First report and as of (issue 25), measured on the judged facts.

    .venv/bin/python bench/firsts.py --data DIR [--facts bench/questions/first_report_judged.jsonl]

DIR is a Revue data directory holding the 3,000 articles of ../shared/data/news_fr and the seeds
(see docs/benchmarks.md). Each judged fact has a question, the articles stating it, its true
first article (with ``tied_first`` when several share the earliest date) and its outlets. For
each, Revue answers the question (quotes only, no writer); the citation judged is the first one
whose article states the fact. Reported:

- found: a citation's article states the fact (else the fact counts as wrong below);
- first right: its first report is the judged first article (or one of those tied);
- outlets right: the outlets it counts equal the judged number;
- latest figure: for facts whose figure changed, the figure shown as current (the quote's, or
  the later one named) is the judged latest value;
- cost: p50/p95 of an answer with first reports, and without (the same questions).

The judged set was written before the feature, by a helper that never ran Revue; the
threshold in index/coverage/firsts.py was not tuned on it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.coverage.firsts import numbers_in  # noqa: E402
from index.engine import Revue  # noqa: E402
from index.records import Answer, Citation  # noqa: E402
from index.settings import Settings  # noqa: E402

FACTS = ROOT / "bench" / "questions" / "first_report_judged.jsonl"


def judged_citation(answer: Answer, fact: dict[str, Any]) -> Citation | None:
    """The first citation whose article states the fact."""
    stating = set(fact["articles"])
    return next((c for c in answer.citations if c.article_id in stating), None)


def shown_figure(c: Citation) -> str | None:
    first = c.first
    change = first.figure if first else None
    if change is not None and not change.quoted_is_latest:
        return change.latest
    return None


def digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--facts", type=Path, default=FACTS)
    args = parser.parse_args()
    if not (args.data / "revue.db").exists():
        sys.exit(f"no Revue index in {args.data}: see docs/benchmarks.md for how it is built")
    facts = [json.loads(line) for line in args.facts.open()]
    settings = Settings(data_dir=args.data, writer="none", reader="none", first_reports=False)
    engine = Revue(settings)
    engine.load()
    plain, traced = [], []
    found = first_right = outlets_right = figures = figures_right = 0
    for fact in facts:
        started = time.perf_counter()
        answer = engine.ask(fact["question"])
        plain.append(time.perf_counter() - started)
        engine.settings = replace_settings(engine.settings, True)
        started = time.perf_counter()
        answer = engine.ask(fact["question"])
        traced.append(time.perf_counter() - started)
        engine.settings = replace_settings(engine.settings, False)
        c = judged_citation(answer, fact)
        verdict = "missed"
        if c is not None and c.first is not None:
            found += 1
            firsts = set(fact.get("tied_first") or []) | {fact["first_article"]}
            ok_first = c.first.article_id in firsts
            ok_outlets = c.first.outlets == fact["outlets"]
            first_right += ok_first
            outlets_right += ok_outlets
            verdict = f"first {'ok' if ok_first else 'WRONG ' + c.first.article_id}"
            verdict += f", outlets {c.first.outlets}/{fact['outlets']}"
        if fact.get("latest_value"):
            figures += 1
            shown = shown_figure(c) if c else None
            value = shown or (c.quote if c else "")
            # "31,459 (2020-09-24, orangesum-31740)": the figure is what precedes its source;
            # compared as whole numbers ("5" is not found in "1500")
            latest = digits(fact["latest_value"].split(" (")[0])
            right = bool(value) and latest in {digits(n) for n in numbers_in(value)}
            figures_right += right
            verdict += f", latest {'ok' if right else 'WRONG'}"
        print(f"{fact['id']}: {verdict}", file=sys.stderr)
    n = len(facts)
    print(f"| judged facts | {n} |\n|---|---:|")
    print(f"| a citation states the fact | {found} ({found / n:.0%}) |")
    for name, count in (
        ("first article right", first_right),
        ("outlet count right", outlets_right),
    ):
        share = f"{count / n:.0%}; {count / max(found, 1):.0%} of those found"
        print(f"| {name} | {count} ({share}) |")
    print(f"| latest figure shown | {figures_right} of {figures} |")
    for name, times in (("without first reports", plain), ("with first reports", traced)):
        ms = [t * 1000 for t in times]
        p50, p95 = statistics.median(ms), percentile(ms, 95)
        print(f"| ask {name}, p50 / p95 | {p50:,.0f} / {p95:,.0f} ms |")


def replace_settings(settings: Settings, first_reports: bool) -> Settings:
    return settings.model_copy(update={"first_reports": first_reports})


if __name__ == "__main__":
    main()
