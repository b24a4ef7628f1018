"""Helpers shared by the benchmark scripts: data paths, PIAF loading, metrics."""

from __future__ import annotations

import json
import math
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from index.model.encoder import Encoder

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
PIAF = SHARED / "data" / "piaf_fr"
NEWS = SHARED / "data" / "news_fr" / "articles.jsonl"
NEWS_ALL = SHARED / "data" / "news_fr" / "articles_all.jsonl.gz"
SEEDS = SHARED / "eval" / "seed_questions.jsonl"


def require(*paths: Path) -> None:
    """Stop with a clear message when benchmark data is missing."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        sys.exit(
            "benchmark data missing: "
            + ", ".join(missing)
            + "\n(pass the data paths as arguments; see docs/benchmarks.md)"
        )


@dataclass(frozen=True)
class PiafQuestion:
    id: str
    question: str
    context_id: str
    title: str
    answers: tuple[str, ...]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def piaf(piaf_dir: Path) -> tuple[list[dict[str, Any]], list[PiafQuestion], dict[str, set[str]]]:
    """(paragraphs, questions, qrels: query id -> relevant paragraph ids)."""
    require(piaf_dir / "corpus.jsonl", piaf_dir / "qa.jsonl", piaf_dir / "qrels.tsv")
    paragraphs = read_jsonl(piaf_dir / "corpus.jsonl")
    questions = [
        PiafQuestion(
            q["id"],
            q["question"],
            q["context_id"],
            q["title"],
            tuple(a["text"] for a in q.get("answers", [])),
        )
        for q in read_jsonl(piaf_dir / "qa.jsonl")
    ]
    qrels: dict[str, set[str]] = defaultdict(set)
    for line in (piaf_dir / "qrels.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, cid, score = line.split("\t")
        if int(score) > 0:
            qrels[qid].add(cid)
    return paragraphs, questions, qrels


def write_articles(rows: list[dict[str, Any]], path: Path) -> Path:
    """Write paragraphs as a JSON Lines corpus that ``revue index`` reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(
                json.dumps(
                    {
                        "id": r["id"],
                        "title": r.get("title"),
                        "text": r["text"],
                        "source": r.get("source"),
                        "date": r.get("date"),
                        "url": r.get("url"),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return path


def ndcg_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: list[str], relevant: set[str], k: int = 100) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    idx = min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))
    return s[idx]


class HasArticle(Protocol):
    """A hit of either system: the paragraph (article) it belongs to."""

    @property
    def article_id(self) -> str: ...


def ranked_ids(hits: Iterable[HasArticle], depth: int = 100) -> list[str]:
    """Chunk hits mapped to their paragraph (article id), first rank kept, at most ``depth``."""
    ranked: list[str] = []
    for h in hits:
        if h.article_id not in ranked:
            ranked.append(h.article_id)
    return ranked[:depth]


def scores(runs: list[tuple[list[str], set[str]]]) -> dict[str, Any]:
    """Mean nDCG@10 and Recall@100 over (paragraph ranking, relevant paragraphs) pairs."""
    return {
        "ndcg@10": statistics.mean(ndcg_at(r, rel, 10) for r, rel in runs),
        "recall@100": statistics.mean(recall_at(r, rel, 100) for r, rel in runs),
        "paragraphs_ranked": statistics.mean(len(r) for r, _ in runs),
        "queries": len(runs),
    }


def latency_questions(piaf_dir: Path, n: int = 50) -> list[str]:
    """The seed questions, then a fixed sample of PIAF questions up to ``n``."""
    qs = [json.loads(x)["question"] for x in SEEDS.read_text().splitlines() if x.strip()]
    if (piaf_dir / "qa.jsonl").exists():
        _, piaf_qs, _ = piaf(piaf_dir)
        qs += [q.question for q in random.Random(0).sample(piaf_qs, n - len(qs))]
    return qs


def chunk_texts(data_dir: Path) -> list[str]:
    """The chunk texts of a Revue index, in id order."""
    from index.storage.store import Store

    store = Store(data_dir / "revue.db", readonly=True)
    try:
        return [row["text"] for row in store.db.query("select text from chunks order by id")]
    finally:
        store.close()


def raw_encode_seconds(encoder: Encoder, texts: list[str], batch_size: int) -> float:
    """The physical limit: sentence-transformers' own encode of these passages (Revue's prefix
    and batch size, none of its pipeline), in this process."""
    from index.model.embedder import Embedder

    if not isinstance(encoder, Embedder):
        raise TypeError("the raw-encode baseline needs the sentence-transformers model")
    embedder = encoder
    t0 = time.perf_counter()
    embedder._model.encode(
        [embedder.passage_prefix + t for t in texts],
        batch_size=batch_size,
        normalize_embeddings=True,
    )
    return time.perf_counter() - t0


def embedded(engine: Any) -> Any:
    """The SQLite + FAISS snapshot behind ``engine`` (``.store``, ``.vectors``): the benchmarks
    that measure the embedded backend's own costs reach it here, not through search's types."""
    return engine._index.current()
