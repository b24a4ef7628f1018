"""A gloss beside a quote in the other language: an English question over French quotes gets each
quote's English translation (and a French question over English quotes a French one), made by
the writer's language model and checked before it is shown.

The gloss never replaces the verbatim quote and is never shown in quotation marks: it is marked
"gloss (machine translation)". It is kept only where

- every number of the quote is in it (thousands separators and decimal commas normalised:
  « 5 milliards » -> "5 billion" keeps the 5),
- every capitalised name of the quote (a run of capitalised words not at a sentence start, or an
  all-caps acronym) is carried over literally (accents and case aside), and
- the embedding model finds it close to the quote (cosine >= ``THRESHOLD``, set on
  bench/questions/gloss_dev.jsonl).

Otherwise the quote stands alone. Only the first ``MAX_GLOSSED`` quotes are glossed: the
embedded model takes seconds per quote on a small CPU.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.errors import RevueError
from index.records import Answer
from index.search.language import detect_language
from index.writing.checking import ALIASES
from index.writing.client import ChatClient
from index.writing.prompt import gloss_messages

log = logging.getLogger("revue")

MAX_GLOSSED = 3  # citations glossed per answer
# Cosine of the quote to its gloss (multilingual-e5-small) under which the gloss is dropped; set on
# bench/questions/gloss_dev.jsonl (docs/benchmarks.md, "Bilingual evidence").
THRESHOLD = 0.87
LABEL = "gloss (machine translation)"

Encode = Callable[[Sequence[str]], np.ndarray]

# French "1 200 000", "1.200", "3,5"; English "1,200,000", "3.5". The separators inside a
# number: spaces (plain, no-break, narrow no-break), dots, commas, apostrophes.
_GROUPED = {
    "fr": re.compile(r"\d{1,3}(?:[ \u00a0\u202f.']\d{3})+(?:,\d+)?(?!\d)|\d+(?:,\d+)?"),
    "en": re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?"),
}
_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’\-]*"
_RUN = re.compile(rf"{_WORD}(?:[ \u00a0]+{_WORD})*")
_ACRONYM = re.compile(r"\b[A-ZÀ-ÖØ-Þ]{2,}\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;«“\"(\[…—–-])\s*$")


def numbers(text: str, language: str) -> set[str]:
    """The numbers of ``text`` as canonical strings ("1200", "3.5"), read the way
    ``language`` ("fr" or "en") writes them."""
    out = set()
    for m in _GROUPED["fr" if language == "fr" else "en"].finditer(text):
        raw = m.group(0)
        if language == "fr":
            raw = re.sub(r"[ \u00a0\u202f.']", "", raw).replace(",", ".")
        else:
            raw = raw.replace(",", "")
        out.add(_canonical(raw))
    return out


def _canonical(raw: str) -> str:
    whole, _, fraction = raw.partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def names(text: str) -> list[str]:
    """The capitalised names of ``text``: each run of capitalised words not at a sentence start
    (a run that starts one loses its first word), and each all-caps acronym."""
    found: dict[str, None] = {}
    for m in _RUN.finditer(text):
        words = m.group(0).split()
        if _SENTENCE_START.search(text[: m.start()]):
            words = words[1:]
        if words:
            found[" ".join(words)] = None
    for m in _ACRONYM.finditer(text):
        found[m.group(0)] = None
    return list(found)


# Capitalised French words that are no names: « le Premier ministre », « l'État ».
_NOT_NAMES = frozenset({"premier", "etat"})
# Names a translation may give in its own language (folded French, folded English), besides
# the writer's check's aliases (index.writing.checking.ALIASES: English -> French stems).
_EXONYMS = (
    ("liban", "lebanon"), ("baviere", "bavaria"), ("chine", "china"), ("grece", "greece"),
    ("bresil", "brazil"), ("mexique", "mexico"), ("pays-bas", "netherlands"),
    ("suisse", "switzerland"), ("belgique", "belgium"), ("japon", "japan"), ("inde", "india"),
    ("irlande", "ireland"), ("ecosse", "scotland"), ("pologne", "poland"), ("turquie", "turkey"),
    ("russie", "russia"), ("syrie", "syria"), ("egypte", "egypt"), ("maroc", "morocco"),
    ("algerie", "algeria"), ("tunisie", "tunisia"), ("autriche", "austria"),
    ("union europeenne", "european union"), ("nations unies", "united nations"),
    ("etats-unis", "united states"), ("royaume-uni", "united kingdom"),
)  # fmt: skip


def _carried(name: str, folded_gloss: str) -> bool:
    """Whether ``name`` (of the quote) is in the folded gloss: literally (accents and case
    aside), or as its usual name in the other language."""
    key = _folded(name)
    if key in _NOT_NAMES or _has(key, folded_gloss):
        return True
    for fr, en in _EXONYMS:
        if (key == fr and _has(en, folded_gloss)) or (key == en and _has(fr, folded_gloss)):
            return True
    for en, stems in ALIASES.items():
        if key == en and any(_has(s, folded_gloss, prefix=True) for s in stems):
            return True
        if any(key.startswith(s) for s in stems) and _has(en, folded_gloss):
            return True
    return False


def _has(word: str, folded: str, prefix: bool = False) -> bool:
    end = "" if prefix else r"(?!\w)"
    return re.search(rf"(?<!\w){re.escape(word)}{end}", folded) is not None


def _folded(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.replace("’", "'").casefold().split())


@dataclass(frozen=True)
class GlossCheck:
    """One quote's gloss and the checks' values: ``kept`` says whether it is shown, ``reason``
    why not."""

    quote: str
    text: str
    kept: bool
    reason: str
    cosine: float | None = None
    missing_numbers: tuple[str, ...] = ()
    missing_names: tuple[str, ...] = ()
    seconds: float = 0.0


class Glosser:
    """Glosses quotes with the writer's model and checks each gloss against its quote."""

    def __init__(
        self, client: Callable[[], ChatClient], encode: Encode, threshold: float = THRESHOLD
    ) -> None:
        self._client = client
        self._encode = encode
        self.threshold = threshold

    def wanted(self, answer: Answer) -> list[int]:
        """The indexes of the citations (among the first ``MAX_GLOSSED``) whose quote is in
        another language than the question."""
        if answer.abstained:
            return []
        return [
            i
            for i, c in enumerate(answer.citations[:MAX_GLOSSED])
            if detect_language(c.quote) != answer.language
        ]

    def gloss_answer(self, answer: Answer) -> Answer:
        """``answer`` with a checked gloss on each of its first quotes in the other language;
        a quote whose gloss fails a check, or where the model is down, stands alone."""
        wanted = self.wanted(answer)
        if not wanted:
            return answer
        citations = list(answer.citations)
        for i in wanted:
            try:
                check = self.check(citations[i].quote, answer.language)
            except RevueError as exc:
                log.warning("the quotes are shown without glosses: %s", exc)
                break
            if check.kept:
                citations[i] = replace(citations[i], gloss=check.text)
            else:
                log.info("gloss of quote [%d] dropped: %s", citations[i].n, check.reason)
        return replace(answer, citations=tuple(citations))

    def translate(self, quote: str, target: str) -> str:
        """The model's translation of ``quote`` into ``target`` ("en" or "fr"), cleaned; empty
        where the reply is no translation."""
        tokens = min(400, len(quote) // 2 + 40)
        text = self._client().complete(gloss_messages(quote, target), tokens)
        text = " ".join(text.split())
        text = re.sub(r"^(?:translation|traduction)\s*:\s*", "", text, flags=re.IGNORECASE)
        text = text.strip("\"'«»“” ")
        if len(text) > 3 * len(quote) + 40:
            return ""
        return text

    def check(self, quote: str, target: str) -> GlossCheck:
        """Translate ``quote`` into ``target`` and check the translation (raises ``RevueError``
        where the model cannot be reached)."""
        started = time.monotonic()
        text = self.translate(quote, target)
        return replace(self.judge(quote, text, target), seconds=time.monotonic() - started)

    def judge(self, quote: str, text: str, target: str) -> GlossCheck:
        """Whether ``text`` may be shown as the gloss of ``quote``, and the checks' values."""
        if not text:
            return GlossCheck(quote, text, False, "the model wrote no translation")
        source = "en" if target == "fr" else "fr"
        have = numbers(text, target) | numbers(text, source)
        lost_numbers = tuple(sorted(numbers(quote, source) - have))
        folded = _folded(text)
        lost_names = tuple(n for n in names(quote) if not _carried(n, folded))
        vecs = np.asarray(self._encode([quote, text]), dtype=np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-12
        cosine = float(vecs[0] @ vecs[1])
        reasons = []
        if lost_numbers:
            reasons.append("numbers missing: " + ", ".join(lost_numbers))
        if lost_names:
            reasons.append("names missing: " + ", ".join(lost_names))
        if cosine < self.threshold:
            reasons.append(f"cosine {cosine:.3f} < {self.threshold}")
        return GlossCheck(
            quote,
            text,
            not reasons,
            "; ".join(reasons) or "every check passed",
            round(cosine, 4),
            lost_numbers,
            lost_names,
        )
