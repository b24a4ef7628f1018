"""A client for any OpenAI-compatible chat-completions endpoint (httpx, the only module that
imports it): streaming, time-outs, retries with back-off, and one clear error when it is down.

llama.cpp's server, Ollama, vLLM, LM Studio and hosted APIs all speak this wire format.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from index.errors import WriterUnavailable

log = logging.getLogger("revue")

T = TypeVar("T")
RETRIED = {408, 409, 425, 429, 500, 502, 503, 504}
MAX_WAIT = 10.0  # seconds: a longer Retry-After is not worth holding a question for


@dataclass(frozen=True)
class Endpoint:
    """Where the model is: ``url`` is the server ("http://127.0.0.1:8080"), its ``/v1``, or the
    full chat-completions URL. The key is sent as a bearer token and never logged."""

    url: str
    model: str = "default"
    api_key: str | None = None
    timeout: float = 60.0  # seconds without a byte from the server (CPU models are slow to start)
    retries: int = 2

    @property
    def chat_url(self) -> str:
        url = self.url.rstrip("/")
        if url.endswith("/chat/completions"):
            return url
        return f"{url}/chat/completions" if url.endswith("/v1") else f"{url}/v1/chat/completions"


class ChatClient:
    """Sends chat messages and returns the reply's text; asks yes-or-no questions."""

    def __init__(self, endpoint: Endpoint, transport: httpx.BaseTransport | None = None):
        self.endpoint = endpoint
        headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
        timeout = httpx.Timeout(endpoint.timeout, connect=min(endpoint.timeout, 5.0))
        self._http = httpx.Client(headers=headers, timeout=timeout, transport=transport)

    def complete(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        """The reply's text. It is streamed, so the time-out counts silence between pieces, not
        the whole answer (a CPU model takes 10-25 s to write one)."""
        body = self._body(messages, max_tokens)
        return str(self._retrying(lambda: self._once({**body, "stream": True})))

    def yes_probability(self, messages: list[dict[str, str]]) -> float:
        """The probability that the model answers "yes" rather than "no": from the first
        token's log-probabilities where the server gives them (llama.cpp, vLLM, OpenAI), else
        1 or 0 from the word it writes."""
        body = {**self._body(messages, 1), "logprobs": True, "top_logprobs": 10}
        reply = self._retrying(lambda: self._once(body, whole=True))
        return _yes(reply)

    def _body(self, messages: list[dict[str, str]], max_tokens: int) -> dict[str, object]:
        return {
            "model": self.endpoint.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
        }

    def _retrying(self, attempt: Callable[[], T]) -> T:
        for n in range(self.endpoint.retries + 1):
            try:
                return attempt()
            except _Retry as exc:
                if n == self.endpoint.retries:
                    raise WriterUnavailable(f"{self._where()} {exc}") from None
                wait = min(exc.wait if exc.wait is not None else 0.5 * 2**n, MAX_WAIT)
                log.info("language model endpoint: %s; retrying in %.1f s", exc, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _where(self) -> str:
        return f"the language model at {self.endpoint.chat_url}"

    def _once(self, body: dict[str, object], whole: bool = False) -> Any:
        try:
            with self._http.stream("POST", self.endpoint.chat_url, json=body) as response:
                if response.status_code in RETRIED:
                    raise _Retry(f"answered HTTP {response.status_code}", _retry_after(response))
                if response.status_code >= 400:
                    response.read()
                    raise WriterUnavailable(
                        f"{self._where()} refused the request: HTTP {response.status_code} "
                        f"{_error_text(response)}"
                    )
                if whole:
                    response.read()
                    return _json(response.text)
                return _read(response)
        except httpx.TimeoutException:
            raise _Retry(f"sent nothing for {self.endpoint.timeout:g} s") from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise _Retry(f"is unreachable ({type(exc).__name__}: {exc})") from None

    def close(self) -> None:
        self._http.close()


class _Retry(Exception):
    def __init__(self, message: str, wait: float | None = None):
        super().__init__(message)
        self.wait = wait


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


def _error_text(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
        return f"({str(message)[:200]})" if message else ""
    except (ValueError, AttributeError):
        return f"({response.text[:200]})" if response.text else ""


def _read(response: httpx.Response) -> str:
    """The reply's text, from a server-sent event stream or, where a server does not stream,
    one JSON body."""
    if not response.headers.get("content-type", "").startswith("text/event-stream"):
        response.read()
        return _message(_json(response.text))
    # A stream that breaks half-way raises here and is retried whole: nothing was shown yet.
    return "".join(_deltas(response.iter_lines()))


def _deltas(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        event = _json(data)
        if "error" in event:
            raise WriterUnavailable(f"the language model failed mid-answer: {event['error']}")
        piece = _field(event, "choices", 0, "delta", "content")
        if piece:
            yield str(piece)


def _json(text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except ValueError:
        raise WriterUnavailable(
            f"the language model sent something that is not JSON: {text[:120]!r}"
        ) from None
    if not isinstance(value, dict):
        raise WriterUnavailable("the language model sent JSON that is not an object")
    return value


def _field(value: object, *path: str | int) -> object:
    """``value[path[0]][path[1]]…``, or None where the reply lacks it (servers differ)."""
    for key in path:
        try:
            value = value[key]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _message(body: dict[str, object]) -> str:
    content = _field(body, "choices", 0, "message", "content")
    if content is None and _field(body, "choices", 0, "message") is None:
        raise WriterUnavailable("the language model's reply holds no message")
    return str(content or "")


def _yes(reply: dict[str, object]) -> float:
    """P(yes) / (P(yes) + P(no)) over the first token's alternatives, or 1/0 from the text."""
    top = _field(reply, "choices", 0, "logprobs", "content", 0, "top_logprobs")
    p = {"yes": 0.0, "no": 0.0}
    for alternative in top if isinstance(top, list) else []:
        word = str(alternative.get("token", "")).strip().lower()
        if word in p:
            p[word] += math.exp(float(alternative.get("logprob", -100.0)))
    if p["yes"] + p["no"] > 0:
        return p["yes"] / (p["yes"] + p["no"])
    text = _message(reply).strip().lower()
    return 1.0 if text.startswith(("yes", "oui")) else 0.0
