"""Small immutable records that cross module boundaries (never dicts)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

SearchMode = Literal["hybrid", "dense", "keyword"]
Stage = Literal[
    "parse", "chunk", "embed", "write", "copy"
]  # what ``revue index`` (or migrate) is doing

# The metadata an article may carry besides its id and text, in the order they are shown.
ARTICLE_META = ("title", "source", "author", "date", "url", "language")


def byline(*parts: str | None) -> str:
    """The given parts that are set, as "Le Monde · 2025-12-02"; empty when none is."""
    return " · ".join(p for p in parts if p)


class _Bylined:
    """Records with an outlet and a date: ``byline`` names them as readers see them."""

    source: str | None
    date: str | None

    @property
    def byline(self) -> str:
        return byline(self.source, self.date)


@dataclass(frozen=True)
class Article(_Bylined):
    """One article as read from the corpus; ``text`` is what offsets point into."""

    id: str
    text: str
    title: str | None = None
    source: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    language: str | None = None
    origin: str = ""  # file (and line, for JSON Lines) it came from

    @property
    def content_hash(self) -> str:
        """Hash of everything stored for the article, to detect changes between runs."""
        h = hashlib.sha256()
        for part in (self.text, *self.meta().values()):
            h.update((part or "").encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()

    def meta(self) -> dict[str, str | None]:
        """The metadata fields (``ARTICLE_META``) by name."""
        return {key: getattr(self, key) for key in ARTICLE_META}


@dataclass(frozen=True)
class Problem:
    """A corpus file (or line) that was skipped, and why; ``kept``: it was indexed all the same,
    less what the reason names (a date that is not a date)."""

    origin: str
    reason: str
    kept: bool = False


@dataclass(frozen=True)
class CorpusLoad:
    """The articles read from the corpus paths and the inputs that were skipped."""

    articles: tuple[Article, ...]
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A span of an article's text: ``text == article.text[start:end]``."""

    article_id: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Filters:
    """Which articles a question may be answered from: an outlet (a case-insensitive part of
    its name) and an inclusive range of publication dates (ISO, ``YYYY-MM-DD``)."""

    outlet: str | None = None
    since: str | None = None
    until: str | None = None

    def __bool__(self) -> bool:
        return bool(self.outlet or self.since or self.until)

    def describe(self) -> str:
        """ "from outlets matching 'AFP', published 2025-01-01 to 2025-06-30"; empty when no
        filter is set."""
        parts = []
        if self.outlet:
            parts.append(f"from outlets matching {self.outlet!r}")
        if self.since and self.until:
            parts.append(f"published {self.since} to {self.until}")
        elif self.since:
            parts.append(f"published since {self.since}")
        elif self.until:
            parts.append(f"published until {self.until}")
        return ", ".join(parts)


NO_FILTERS = Filters()  # every article


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score (higher is better)."""

    chunk_id: int
    article_id: str
    score: float
    text: str
    start: int
    end: int
    dense: float | None = None  # cosine similarity to the question, when known
    keyword_rank: int | None = None
    dense_rank: int | None = None


def publication_key(date: str | None, article_id: str) -> tuple[str, str]:
    """Earliest first, undated last: the order in which copies of a dispatch appeared."""
    return (date or "9999", article_id)


@dataclass(frozen=True)
class Copy(_Bylined):
    """Another run of the same wire dispatch (a near-identical article elsewhere)."""

    article_id: str
    source: str | None
    date: str | None
    url: str | None
    title: str | None


@dataclass(frozen=True)
class ArticleInfo(_Bylined):
    """An indexed article as listed by ``revue sources``, with its wire copies."""

    id: str
    title: str | None
    source: str | None
    date: str | None
    url: str | None
    chunks: int
    copies: tuple[Copy, ...] = ()


SpeechKind = Literal["direct", "indirect", "none"]


@dataclass(frozen=True)
class Attribution:
    """Who speaks inside a quote, and the chain that brought the words to the reader: the
    speaker (as the article names them; None when it cannot be told), in what role and where
    (on X, à l'AFP), then the outlet that reported it (``reported_by``, the original of a wire
    group where the cited article is a copy, with its date) and the cited outlet that
    republished it (``republished_by``, None when it is the original)."""

    speaker: str | None
    role: str | None = None
    where: str | None = None
    kind: SpeechKind = "none"  # "direct": in quotation marks; "indirect": reported words
    reported_by: str | None = None
    original_date: str | None = None
    republished_by: str | None = None

    @property
    def line(self) -> str:
        """ "said by Nick Turley (responsable de ChatGPT), sur X · reported by AFP"; empty when
        no speaker is named (nothing worth a line)."""
        if not self.speaker:
            return ""
        said = f"said by {self.speaker}" + (f" ({self.role})" if self.role else "")
        said += f", {self.where}" if self.where else ""
        parts = [said]
        if self.reported_by:
            parts.append(f"reported by {self.reported_by}")
        if self.republished_by:
            parts.append(f"republished by {self.republished_by}")
        return " · ".join(parts)


@dataclass(frozen=True)
class FigureChange:
    """The articles stating a quoted fact give different figures: the latest dated one, and
    the earliest that gave another."""

    latest: str
    latest_article: str
    latest_source: str | None
    latest_date: str | None
    earlier: str
    earlier_source: str | None
    earlier_date: str | None
    quoted_is_latest: bool


@dataclass(frozen=True)
class FirstReport:
    """The first indexed article stating a quoted fact (its wire copies and other articles
    saying the same included), and how many outlets and articles state it."""

    article_id: str
    source: str | None
    date: str | None
    title: str | None
    outlets: int
    articles: int
    figure: FigureChange | None = None

    @property
    def byline(self) -> str:
        return byline(self.source, self.date)


@dataclass(frozen=True)
class Citation(_Bylined):
    """A numbered verbatim quote: ``quote == article.text[start:end]``."""

    n: int
    article_id: str
    title: str | None
    source: str | None
    date: str | None
    url: str | None
    quote: str
    start: int
    end: int
    score: float
    also_in: tuple[Copy, ...] = ()  # where else the same dispatch ran
    first: FirstReport | None = None  # who stated the fact first (index.coverage.firsts)
    attribution: Attribution | None = None  # who speaks in the quote (None: not looked at)
    # The quote in the question's language, machine-translated and checked (index.writing.gloss);
    # shown beside the verbatim quote, never in its place. None: not glossed, or the gloss failed.
    gloss: str | None = None


@dataclass(frozen=True)
class Checked:
    """One sentence a language model wrote, and whether it survived the check against the
    quotes it cites (``reason`` says why it was kept or dropped)."""

    text: str
    cites: tuple[int, ...]
    kept: bool
    reason: str
    support: float | None = None  # how strongly its quotes support it (see writing.checking)


@dataclass(frozen=True)
class Written:
    """A short answer written from the quotes, in the asker's language: only checked sentences.

    ``text`` is empty when too little survived or the model could not be reached; ``fallback``
    then says why, and the extractive answer stands alone.
    """

    text: str
    sentences: tuple[Checked, ...] = ()
    model: str = ""
    seconds: float = 0.0
    fallback: str | None = None
    draft: str = ""  # what the model wrote, before the check

    @property
    def shown(self) -> bool:
        return bool(self.text) and self.fallback is None


@dataclass(frozen=True)
class Coverage:
    """What was searched: how many articles, and the dates of the first and the latest."""

    articles: int
    first: str | None = None  # ISO dates, as the articles give them
    last: str | None = None


@dataclass(frozen=True)
class IndexSize:
    """How big the index is, and how many commits made it (each commit adds one)."""

    articles: int
    chunks: int
    generation: int


@dataclass(frozen=True)
class Answer:
    """The reply to a question: framing text with [n] markers, and its citations. A decline
    says what was searched (``coverage``) and the passage that came nearest (``nearest``)."""

    question: str
    answer: str
    abstained: bool
    language: str
    citations: tuple[Citation, ...] = ()
    written: Written | None = None  # set by ``Revue.write`` when a writer is configured
    filters: Filters = NO_FILTERS  # the articles it was answered from (all, when empty)
    coverage: Coverage | None = None
    nearest: Citation | None = None  # a decline's closest passage, not an answer

    @property
    def as_of(self) -> str | None:
        """The date of the latest article quoted: what the answer's facts are current to."""
        dates = [c.date for c in self.citations if c.date]
        return max(dates) if dates else None


@dataclass(frozen=True)
class IndexSummary:
    """What one ``revue index`` run did."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    articles_total: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    wire_groups: int = 0  # groups of wire copies (one dispatch run by several outlets)

    def describe(self) -> str:
        """One line for a person: what was indexed, what changed, what was skipped."""
        groups = f"{self.wire_groups} group{'' if self.wire_groups == 1 else 's'} of wire copies"
        kept = sum(p.kept for p in self.problems)
        warned = f" ({kept} indexed with a warning)" if kept else ""
        parts = [
            f"{self.articles_total} articles, {self.chunks_total} chunks indexed",
            f"{self.added} added, {self.changed} changed, {self.removed} removed, "
            f"{self.unchanged} unchanged",
            f"{self.chunks_embedded} chunks embedded",
            f"{len(self.problems) - kept} skipped{warned}",
            groups,
        ]
        lead = "Rebuilt for a new embedding model: " if self.rebuilt else ""
        return f"{lead}{'; '.join(parts)} in {self.seconds:.1f} s"


# -- coverage: timelines and outlet comparisons (index/coverage) ------------------------------
Unit = Literal["day", "week", "month"]  # a timeline's period


@dataclass(frozen=True)
class Matched(_Bylined):
    """An article that matches a timeline's topic, and how: ``by`` is "words" (a chunk holds
    every word of the topic), "meaning" (a chunk's embedding stands out), or both."""

    article_id: str
    title: str | None
    source: str | None
    date: str | None
    url: str | None
    by: str


@dataclass(frozen=True)
class Period:
    """One day, week (from Monday) or month of a timeline: matching articles per outlet,
    largest first (``start`` is its first day, ISO)."""

    start: str
    counts: tuple[tuple[str, int], ...] = ()

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


@dataclass(frozen=True)
class Timeline:
    """How many articles match ``topic`` per period and outlet, every period from the first
    match to the latest (empty ones included); no periods when no matching article is dated."""

    topic: str
    unit: Unit
    periods: tuple[Period, ...]
    outlets: tuple[tuple[str, int], ...]  # every matching outlet, largest first
    first: Matched | None
    latest: Matched | None
    matched: int
    by_words: int  # of ``matched``: a chunk holds every word of the topic
    by_meaning: int  # of ``matched``: found only by the embedding
    undated: int  # matching articles without a date (counted, not charted)
    filters: Filters = NO_FILTERS


@dataclass(frozen=True)
class Comparison:
    """Each outlet's best verbatim quote on ``question`` (one per outlet; wire copies are in
    ``also_in``), best first, and the outlets whose articles say nothing on it."""

    question: str
    quotes: tuple[Citation, ...]
    silent: tuple[str, ...]
    filters: Filters = NO_FILTERS


ClaimLabel = Literal["supports", "contradicts", "not_said"]


@dataclass(frozen=True)
class Verdict:
    """What one outlet's coverage says about a claim: it ``supports`` it, ``contradicts`` it, or
    does not say (``not_said``), with the verbatim quote judged (its closest passage, when it
    says nothing) and the judge's confidence in the label (0-1)."""

    outlet: str
    label: ClaimLabel
    confidence: float
    citation: Citation
    reason: str = ""  # why, in a few words (the model's probabilities, a number not in the quote)


@dataclass(frozen=True)
class ClaimCheck:
    """A claim checked against the coverage, outlet by outlet: a verdict for each of the first
    ``limit`` outlets with passages on it (best first), the outlets beyond the limit that were
    not judged, and those whose articles have no passage on it at all."""

    claim: str
    verdicts: tuple[Verdict, ...]
    unjudged: tuple[str, ...]
    silent: tuple[str, ...]
    limit: int
    model: str = ""
    seconds: float = 0.0
    filters: Filters = NO_FILTERS

    def count(self, label: ClaimLabel) -> int:
        return sum(1 for v in self.verdicts if v.label == label)


VoteKind = Literal["up", "down"]


@dataclass(frozen=True)
class AnswerRecord:
    """An answer the bot gave, as kept in ``state.db``: what the user typed (``question``), the
    standalone question the index was asked (``asked``, the same unless it was a follow-up),
    the answer and its citations, and where Discord shows it."""

    id: int
    question: str
    asked: str
    answer: str
    abstained: bool
    language: str
    citations: tuple[Citation, ...]
    created_at: str
    previous_id: int | None = None  # the answer this one follows up
    channel_id: int | None = None  # a channel or a thread
    message_id: int | None = None  # None until the message is sent


@dataclass(frozen=True)
class Feedback:
    """One user's 👍 or 👎 on an answer (their latest: a second click changes it)."""

    answer: AnswerRecord
    user_id: int
    vote: VoteKind
    voted_at: str
