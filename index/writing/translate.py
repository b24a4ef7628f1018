"""English questions in French before they are searched and read: most articles are French,
and the small models we ship match French to French far better than English to French (the
reader separated answerable questions from near misses with an AUC of 0.80 for French questions
against 0.66 for English ones, bench/reader.py on the tuning set).

Off by default: the embedded 1.5B model's translations are loose (« son membre interne » for
"his internal memo"), and on the tuning set they changed nothing that counts (English: the
evidence among the reader's 5 windows 14/20 either way, the reader's AUC 0.66 -> 0.67). A
stronger model behind REVUE_LLM_URL may translate well enough to help.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from index.errors import RevueError
from index.writing.client import ChatClient
from index.writing.prompt import translate_messages

log = logging.getLogger("revue")
CACHE = 1024  # questions: a follow-up or a repeated question is translated once
MAX_TOKENS = 80


class Translator:
    """Translates questions into French with the writer's model, each once."""

    def __init__(self, client: Callable[[], ChatClient]) -> None:
        self._client = client
        self._cache: OrderedDict[str, str | None] = OrderedDict()
        self._lock = threading.Lock()

    def french(self, question: str) -> str | None:
        """``question`` in French, or None where the model is down or its reply is unusable
        (the question is then searched as asked)."""
        with self._lock:
            if question in self._cache:
                self._cache.move_to_end(question)
                return self._cache[question]
        found = self._ask(question)
        with self._lock:
            self._cache[question] = found
            while len(self._cache) > CACHE:
                self._cache.popitem(last=False)
        return found

    def _ask(self, question: str) -> str | None:
        try:
            text = self._client().complete(translate_messages(question), MAX_TOKENS)
        except RevueError as exc:
            log.warning("the question is searched untranslated: %s", exc)
            return None
        text = " ".join(text.split()).strip("\"'«» ")
        # A reply that is empty, far longer than the question or several lines of chat is no
        # translation: search the question as asked.
        if not text or len(text) > 3 * len(question) + 20:
            return None
        return text
