"""Training pairs for the reader, drawn from PIAF (French Wikipedia QA, MIT licence).

PIAF is split by Wikipedia article: two thirds of the articles (``split(title) == "train"``)
give training questions; the other third is kept for evaluation (``bench/``) and never reaches
the reader. Each training question yields pairs (question, "title — sentence") labelled 1 for
the sentence holding its answer and 0 for:

- another sentence of the same paragraph (same topic, does not answer),
- a sentence of another paragraph of the same article (what an unanswerable question meets:
  the right subject, not the fact asked about),
- a sentence of another article,

and (question, "title — paragraph") pairs, 1 for its paragraph and 0 for another paragraph of
the same article, so the same model can rerank whole passages. English translations of some
training questions (``reader_questions_en.jsonl``, written for Revue) repeat the sentence pairs
with the English question, for English questions over French text.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import ModelUnavailable
from index.sentences import sentences
from index.text import titled

ENGLISH_QUESTIONS = Path(__file__).with_name("reader_questions_en.jsonl")


@dataclass(frozen=True)
class Pair:
    question: str
    text: str
    label: float


@dataclass(frozen=True)
class _Question:
    id: str
    question: str
    title: str
    paragraph: str
    answer_start: int


def split(title: str) -> str:
    """ "train" for two thirds of PIAF's articles, "eval" for the rest (stable across runs)."""
    return "eval" if int(hashlib.sha1(title.encode()).hexdigest(), 16) % 3 == 0 else "train"


def _questions(piaf_dir: Path) -> tuple[list[_Question], set[str]]:
    """The training questions, and the ids of the held-out ones."""
    path = piaf_dir / "qa.jsonl"
    if not path.is_file():
        raise ModelUnavailable(f"reader training data not found: {path} (PIAF qa.jsonl)")
    out, held_out = [], set()
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if split(row["title"]) != "train":
            held_out.add(row["id"])
            continue
        if not row.get("answers"):
            continue
        out.append(
            _Question(
                row["id"],
                row["question"].strip(),
                row["title"],
                row["context"],
                int(row["answers"][0]["answer_start"]),
            )
        )
    return out, held_out


def english_questions(held_out: set[str]) -> dict[str, str]:
    """PIAF id -> English question; refuses a held-out question (it would leak into training)."""
    out = {}
    for line in ENGLISH_QUESTIONS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["id"] in held_out:
            raise ModelUnavailable(f"{ENGLISH_QUESTIONS.name}: {row['id']} is a held-out question")
        out[row["id"]] = row["question"].strip()
    return out


def pairs(piaf_dir: Path, seed: int = 0) -> list[Pair]:
    """Every training pair, shuffled."""
    questions, held_out = _questions(piaf_dir)
    rng = random.Random(seed)
    by_title: dict[str, list[str]] = defaultdict(list)
    for q in questions:
        if q.paragraph not in by_title[q.title]:
            by_title[q.title].append(q.paragraph)
    cut = {p: _sentences(p) for ps in by_title.values() for p in ps}
    titles = sorted(by_title)
    english = english_questions(held_out)
    out: list[Pair] = []
    for q in questions:
        asked = [q.question] + ([english[q.id]] if q.id in english else [])
        for title, text, label in _sentence_pairs(q, by_title, cut, titles, rng):
            out.extend(Pair(a, titled(title, text), label) for a in asked)
        others = [p for p in by_title[q.title] if p != q.paragraph]
        out.append(Pair(q.question, titled(q.title, q.paragraph), 1.0))
        if others:
            out.append(Pair(q.question, titled(q.title, rng.choice(others)), 0.0))
    rng.shuffle(out)
    return out


def _sentences(paragraph: str) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in sentences(paragraph, "fr")]


def _sentence_pairs(
    q: _Question,
    by_title: dict[str, list[str]],
    cut: dict[str, list[tuple[int, int]]],
    titles: list[str],
    rng: random.Random,
) -> Iterator[tuple[str, str, float]]:
    spans = cut[q.paragraph]
    answer = [s for s in spans if s[0] <= q.answer_start < s[1]]
    if not answer:
        return
    yield q.title, q.paragraph[slice(*answer[0])], 1.0
    rest = [s for s in spans if s != answer[0]]
    if rest:
        yield q.title, q.paragraph[slice(*rng.choice(rest))], 0.0
    others = [p for p in by_title[q.title] if p != q.paragraph]
    if others:
        p = rng.choice(others)
        yield q.title, p[slice(*rng.choice(cut[p]))], 0.0
    elsewhere = rng.choice([t for t in titles if t != q.title])
    p = rng.choice(by_title[elsewhere])
    yield elsewhere, p[slice(*rng.choice(cut[p]))], 0.0
