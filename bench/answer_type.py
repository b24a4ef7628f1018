"""Answer-type checks (issue 22): does one of the windows the reader reads hold the kind of
answer the question asks for (a number for how many / how much / combien, a date for when /
quand)? Replayed on the tuning set beside the reader's saved beliefs: a question is declined
when the reader declines it, or (with the check) when none of its windows holds the type.

    python bench/answer_type.py DATA_DIR FEATURES.json [QUESTIONS.jsonl]

DATA_DIR is the index of corpus/ and the 3,000 articles; FEATURES.json is what ``bench/reader.py
read`` saved for the questions (by default bench/questions/reader_tuning.jsonl).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import read_jsonl, require  # noqa: E402
from bench.reader import best_belief, quotes_hold  # noqa: E402
from index.engine import Revue  # noqa: E402
from index.search.candidates import candidates  # noqa: E402
from index.search.decision import LLM_READING  # noqa: E402
from index.search.reading import read_windows  # noqa: E402
from index.settings import Settings  # noqa: E402

TUNING = Path(__file__).with_name("questions") / "reader_tuning.jsonl"
NUMBER = re.compile(
    r"\d|\b(une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt|trente|cent|"
    r"mille|million|milliard|one|two|three|four|five|ten|hundred|thousand|billion|moitié|quart|"
    r"tiers)s?\b",
    re.IGNORECASE,
)
MONTHS = (
    "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
DAYS = (
    "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|"
    "friday|saturday|sunday|hier|veille|aujourd'hui|yesterday|today"
)
DATE = re.compile(rf"\b(1[89]\d\d|20\d\d)\b|\b({MONTHS}|{DAYS})\b", re.IGNORECASE)
ASKS_NUMBER = re.compile(
    r"\b(how many|how much|combien|what share|quel pourcentage|what percentage|quelle part|"
    r"what price|quel prix|how long|how old|quel âge)\b"
)
ASKS_DATE = re.compile(
    r"\b(when|quand|what year|quelle année|what date|quelle date|what day|quel jour)\b"
)


def wanted(question: str) -> re.Pattern[str] | None:
    """What the answer must hold, for the question types a rule can tell."""
    text = question.lower()
    if ASKS_NUMBER.search(text):
        return NUMBER
    return DATE if ASKS_DATE.search(text) else None


def typed(engine: Revue, question: str) -> bool | None:
    """Whether one of the windows read holds the answer's type (None: no type asked)."""
    pattern = wanted(question)
    if pattern is None:
        return None
    config = engine.answer_config
    evidence = engine.evidence(question)
    scored = candidates(evidence, engine.embedder.encode_passages, config)
    same = (
        read_windows(evidence, scored, lambda q, ts: np.full(len(ts), 0.5), config)
        if scored
        else []
    )
    texts = [evidence.articles[j.candidate.article_id].text[j.candidate.start : j.candidate.end]
             for j in same]  # fmt: skip
    return any(pattern.search(t) for t in texts)


def decide(row: dict[str, Any], has_type: bool | None, check: bool) -> tuple[bool, bool]:
    """(answered, evidence in the first 3 quotes) under the reader's rule, with or without
    the check."""
    windows = row["windows"]
    if not windows:
        return False, False
    if best_belief(windows) < LLM_READING.read_below or (check and has_type is False):
        return False, False
    return True, quotes_hold(windows, LLM_READING.read_margin)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("features", type=Path)
    ap.add_argument("questions", type=Path, nargs="?", default=TUNING)
    args = ap.parse_args()
    require(args.data_dir, args.features, args.questions)
    engine = Revue(Settings(data_dir=args.data_dir, reader="none", writer="none"))
    types = {q["id"]: typed(engine, q["question"]) for q in read_jsonl(args.questions)}
    rows = json.loads(args.features.read_text(encoding="utf-8"))
    missing = sorted(k for k, v in types.items() if v is False)
    print(f"{sum(v is not None for v in types.values())} questions ask for a number or a date; "
          f"the type is in none of the windows read for {len(missing)}: {missing}")  # fmt: skip
    for check in (False, True):
        rates = []
        for lang in ("en", "fr"):
            mine = [r for r in rows if r["lang"] == lang]
            pos = [decide(r, types[r["id"]], check) for r in mine if r["answerable"]]
            neg = [decide(r, types[r["id"]], check) for r in mine if not r["answerable"]]
            found = sum(a and e for a, e in pos) / max(len(pos), 1)
            rates.append((found, sum(not a for a, _ in neg) / max(len(neg), 1)))
        name = "reader and answer-type check" if check else "reader alone"
        cells = " | ".join(f"{f:.2f} / {d:.2f}" for f, d in rates)
        print(f"| {name} | {cells} | {sum(f + d for f, d in rates) / 4:.3f} |")


if __name__ == "__main__":
    main()
