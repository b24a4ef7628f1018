"""The writer: asks a language model for a short answer from the quotes, then keeps only the
sentences that the quotes they cite support (``checking``).

Any failure (no model, a dead endpoint, an answer in the wrong language, too few sentences that
hold up) yields a ``Written`` whose ``fallback`` says why: the extractive answer then stands
alone. Nothing here raises to the caller for a model's sake.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from index.errors import RevueError
from index.records import Answer, Checked, Written
from index.search.language import detect_language
from index.settings import Settings
from index.writing.checking import CheckConfig, Checkers, Support, check, claims
from index.writing.client import ChatClient, Endpoint
from index.writing.prompt import (
    LANGUAGES,
    judge_messages,
    messages,
    read_messages_with_examples,
)

log = logging.getLogger("revue")

# Below this share of sentences holding up, the model wrote more that its quotes do not say than
# that they do, and what remains is shown as quotes only. Each kept sentence is checked anyway: a
# third lets "X did Y [1]." stand when the model added two loose sentences after it.
MIN_KEPT_SHARE = 1 / 3
OnProgress = Callable[[str], None]  # the checked answer so far, as each sentence holds up


class Writer:
    """Writes answers through one chat client (made on first use: a local model starts then)."""

    def __init__(
        self,
        connect: Callable[[], ChatClient],
        name: str,
        max_tokens: int = 200,
        config: CheckConfig = CheckConfig(),
    ) -> None:
        self._connect = connect
        self._client: ChatClient | None = None
        self.name = name
        self.max_tokens = max_tokens
        self.config = config
        self._lock = threading.Lock()
        self._down = False  # the last attempt failed: say so once, not at every question

    def client(self) -> ChatClient:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def write(
        self, answer: Answer, support: Support, on_progress: OnProgress | None = None
    ) -> Written:
        """A checked written answer to ``answer``'s question from its citations; the checked
        answer so far goes to ``on_progress`` as each sentence holds up."""
        if answer.abstained or not answer.citations:
            return Written("", model=self.name, fallback="nothing to write from: it declined")
        started = time.perf_counter()
        try:
            client = self.client()
            prompt = messages(answer.question, answer.language, answer.citations)
            text = client.complete(prompt, self.max_tokens)
            checkers = Checkers(
                support,
                lambda q, s: client.yes_probability(judge_messages(q, s)),
                lambda q, s: client.yes_probability(read_messages_with_examples(q, s)),
            )
            checked = self._check(answer, text, checkers, on_progress)
        except RevueError as exc:  # the endpoint is down, or the local model cannot start
            if not self._down:
                log.warning("no written answer, the extractive one is sent: %s", exc)
            self._down = True
            return Written("", model=self.name, seconds=_since(started), fallback=str(exc))
        if self._down:
            log.warning("the language model answers again")
        self._down = False
        written = _assemble(checked, answer.language, self.name, _since(started))
        return replace(written, draft=text)

    def _check(
        self, answer: Answer, text: str, checkers: Checkers, on_progress: OnProgress | None
    ) -> tuple[Checked, ...]:
        out: list[Checked] = []
        for claim in claims(text, answer.language):
            verdict = check(claim, answer.question, answer.citations, checkers, self.config)
            out.append(verdict)
            if verdict.kept and on_progress is not None:
                on_progress(" ".join(c.text for c in out if c.kept))
        return tuple(out)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _assemble(checked: tuple[Checked, ...], language: str, model: str, seconds: float) -> Written:
    kept = [c for c in checked if c.kept]
    text = " ".join(c.text for c in kept)
    fallback = None
    if not kept or len(kept) < MIN_KEPT_SHARE * len(checked):
        fallback = f"{len(kept)} of {len(checked)} written sentences held up against the quotes"
    elif detect_language(text) != language:
        fallback = f"the model did not write in {LANGUAGES.get(language, language)}"
    return Written(text if fallback is None else "", checked, model, seconds, fallback)


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def open_writer(settings: Settings) -> Writer | None:
    """The writer the settings ask for; None (and the reason, logged once) where there is none."""
    choice = settings.writer
    if choice not in ("auto", "endpoint", "local", "none"):
        log.warning("REVUE_WRITER=%s is not auto, endpoint, local or none: quotes only", choice)
        return None
    if choice == "none":
        return None
    if settings.llm_url and choice in ("auto", "endpoint"):
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        endpoint = Endpoint(
            settings.llm_url, settings.llm_model, key, settings.llm_timeout, settings.llm_retries
        )
        return Writer(lambda: ChatClient(endpoint), f"{settings.llm_model} at {settings.llm_url}")
    if choice == "endpoint":
        log.warning("REVUE_WRITER=endpoint but REVUE_LLM_URL is not set: answers are quotes only")
        return None
    from index.writing.local import LocalServer, writer_model_path

    path = writer_model_path()
    if not path.is_file():
        level = logging.WARNING if choice == "local" else logging.INFO
        log.log(level, "no writer: set REVUE_LLM_URL or run `revue model --writer`; quotes only")
        return None
    server = LocalServer(path)
    # A CPU model takes ~8 s to first token: a longer wait, and no retry that would double it.
    return Writer(
        lambda: ChatClient(Endpoint(server.url(), "local", None, 120.0, 0)), f"local {path.name}"
    )
