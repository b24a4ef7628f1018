"""What a question is in and about: its language (py3langid) and the names it asks after."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from index.text import STOPWORDS, fold

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

_identifier: LanguageIdentifier | None = None  # loaded on first use


def detect_language(question: str) -> str:
    """``en`` or ``fr``; English when unsure."""
    global _identifier
    if _identifier is None:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        _identifier = LanguageIdentifier.from_model_file(
            Path(MODEL_DIR) / MODEL_FILE, norm_probs=True
        )
        _identifier.set_languages(["en", "fr"])
    lang, prob = _identifier.classify(question)
    return "fr" if lang == "fr" and prob >= 0.6 else "en"


_WORDS = re.compile(r"[\w][\w\-]*", re.UNICODE)


def _is_name(word: str) -> bool:
    return word[0].isupper() or any(c.isupper() or c.isdigit() for c in word[1:])


def question_entities(question: str) -> list[str]:
    """Names the question is about: runs of capitalized words ("Nick Turley", "ChatGPT Plus").

    The coverage can only answer a question about a name it mentions; function words that
    start the question ("Why", "Quand") are not names.
    """
    entities: list[str] = []
    run: list[str] = []

    def flush() -> None:
        entity = " ".join(run)
        if len(entity) > 1:
            entities.append(entity)
        run.clear()

    last_end = 0
    for n, match in enumerate(_WORDS.finditer(question)):
        if question[last_end : match.start()].strip():
            flush()  # punctuation ends a name: "Bièvre (Ve", "Métropole, Jean-Marie" are two
        last_end = match.end()
        word = re.sub(r"['’]s$", "", match.group(0))
        # The first word is capitalized anyway: a name only if shaped like one ("OpenAI").
        first_plain = n == 0 and not any(c.isupper() or c.isdigit() for c in word[1:])
        if _is_name(word) and fold(word) not in STOPWORDS and not first_plain:
            run.append(word)
        else:
            flush()
    flush()
    return entities


def mentions(text: str, entity: str) -> bool:
    """Whether folded ``text`` names ``entity``; one-word names may be inflected (Turcs/turque)."""
    name = fold(entity)
    if " " not in name and len(name) > 5:
        name, tail = name[: max(4, len(name) - 3)], r"\w*"
    else:
        tail = ""
    pattern = r"\s+".join(re.escape(part) for part in name.split())
    return re.search(r"(?<!\w)" + pattern + tail + r"(?!\w)", text) is not None
