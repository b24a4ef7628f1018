"""Who reported a quoted fact first, how many outlets repeated it, and whether its figure
changed: for each citation of an answer, the articles that state the same fact.

The same fact is found two ways: the wire copies of the cited article (its group, already in
``Citation.also_in``), and sentences of other articles that say the same thing in other
words. Those are searched with the quote itself as the query, then each candidate sentence is
compared with the quote's sentences by the multilingual encoder: a cosine of ``SAME_FACT`` or
more is the same fact. The threshold was set before measuring, from what e5-small gives (a
paraphrase of one sentence lands above 0.92, two sentences on one story about 0.85 to 0.9),
and not tuned on the judged facts (docs/benchmarks.md, "First report and as of").

A figure that changed: the quote's sentence and a same-fact sentence of another article give
different numbers. The latest dated one is the current figure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.records import Answer, Article, Citation, FigureChange, FirstReport, Hit, byline
from index.sentences import sentences
from index.text import words

SAME_FACT = 0.92
CANDIDATES = 20  # passages searched per quote
MIN_WORDS = 5  # shorter sentences ("Pourquoi ?") state no fact of their own
SHARED = 3  # content words a sentence must share with the quote's to be compared
# A figure: digits, thousands in groups of three ("12 000", "12.000"), an optional decimal part
# ("1,5"); not part of a name (Covid-19, G7, A380). Only groups of three join: "2023, 150" is
# two numbers, not 2023150.
NUMBER = re.compile(r"(?<![\w-])(\d{1,3}(?:[  .]\d{3})+|\d+)(?:[.,](\d+))?(?![\w-])")

Search = Callable[[str, int], list[Hit]]
Encode = Callable[[list[str]], np.ndarray]
Fetch = Callable[[set[str]], dict[str, Article]]


@dataclass(frozen=True)
class Statement:
    """One article's sentence that states the fact."""

    article: Article
    numbers: tuple[str, ...]  # the figures of the sentence
    quoted: tuple[str, ...]  # those of the quote's sentence it states the same fact as


def numbers_in(text: str) -> tuple[str, ...]:
    """The figures a sentence gives, normalised ("12 000" and "12000" are one); years are
    dates, not figures."""
    found = []
    for whole, decimals in NUMBER.findall(text):
        digits = re.sub(r"[  .]", "", whole)
        if decimals:
            found.append(f"{digits}.{decimals}")
        elif not (len(digits) == 4 and digits[:2] in ("19", "20")):
            found.append(digits)
    return tuple(found)


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if len(w) >= 4}


def key_sentences(text: str, most: int = 3) -> list[str]:
    spans = [text[s.start : s.end] for s in sentences(text)]
    return [s for s in spans if len(s.split()) >= MIN_WORDS][:most]


class Tracer:
    """Finds, for each citation, the articles stating the same fact (see the module)."""

    def __init__(self, search: Search, encode: Encode, fetch: Fetch) -> None:
        self.search, self.encode, self.fetch = search, encode, fetch

    def trace(self, answer: Answer, articles: Mapping[str, Article]) -> Answer:
        """``answer`` with each citation's ``first`` report (none on a decline)."""
        if answer.abstained or not answer.citations:
            return answer
        traced = tuple(self._citation(c, articles) for c in answer.citations)
        return replace(answer, citations=traced)

    def _citation(self, citation: Citation, articles: Mapping[str, Article]) -> Citation:
        cited = articles.get(citation.article_id)
        own = key_sentences(citation.quote)
        if cited is None or not own:
            return citation
        same = self._same_fact(citation, own)
        figures = numbers_in(" ".join(own))
        statements = [Statement(cited, figures, figures), *same]
        return replace(citation, first=report(citation, statements))

    def _same_fact(self, citation: Citation, own: list[str]) -> list[Statement]:
        hits = [
            h
            for h in self.search(citation.quote, CANDIDATES)
            if h.article_id != citation.article_id
        ]
        # Only sentences sharing SHARED words with the quote's are encoded: a sentence stating
        # the same fact names the same people, places or figures. The first version encoded
        # every sentence of 20 passages: 5.3 s an answer (p50) on the judged questions.
        ours = content_words(" ".join(own))
        candidates = [
            (h.article_id, s)
            for h in hits
            for s in key_sentences(h.text, most=8)
            if len(content_words(s) & ours) >= SHARED
        ]
        if not candidates:
            return []
        vectors = self.encode(own + [s for _, s in candidates])
        similarity = vectors[len(own) :] @ vectors[: len(own)].T
        best: dict[str, tuple[float, str, str]] = {}  # article -> (cosine, its, the quote's)
        for (article_id, sentence), row in zip(candidates, similarity, strict=True):
            score = float(row.max())
            if score >= SAME_FACT and score > best.get(article_id, (0.0, "", ""))[0]:
                best[article_id] = (score, sentence, own[int(row.argmax())])
        found = self.fetch(set(best))
        return [
            Statement(found[a], numbers_in(theirs), numbers_in(ours))
            for a, (_, theirs, ours) in best.items()
            if a in found
        ]


def report(citation: Citation, statements: Sequence[Statement]) -> FirstReport:
    """The first article among those stating the fact (copies included), the outlets that
    did, and the figure's latest value where the articles disagree on it. A sentence with
    other figures states another fact (an earlier or later toll is not this one): it counts
    for the figure's change only."""
    stating = [s for s in statements if s.numbers == s.quoted]
    dated = [(s.article.date, s.article.id, s.article.source) for s in stating]
    dated += [(c.date, c.article_id, c.source) for c in citation.also_in]
    date, first_id, source = min(dated, key=lambda d: (latest_day(d[0]), d[1]))
    outlets = {src for _, _, src in dated if src} | {citation.source or citation.article_id}
    first = next((s.article for s in stating if s.article.id == first_id), None)
    title = (
        first.title
        if first
        else next(c.title for c in citation.also_in if c.article_id == first_id)
    )
    return FirstReport(
        article_id=first_id,
        source=source,
        date=date,
        title=title,
        outlets=len(outlets),
        articles=len({d[1] for d in dated}),
        figure=figure_change(statements),
    )


def latest_day(date: str | None) -> str:
    """The last day a date can mean, for ordering: "2025" may be any day of 2025, so it comes
    after "2025-03-01" (a partial date is never taken for the first on its own); undated last."""
    if not date:
        return "9999-99-99"
    return date + "-99" * max(0, 2 - date.count("-"))


def changed_figure(statement: Statement) -> tuple[str, str] | None:
    """The one figure in which a same-fact sentence differs from the quote's: (its value, the
    quote's). None when they agree, or differ in more than one figure (then they are not one
    fact updated but another list of figures)."""
    if not statement.numbers or len(statement.numbers) != len(statement.quoted):
        return None
    differ = [(a, b) for a, b in zip(statement.numbers, statement.quoted, strict=True) if a != b]
    return differ[0] if len(differ) == 1 else None


def figure_change(statements: Sequence[Statement]) -> FigureChange | None:
    """Where articles stating the fact give another figure for it: the latest dated of them
    all (the quote's own included), and the earliest that gave another."""
    quoted = statements[0]
    changes = [(s, c) for s in statements[1:] if s.article.date and (c := changed_figure(s))]
    if not changes or not quoted.article.date:
        return None
    mine = changes[0][1][1]  # the quote's value of the figure that changed
    given = [(quoted, mine)] + [(s, theirs) for s, (theirs, ours) in changes if ours == mine]
    latest, latest_value = max(given, key=lambda g: (g[0].article.date or "", g[0].article.id))
    others = [g for g in given if g[1] != latest_value]
    if not others:
        return None
    earliest, earlier_value = min(others, key=lambda g: (g[0].article.date or "", g[0].article.id))
    return FigureChange(
        latest=latest_value,
        latest_article=latest.article.id,
        latest_source=latest.article.source,
        latest_date=latest.article.date,
        earlier=earlier_value,
        earlier_source=earliest.article.source,
        earlier_date=earliest.article.date,
        quoted_is_latest=latest is quoted,
    )


def first_line(citation: Citation) -> str | None:
    """The citation's first report in words, or None when there is nothing to add (the
    cited article alone states the fact)."""
    first = citation.first
    if first is None:
        return None
    parts = []
    repeated = first.outlets - 1
    if first.article_id != citation.article_id:
        who = first.byline if first.source else byline(first.title or first.article_id, first.date)
        parts.append(f"first reported by {who}")
    elif repeated > 0:
        parts.append("first reported here")
    if repeated > 0:
        parts.append(f"repeated by {repeated} other outlet{'s' if repeated > 1 else ''}")
    change = first.figure
    if change is not None and change.quoted_is_latest:
        parts.append(f"earlier articles gave {change.earlier} ({change.earlier_date})")
    elif change is not None:
        where = ", ".join(p for p in (change.latest_source, change.latest_date) if p)
        parts.append(f"a later article gives {change.latest} ({where})")
    return "; ".join(parts) or None


def as_of_line(answer: Answer) -> str | None:
    """What the answer is current to: the latest article it quotes."""
    return f"As of {answer.as_of}, the latest article quoted." if answer.as_of else None
