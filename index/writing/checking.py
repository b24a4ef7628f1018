"""Each written sentence against the quotes it cites: kept only when they bear it out.

A sentence is dropped when it cites nothing or a quote that does not exist, when it carries a
number or a name that its quotes (and their bylines) do not, or when the embedding model finds it
no closer to its quotes than to unrelated news. A sentence that another quote supports and its
own does not is re-cited to that quote. Names and numbers are checked literally because a
bi-encoder's cosine barely moves when "12" becomes "21" or OpenAI becomes Google.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.records import Checked, Citation
from index.sentences import sentences
from index.text import fold

# The support of a sentence by each quote, in standard deviations of its cosine to unrelated news.
Support = Callable[[str, Sequence[str]], Sequence[float]]

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
    According However Also After Before While When Where Why What Who Which How According
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
        return " ".join(MARKERS.sub(" ", self.text).split())


@dataclass(frozen=True)
class CheckConfig:
    """Thresholds, measured with ``bench/writer.py`` (docs/benchmarks.md, "The writer")."""

    supported_above: float = 4.0  # the sentence's cosine to its quote, in background deviations
    # An answer restates the question and adds what the quote says, so it stands at least about
    # as close to the quote as the question does; an invented answer that only reuses the
    # question's words and the quote's names falls short (measured in bench/writer.py).
    below_question: float = 1.0


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
    for match in _NAME.finditer(MARKERS.sub(" ", text)):
        word = match.group(0)
        before = text[: match.start()].rstrip()
        if before and before[-1] not in '.!?:«"“' and fold(word) not in _NOT_NAMES:
            found.append(word)
    return found


def _has_name(word: str, folded: str) -> bool:
    key = fold(word).strip("'’")
    if key in _CALENDAR:
        return bool(re.search(rf"\b({key}|{_CALENDAR[key]})\b", folded))
    stems = (key[:5] if len(key) > 6 else key, *ALIASES.get(key, ()))
    return any(re.search(rf"(?<!\w){re.escape(s)}", folded) for s in stems)


def _facts(claim: Claim, cited: Sequence[Citation], question: str) -> str | None:
    """Why the claim's numbers or names are not in its quotes; None when they all are."""
    source = " ".join([question] + [f"{c.quote} {c.source} {c.date} {c.title}" for c in cited])
    marks = "".join(f"[{c.n}]" for c in cited)
    missing = numbers(claim.bare) - numbers(source)
    if missing:
        return f"the number {min(missing)} is not in {marks}"
    folded = fold(source)
    for word in names(claim.bare):
        if not _has_name(word, folded):
            return f"“{word}” is not in {marks}"
    return None


def check(
    claim: Claim,
    quotes: Quotes,
    support: Support,
    config: CheckConfig = CheckConfig(),
) -> Checked:
    """The claim kept (perhaps cited by Revue, to the quote that supports it), or dropped; why."""
    by_n = {c.n: c for c in quotes.citations}
    unknown = [n for n in claim.cites if n not in by_n]
    if unknown:
        return Checked(claim.text, claim.cites, False, f"cites [{unknown[0]}], which is no quote")
    raw = support(claim.bare, [c.quote for c in quotes.citations])
    scores = {n: float(s) for n, s in zip(by_n, raw, strict=True)}
    ok = {n: quotes.supports(n, scores[n], config) for n in by_n}
    if claim.cites:
        own = max(scores[n] for n in claim.cites)
        problem = _facts(claim, [by_n[n] for n in claim.cites], quotes.question)
        if problem is None and any(ok[n] for n in claim.cites):
            return Checked(claim.text, claim.cites, True, "supported", round(own, 2))
    best = max(scores, key=lambda n: scores[n])
    if ok[best] and _facts(claim, [by_n[best]], quotes.question) is None:
        was = "".join(f"[{n}]" for n in claim.cites) or "nothing"
        reason = f"cited by Revue: [{best}] supports it ({was} cited)"
        return Checked(_recited(claim.text, best), (best,), True, reason, round(scores[best], 2))
    if not claim.cites:
        return Checked(claim.text, (), False, "cites no quote, and none supports it")
    if problem is not None:
        return Checked(claim.text, claim.cites, False, problem, round(own, 2))
    return Checked(claim.text, claim.cites, False, "its quotes do not support it", round(own, 2))


@dataclass(frozen=True)
class Quotes:
    """What a written answer may rest on: the question, its citations, and how strongly each
    quote relates to the question itself (the reference a supported sentence must reach)."""

    question: str
    citations: tuple[Citation, ...]
    question_support: tuple[float, ...]

    def supports(self, n: int, score: float, config: CheckConfig) -> bool:
        index = [c.n for c in self.citations].index(n)
        reference = self.question_support[index] - config.below_question
        return score >= config.supported_above and score >= reference


def _recited(text: str, n: int) -> str:
    """The sentence citing [n] instead of its own markers."""
    bare = MARKERS.sub("", text).rstrip()
    end = bare[-1] if bare[-1:] in (".", "!", "?", "…") else "."
    return f"{bare.rstrip('.!?… ')} [{n}]{end}"
