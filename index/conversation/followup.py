"""A follow-up question made standalone from the question before it.

Retrieval and the quote choice read one question, so "and Gemini?" after "How many weekly users
does ChatGPT have?" must become a question that names what it asks about. Three cases, decided
by words alone (no model: a follow-up is answered as fast as any question):

* an elliptical follow-up, a connector and a name ("and Gemini?", "et Google ?", "what about
  Claude?"): the previous question with its last named thing replaced by the new one ("How many
  weekly users does Gemini have?"), so the question's other words still choose the quote;
* a short follow-up, or one that points back (he, she, it, they, il, elle, ça…): the previous
  question and the follow-up, concatenated, so its names and topic come along;
* anything else reads on its own and is asked as it is (a new question in the same thread).
"""

from __future__ import annotations

import re

from index.text import STOPWORDS, fold

# Openings that continue the previous question rather than ask a new one.
CONNECTORS = re.compile(
    r"^\s*(?:and|also|what about|how about|same for|et|aussi|et pour|et du côté de|"
    r"et concernant|même question pour|quid de)\b[\s,:]*",
    re.IGNORECASE,
)
# Words that point back to something named before.
ANAPHORA = frozenset(
    """he she it they him her his its their them this that these those there
    il elle ils elles lui leur leurs son sa ses cela ça celui celle ceux""".split()
)
QUESTION_WORDS = frozenset(
    """who what when where why how which whom whose
    qui que quoi quand ou pourquoi comment combien quel quelle quels quelles""".split()
)
# Fewer content words than this, and a follow-up cannot stand alone.
SELF_CONTAINED_WORDS = 3
NAME_WORDS = 4  # an elliptical follow-up's name is at most this many words
# A run of capitalised words (ChatGPT, Nick Turley, Google Gemini), not a sentence's first word.
NAME = re.compile(r"(?<![.?!]\s)(?<!^)\b[A-ZÀ-Ý][\w’'-]*(?:\s+[A-ZÀ-Ý][\w’'-]*)*")
WORD = re.compile(r"[\w’'-]+", re.UNICODE)


def standalone(previous: str, followup: str, limit: int | None = None) -> str:
    """The question to ask for ``followup``, given the ``previous`` question it follows; at most
    ``limit`` characters (the previous question is shortened, never the follow-up)."""
    previous, followup = previous.strip(), followup.strip()
    if not previous:
        return followup
    connector = CONNECTORS.match(followup)
    rest = followup[connector.end() :] if connector else followup
    name = _bare_name(rest)
    if connector and name:
        names = list(NAME.finditer(previous))
        if names:
            last = names[-1]
            asked = previous[: last.start()] + name + previous[last.end() :]
            if limit is None or len(asked) <= limit:
                return asked
    if connector or _points_back(followup) or len(_content(followup)) < SELF_CONTAINED_WORDS:
        return _joined(previous, followup, limit)
    return followup


def _joined(previous: str, followup: str, limit: int | None) -> str:
    """``previous`` then ``followup``; the previous question cut at a word to fit ``limit`` (a
    short follow-up to a question near the limit must not be refused as too long)."""
    room = len(previous) if limit is None else limit - len(followup) - 1
    if room < len(previous):
        previous = previous[: max(0, room)].rsplit(" ", 1)[0] if room > 0 else ""
    return f"{previous} {followup}" if previous else followup


def _bare_name(text: str) -> str | None:
    """``text`` when it is only a short name ("Gemini?", "Sam Altman"), else None."""
    stripped = text.strip().rstrip("?!. ").strip()
    parts = WORD.findall(stripped)
    if not parts or len(parts) > NAME_WORDS:
        return None
    if any(fold(p) in QUESTION_WORDS or fold(p) in ANAPHORA for p in parts):
        return None
    return stripped if any(p[0].isupper() or p[0].isdigit() for p in parts) else None


def _points_back(text: str) -> bool:
    return any(fold(w) in ANAPHORA for w in WORD.findall(text))


def _content(text: str) -> list[str]:
    return [w for w in (fold(x) for x in WORD.findall(text)) if w not in STOPWORDS]
