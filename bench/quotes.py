"""Who published this quote? A distinctive verbatim sentence must bring back its own article first.

    python bench/quotes.py [--news FILE] [--data DIR] [--sample N]

Samples ``--sample`` sentences of 100-300 characters from the news articles, each one found (as
accent- and case-folded words) in no other article, and asks Revue for each in two forms: the
bare sentence (``revue search``) and a question that quotes it (``revue ask``: "Qui a écrit
« … » ?"). Reports the share whose own article comes first, and lists the misses. The index of
the articles (with corpus/) is built in ``--data`` if it is not there (about 9 minutes on 2
cores); nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NEWS, percentile, require  # noqa: E402

if TYPE_CHECKING:
    from index.engine import Revue
    from index.records import Article

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
_WORDS = re.compile(r"\w+")


def folded_words(text: str) -> str:
    from index.text import fold

    return " ".join(_WORDS.findall(fold(text)))


def distinctive_sentences(articles: list[Article], n: int, seed: int = 0) -> list[tuple[str, str]]:
    """(article id, sentence) pairs: 100-300 characters, in no other article, one per article."""
    from index.sentences import sentences

    folded = {a.id: folded_words(a.text) for a in articles}
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for a in rng.sample(articles, len(articles)):
        spans = [s for s in sentences(a.text) if 100 <= s.end - s.start <= 300]
        if not spans:
            continue
        s = rng.choice(spans)
        text = a.text[s.start : s.end]
        needle = folded_words(text)
        if sum(needle in f for f in folded.values()) == 1:
            out.append((a.id, text))
        if len(out) == n:
            break
    return out


def engine_for(news: Path, data: Path) -> Revue:
    from index.engine import Revue
    from index.settings import Settings

    engine = Revue(Settings(data_dir=data))
    if not engine.is_indexed():
        print(f"indexing corpus/ and {news} into {data} (about 9 minutes on 2 cores)", flush=True)
        engine.index([ROOT / "corpus", news])
    return engine


def measure(engine: Revue, samples: list[tuple[str, str]]) -> dict[str, Any]:
    search_ok, ask_ok, misses = 0, 0, []
    started = time.perf_counter()
    search_ms = []
    for article_id, sentence in samples:
        t0 = time.perf_counter()
        hits = engine.search(sentence, k=10)
        search_ms.append((time.perf_counter() - t0) * 1000)
        first = hits[0].article_id if hits else None
        search_ok += first == article_id
        answer = engine.ask(f"Qui a écrit « {sentence} » ?")
        cited = answer.citations[0].article_id if answer.citations else None
        ask_ok += cited == article_id
        if first != article_id or cited != article_id:
            misses.append({"article": article_id, "search_first": first, "ask_first": cited})
    n = len(samples)
    return {
        "sentences": n,
        "search_first": search_ok / n,
        "ask_first_citation": ask_ok / n,
        "search_p50_ms": percentile(search_ms, 50),
        "search_p95_ms": percentile(search_ms, 95),
        "seconds": time.perf_counter() - started,
        "misses": misses,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--news", type=Path, default=NEWS)
    ap.add_argument("--data", type=Path, default=RESULTS / "news3k")
    ap.add_argument("--sample", type=int, default=500)
    args = ap.parse_args()
    require(args.news)
    from index.ingest.corpus import load_corpus

    articles = list(load_corpus([args.news]).articles)
    samples = distinctive_sentences(articles, args.sample)
    engine = engine_for(args.news, args.data)
    engine.ask("warm-up question")
    result = {"without quote matching": measure_without_quotes(engine, samples)}
    result["with quote matching"] = measure(engine, samples)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quotes.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    for name, figures in result.items():
        print(name, json.dumps({k: v for k, v in figures.items() if k != "misses"}, indent=2))
    for miss in result["with quote matching"]["misses"][:15]:
        print("miss:", miss)


def measure_without_quotes(engine: Revue, samples: list[tuple[str, str]]) -> dict[str, Any]:
    """The baseline, in the same process: phrase matching off in retrieval and in the answer."""
    from dataclasses import replace

    from index.search import retrieval

    config, coverage = engine.answer_config, retrieval.QUOTE_COVERAGE
    retrieval.QUOTE_COVERAGE = float("inf")
    engine.answer_config = replace(config, quote_weight=0.0)
    try:
        return measure(engine, samples)
    finally:
        retrieval.QUOTE_COVERAGE, engine.answer_config = coverage, config


if __name__ == "__main__":
    main()
