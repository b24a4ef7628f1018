"""Each written sentence against the quotes it cites: kept only when they bear it out.

Cheapest test first. A sentence is dropped when it cites a quote that does not exist, adds
nothing to the question, carries a number, name, month or day that its quote (and byline) does
not, stands no closer to its quote than to unrelated news by the embedding model, or when the
model, asked whether the quote states everything the sentence says, answers no. A sentence that
cites nothing, or the wrong quote, is cited by Revue to the one other quote that passes.

Names and numbers are checked literally because a bi-encoder's cosine barely moves when "12"
becomes "21" or OpenAI becomes Google; the yes-or-no question catches what the cosine cannot
(a dropped negation, a changed period): AUC 0.93 against 0.78 on 90 judged pairs
(docs/benchmarks.md, "The writer").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.records import Checked, Citation
from index.sentences import sentences
from index.text import fold, keyword_terms

# The support of a sentence by each of an answer's quotes (in their order), in standard deviations
# of its cosine to unrelated news.
Support = Callable[[str], Sequence[float]]

MARKERS = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# "…Google. [1]" as models often write it: the marker belongs to the sentence before the period.
_TRAILING = re.compile(r"([.!?…])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)")
# Thousands grouped by a space, comma or period ("1 200", "1,200"), or a plain or decimal number.
_NUMBER = re.compile(r"\d{1,3}(?:[  .,]\d{3})+(?:[.,]\d+)?(?!\d)|\d+(?:[.,]\d+)?")
_NAME = re.compile(r"\b[A-ZÀ-Ý][\w'’-]*[A-Za-zÀ-ÿ0-9]|\b[a-z]+[A-Z][\w-]*")
# Capitalised words that are not names, and names that change with the language.
_NOT_NAMES = frozenset(
    fold(w)
    for w in """The This That These Those It Its In On At As By For From With Without But And Or
    According However Also After Before While When Where Why What Who Which How
    Le La Les Un Une Des Du De Ce Cette Ces Il Elle Ils Elles Selon Mais Et Ou Dans Pour Par
    Sur Avec Sans Après Avant Alors Ainsi Lors Depuis Pendant Enfin""".split()
)
# Months and days are facts to check like names, in either language.
_CALENDAR = dict(
    zip(
        """january february march april may june july august september october november december
        monday tuesday wednesday thursday friday saturday sunday""".split(),
        """janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
        lundi mardi mercredi jeudi vendredi samedi dimanche""".split(),
        strict=True,
    )
)
ALIASES = {
    "ai": ("ia",),
    "eu": ("ue",),
    "un": ("onu",),
    "us": ("etats-unis", "americ"),
    "usa": ("etats-unis",),
    "uk": ("royaume-uni", "britann"),
    "nato": ("otan",),
    "germany": ("allemagne",),
    "german": ("allemand",),
    "spain": ("espagne",),
    "england": ("angleterre",),
    "london": ("londres",),
    "brussels": ("bruxelles",),
    "french": ("franc",),
    "european": ("europ",),
    "american": ("americ", "etats-unis"),
    "british": ("britann",),
    "chinese": ("chin",),
    "italy": ("itali",),
    "italian": ("itali",),
}


@dataclass(frozen=True)
class Claim:
    """A written sentence: its text as shown (markers included), and the quotes it cites."""

    text: str
    cites: tuple[int, ...]

    @property
    def bare(self) -> str:
        """The sentence without its markers: what is checked."""
        return re.sub(r"\s+([.!?…,;:])", r"\1", " ".join(MARKERS.sub(" ", self.text).split()))


@dataclass(frozen=True)
class CheckConfig:
    """Thresholds, measured with ``bench/writer.py`` (docs/benchmarks.md, "The writer")."""

    supported_above: float = 4.0  # the sentence's cosine to its quote, in background deviations
    entailed_above: float = 0.5  # the model's probability that the quote states the sentence
    # The model's probability that the sentence answers the question asked: a true sentence
    # about something else ("ChatGPT is more popular than Gemini" for "who owns Gemini?",
    # p 0.07) is dropped. At 0.4 the reader kept all 32 answering windows of the tuning set and
    # dropped half of the 306 others; the embedded model still gives some off-question lines
    # 0.4-0.6 ("Gemini has 650 million users" for "how much cash does Google make?": 0.42).
    answers_above: float = 0.4


# The probability that a quote states everything a sentence says (a language model asked "yes or
# no"): on 90 judged pairs it separates them far better than the cosine (AUC 0.93).
Entails = Callable[[str, str], float]


# The probability that a sentence answers a question (the reader's yes-or-no question).
Answers = Callable[[str, str], float]


@dataclass(frozen=True)
class Checkers:
    """What judges a sentence against a quote: the embedding model's support, and where a model
    can be asked, whether the quote states it."""

    support: Support
    entails: Entails | None = None
    answers: Answers | None = None


def claims(text: str, language: str) -> list[Claim]:
    """The sentences of a written answer, each with the numbers it cites."""
    text = _TRAILING.sub(lambda m: f"{m.group(2)}{m.group(1)}", " ".join(text.split()))
    out = []
    for span in sentences(text, language):
        sentence = text[span.start : span.end].strip()
        found = (n for group in MARKERS.findall(sentence) for n in re.split(r"\D+", group))
        cites = tuple(dict.fromkeys(int(n) for n in found if n))
        if MARKERS.sub("", sentence).strip(" .!?…"):
            out.append(Claim(sentence, cites))
    return out


def numbers(text: str) -> set[str]:
    """The numbers of a text as digit strings: "1 200", "1,200" and "1200" are one number."""
    return {re.sub(r"\D", "", n) for n in _NUMBER.findall(MARKERS.sub(" ", text))}


def names(text: str) -> list[str]:
    """Capitalised words that are not a sentence's first word, and words like "iPhone"."""
    found = []
    text = MARKERS.sub(" ", text)
    for match in _NAME.finditer(text):
        word = match.group(0)
        before = text[: match.start()].rstrip()
        if before and before[-1] not in '.!?:«"“' and fold(word) not in _NOT_NAMES:
            found.append(word)
    return found


def adds_nothing(claim: Claim, question: str) -> bool:
    """Whether every content word of the claim is one of the question's ("The rival is winning
    over business customers." for "Which rival is winning over business customers?")."""
    asked = {w[:5] for w in keyword_terms(question)}
    return all(w[:5] in asked for w in keyword_terms(claim.bare))


def _has_name(word: str, folded: str) -> bool:
    key = fold(word).strip("'’")
    if key in _CALENDAR:
        return bool(re.search(rf"\b({key}|{_CALENDAR[key]})\b", folded))
    stems = (key[:5] if len(key) > 6 else key, *ALIASES.get(key, ()))
    return any(re.search(rf"(?<!\w){re.escape(s)}", folded) for s in stems)


def _facts(claim: Claim, quote: Citation, question: str) -> str | None:
    """Why the claim's numbers or names are in neither the quote, its byline nor the question;
    None when they all are."""
    source = f"{question} {quote.quote} {quote.source} {quote.date} {quote.title}"
    missing = numbers(claim.bare) - numbers(source)
    if missing:
        return f"the number {min(missing)} is not in [{quote.n}]"
    folded = fold(source)
    for word in names(claim.bare):
        if not _has_name(word, folded):
            return f"“{word}” is not in [{quote.n}]"
    return None


def check(
    claim: Claim,
    question: str,
    citations: Sequence[Citation],
    checkers: Checkers,
    config: CheckConfig = CheckConfig(),
) -> Checked:
    """The claim kept (perhaps cited by Revue, to the quote that supports it), or dropped; why.

    Its own quotes are tried first, then the one other quote the embedding model finds closest:
    at most one model call more than it has citations."""
    by_n = {c.n: c for c in citations}
    unknown = [n for n in claim.cites if n not in by_n]
    if unknown:
        return Checked(claim.text, claim.cites, False, f"cites [{unknown[0]}], which is no quote")
    if adds_nothing(claim, question):
        return Checked(claim.text, claim.cites, False, "says nothing the question does not")
    if checkers.answers is not None:
        p = checkers.answers(question, claim.bare)
        if p < config.answers_above:
            reason = f"asked, the model says it does not answer the question (p={p:.2f})"
            return Checked(claim.text, claim.cites, False, reason)
    raw = checkers.support(claim.bare)
    scores = {n: float(s) for n, s in zip(by_n, raw, strict=True)}
    others = sorted((n for n in by_n if n not in claim.cites), key=lambda n: -scores[n])
    problem = None
    for n in [*claim.cites, *others[:1]]:
        found = _problem(claim, by_n[n], question, scores[n], checkers, config)
        if found is None and n in claim.cites:
            return Checked(claim.text, claim.cites, True, "supported", round(scores[n], 2))
        if found is None:
            was = "".join(f"[{c}]" for c in claim.cites) or "nothing"
            reason = f"cited by Revue: [{n}] supports it ({was} cited)"
            return Checked(_recited(claim.text, n), (n,), True, reason, round(scores[n], 2))
        problem = problem or found
    if not claim.cites:
        return Checked(claim.text, (), False, "cites no quote, and none supports it")
    own = max(scores[n] for n in claim.cites)
    return Checked(claim.text, claim.cites, False, problem or "", round(own, 2))


def _problem(
    claim: Claim,
    quote: Citation,
    question: str,
    score: float,
    checkers: Checkers,
    config: CheckConfig,
) -> str | None:
    """Why ``quote`` does not bear the claim out, cheapest test first; None when it does."""
    found = _facts(claim, quote, question)
    if found is not None:
        return found
    if score < config.supported_above:
        return f"[{quote.n}] does not support it"
    if checkers.entails is not None:
        p = checkers.entails(quote.quote, claim.bare)
        if p < config.entailed_above:
            return f"asked, the model says [{quote.n}] does not state it (p={p:.2f})"
    return None


def _recited(text: str, n: int) -> str:
    """The sentence citing [n] instead of its own markers."""
    bare = MARKERS.sub("", text).rstrip()
    end = bare[-1] if bare[-1:] in (".", "!", "?", "…") else "."
    return f"{bare.rstrip('.!?… ')} [{n}]{end}"
