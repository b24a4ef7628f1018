"""Timelines: how many articles match a topic, per day, week or month and per outlet.

An article matches when one of its chunks holds every word of the topic (Snowball stems, the
French or the English one of each word), or when a chunk's embedding stands at least
``MEANING_BAR`` standard deviations above the topic's cosines to unrelated news sentences.

Why both, and why 4.0, measured on the 3,002-article French index (bench/results/news3k), with
the articles that hold every word of a French topic as the reference (docs/benchmarks.md):

- The words alone are precise and complete for a topic in the corpus's language ("grève": 79
  articles, "retraites": 145), and for names in any language ("Brexit", "OpenAI").
- The meaning finds what the words miss ("coronavirus" at 4.0: 45 articles, 45 of them holding
  the word; "coronavirus pandemic": 111, 97 of them) and English over French text ("pension
  reform": 5 of 5). Pooled over 16 topics (8 French, 8 English) its precision against the
  words is 0.91 at 4.0 against 0.77 at 3.0. Many of its "misses" are right (Covid-19
  articles that never say "coronavirus"), so 0.91 is a floor; but not all: "yellow vests"
  finds 3 articles at 4.0, on yellow cars and fashion, none on the protests (29 at 3.0, 2 on
  them), which is why the output says how many articles only the meaning found.
- A short topic against 400-word chunks scores low: an English one-word topic seldom reaches
  the bar ("strike": best 2.3), so it counts only what its words find. The counts say how many
  articles each side found, so a reader can tell.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

import numpy as np

from index.records import NO_FILTERS, Filters, Matched, Period, Timeline, Unit
from index.search.decision import Baseline
from index.stemming import stems
from index.text import STOPWORDS, WORD, fold

if TYPE_CHECKING:
    from index.search.retrieval import Retriever

MEANING_BAR = 4.0
# Chunks the embedding side reads, best first: a topic with more chunks above the bar than this
# is charted from its best ones (news3k: the broadest topic measured, "coronavirus pandemic",
# has 111 articles above the bar).
MEANING_DEPTH = 3000
# By span from the first match to the latest: days up to two months (at most 62 bars), weeks up
# to two years (105), months beyond (news3k spans 2014-2020: 78 months).
DAYS_UP_TO = 62
WEEKS_UP_TO = 731


def is_name(word: str) -> bool:
    """A word written with a capital after its first letter or with a digit ("OpenAI", "SNCF",
    "COP21"): matched as typed, since its stem can be another word's ("OpenAI" -> "open")."""
    return any(c.isupper() for c in word[1:]) or any(c.isdigit() for c in word)


def word_queries(topic: str) -> tuple[list[list[str]], list[str]]:
    """What together requires every content word of ``topic``: a group of stems per word (its
    French or its English stem), and the names, matched as written."""
    stemmed: list[list[str]] = []
    named: list[str] = []
    for word in WORD.findall(topic):
        if fold(word) in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        if is_name(word):
            named.append(word)
            continue
        stemmed.append(list(dict.fromkeys(stems(word, "fr") + stems(word, "en"))))
    return stemmed, named


def by_words(retriever: Retriever, topic: str, filters: Filters) -> set[str]:
    """The articles (of those ``filters`` allow) with a chunk holding every word of ``topic``."""
    stemmed, named = word_queries(topic)
    if not (stemmed or named):
        return set()
    found = retriever.store.matching(stemmed, named, filters)
    return {c.article_id for c in retriever.store.chunks(sorted(found)).values()}


def by_meaning(
    retriever: Retriever, query_vec: np.ndarray, baseline: Baseline, filters: Filters
) -> set[str]:
    """The articles (of those ``filters`` allow) with a chunk whose cosine to the topic stands
    ``MEANING_BAR`` standard deviations above its cosines to unrelated news."""
    found = retriever.dense(query_vec, MEANING_DEPTH, filters)
    kept = [cid for cid, cosine in found if baseline.relevance(cosine) >= MEANING_BAR]
    return {c.article_id for c in retriever.store.chunks(kept).values()}


def unit_for(first: dt.date, last: dt.date) -> Unit:
    span = (last - first).days
    return "day" if span <= DAYS_UP_TO else "week" if span <= WEEKS_UP_TO else "month"


def period_of(day: dt.date, unit: Unit) -> dt.date:
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1) if unit == "month" else day


def periods_between(first: dt.date, last: dt.date, unit: Unit) -> list[dt.date]:
    """Every period from the one holding ``first`` to the one holding ``last``."""
    out, day = [], period_of(first, unit)
    while day <= last:
        out.append(day)
        if unit == "month":
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        else:
            day += dt.timedelta(days=7 if unit == "week" else 1)
    return out


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "")[:10])
    except ValueError:
        return None


def build_timeline(  # noqa: PLR0913 - the topic, its vector and how to count it
    retriever: Retriever,
    topic: str,
    query_vec: np.ndarray,
    baseline: Baseline,
    filters: Filters = NO_FILTERS,
    unit: Unit | Literal["auto"] = "auto",
) -> Timeline:
    """The topic's timeline over the articles ``filters`` allow."""
    words = by_words(retriever, topic, filters)
    meaning = by_meaning(retriever, query_vec, baseline, filters)
    matched = _matched(retriever, words, meaning)
    dated = sorted(
        ((d, m) for m in matched if (d := _date(m.date)) is not None),
        key=lambda dm: (dm[0], dm[1].date or "", dm[1].article_id),
    )
    chosen: Unit = "day" if unit == "auto" else unit
    if dated and unit == "auto":
        chosen = unit_for(dated[0][0], dated[-1][0])
    return Timeline(
        topic=topic,
        unit=chosen,
        periods=tuple(_periods(dated, chosen)) if dated else (),
        outlets=tuple(Counter(m.source or "?" for _, m in dated).most_common()),
        first=dated[0][1] if dated else None,
        latest=dated[-1][1] if dated else None,
        matched=len(matched),
        by_words=len(words),
        by_meaning=len(meaning - words),
        undated=len(matched) - len(dated),
        filters=filters,
    )


def _periods(dated: list[tuple[dt.date, Matched]], unit: Unit) -> Iterable[Period]:
    counts: dict[dt.date, Counter[str]] = {}
    for day, m in dated:
        counts.setdefault(period_of(day, unit), Counter())[m.source or "?"] += 1
    for start in periods_between(dated[0][0], dated[-1][0], unit):
        found = counts.get(start, Counter())
        yield Period(start.isoformat(), tuple(sorted(found.items(), key=lambda o: (-o[1], o[0]))))


def _matched(retriever: Retriever, words: set[str], meaning: set[str]) -> list[Matched]:
    out = []
    for article_id, c in sorted(retriever.store.bylines(sorted(words | meaning)).items()):
        ways = (("words", article_id in words), ("meaning", article_id in meaning))
        how = "+".join(w for w, ok in ways if ok)
        out.append(Matched(article_id, c.title, c.source, c.date, c.url, how))
    return out
