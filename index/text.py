"""Word-level text helpers shared by the flows: accent folding and a question's content words."""

from __future__ import annotations

import re
import unicodedata

# Function words of English and French questions; they carry no topic for BM25.
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at
    be because been before being below between both but by can could did do
    does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off
    on once only or other our ours out over own same she should so
    some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which
    while who whom why will with would you your yours tell say said says
    according au aux avec ce ces cet cette dans de des du elle elles
    en et eux il ils je la le les leur leurs lui ma mais
    me meme mes moi mon ne nos notre nous on ou par pas pour
    qu que qui quoi quel quelle quels quelles sa se ses son sur ta
    te tes toi ton tu un une vos votre vous y est sont ete
    etait etaient etre avoir ont avait avaient fait faire a comment combien pourquoi quand
    ou dont lequel laquelle lesquels est-ce ca cela ceci il-t-on t l d s
    n c j m qu
    """.split()
)
WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lowercase and strip accents, for comparing words across spellings."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Every word of ``text``, accent-folded and lower-cased, in order (FTS5 splits alike)."""
    return WORD.findall(fold(text))


def keyword_terms(question: str) -> list[str]:
    """Content words of a question, accent-folded, in order, without duplicates."""
    seen: dict[str, None] = {}
    for word in WORD.findall(fold(question)):
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)


PHRASE_WORDS = 6  # a run of six words in order rarely recurs outside the text that wrote it


def phrases(text: str, size: int = PHRASE_WORDS, most: int = 32) -> list[str]:
    """Runs of ``size`` consecutive words of ``text``, overlapping by half, the last one ending
    with the text: what a verbatim quote inside a question or search shares with its source."""
    ws = words(text)
    if len(ws) < size:
        return []
    step = max(1, size // 2)
    starts = list(range(0, len(ws) - size + 1, step))
    if starts[-1] != len(ws) - size:
        starts.append(len(ws) - size)
    return [" ".join(ws[i : i + size]) for i in starts[:most]]


def runs_held(runs: list[str], text: str) -> float:
    """The share of ``runs`` (from ``phrases``) that ``text`` holds, words in the same order."""
    if not runs:
        return 0.0
    held = f" {' '.join(words(text))} "
    return sum(f" {r} " in held for r in runs) / len(runs)


TITLE_SEPARATOR = " — "


def titled(title: str | None, text: str) -> str:
    """What the reader reads of a passage: its article's title, then the text (as trained)."""
    return f"{title}{TITLE_SEPARATOR}{text}" if title else text
