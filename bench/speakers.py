"""Who is speaking (issue 25): the attribution rules of ``index/coverage/speakers.py`` against
a judged file of passages.

    .venv/bin/python bench/speakers.py [bench/questions/speakers_dev.jsonl] [--json] [--beyond]

Each line of the judged file is a passage: ``article`` (an id of
../shared/data/news_fr/articles.jsonl, or of a seed article in corpus/, whose offsets point into
the body after the front matter, stripped), ``start``/``end``, and the judgement: ``speaker``
(None when no one speaks or no one can be told), ``role``, ``where``, ``kind`` (direct,
indirect, none) and ``speaker_in`` (sentence, neighbour, none).

The rule for a correct speaker, fixed before any run: both names are folded (lower case, no
accents, apostrophes and hyphens as spaces, a leading determiner or title such as "le", "l'",
"M." dropped). The named speaker is correct when the folded names are equal; or, for a person
(the judged name is two or more capitalised words), when the judged surname (its last word) is
a word of the predicted name; or, for a body or a role, when one folded name starts with the
other at a word boundary and both start with the same head word ("parquet de Paris" and
"parquet", "préfecture de police" and "préfecture").

Figures: precision (correct / speakers named), recall (correct / passages judged to have a
speaker), accuracy on "no speaker" (None given / passages judged to have none), recall per
kind and per speaker_in, and the cost per passage (p50 / p95 ms, the sentences of the article
split each time, as the engine does).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import NEWS  # noqa: E402
from index.coverage.speakers import speaker_of  # noqa: E402
from index.ingest.corpus import load_corpus  # noqa: E402

DEV = ROOT / "bench" / "questions" / "speakers_dev.jsonl"
_LEADING = re.compile(r"^(?:le|la|les|l|m|mme|me|dr|the)\s+")


def fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = " ".join(re.sub(r"[^\w]+", " ", text).split())
    return _LEADING.sub("", text)


def correct(predicted: str, judged: str) -> bool:
    """The rule in this module's docstring."""
    p, j = fold(predicted), fold(judged)
    if not p or not j:
        return False
    if p == j:
        return True
    judged_words = judged.replace("’", " ").replace("'", " ").split()
    person = len(judged_words) >= 2 and all(w[:1].isupper() for w in judged_words[-2:])
    if person:
        return j.split()[-1] in p.split()
    short, long = sorted((p, j), key=len)
    return long.startswith(short + " ") and p.split()[0] == j.split()[0]


def texts(ids: set[str]) -> dict[str, str]:
    """The judged articles' texts: the news file's, then the seed articles'."""
    found: dict[str, str] = {}
    with NEWS.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["id"] in ids:
                found[row["id"]] = row["text"]
    for article in load_corpus([ROOT / "corpus"]).articles:
        if article.id in ids:
            found[article.id] = article.text
    return found


def run(path: Path, beyond: bool = False) -> dict[str, Any]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    articles = texts({r["article"] for r in rows})
    named = right = spoken = silent = silent_right = 0
    by: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    costs, misses = [], []
    for row in rows:
        text = articles[row["article"]]
        began = time.perf_counter()
        got = speaker_of(text, row["start"], row["end"], beyond=beyond)
        costs.append((time.perf_counter() - began) * 1000)
        judged = row.get("speaker")
        ok = bool(got.speaker and judged and correct(got.speaker, judged))
        named += bool(got.speaker)
        right += ok
        if judged:
            spoken += 1
            for key in (f"kind={row.get('kind')}", f"speaker_in={row.get('speaker_in')}"):
                by[key][0] += ok
                by[key][1] += 1
        else:
            silent += 1
            silent_right += got.speaker is None
        if got.speaker and not ok:
            misses.append(f"{row['id']}: said {got.speaker!r}, judged {judged!r}")
    costs.sort()
    return {
        "file": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        "passages": len(rows),
        "named": named,
        "correct": right,
        "precision": round(right / named, 3) if named else None,
        "recall": round(right / spoken, 3) if spoken else None,
        "no_speaker_accuracy": round(silent_right / silent, 3) if silent else None,
        "recall_by": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by.items())},
        "ms_p50": round(statistics.median(costs), 2),
        "ms_p95": round(costs[int(0.95 * (len(costs) - 1))], 2),
        "wrong": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("judged", nargs="?", type=Path, default=DEV)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="no list of wrong speakers")
    parser.add_argument(
        "--beyond", action="store_true", help="also speakers found only before the passage"
    )
    args = parser.parse_args()
    result = run(args.judged, args.beyond)
    if args.quiet:
        result.pop("wrong")
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for key, value in result.items():
        if key == "wrong":
            print("wrong speakers:", *value, sep="\n  ")
        else:
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
