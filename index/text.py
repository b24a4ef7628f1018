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
_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lowercase and strip accents, for comparing words across spellings."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def keyword_terms(question: str) -> list[str]:
    """Content words of a question, accent-folded, in order, without duplicates."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(fold(question)):
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)
