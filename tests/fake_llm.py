"""An OpenAI-compatible chat-completions server on 127.0.0.1 that the tests own: the network
edge where a language model would be. Each request takes the next scripted ``Reply`` (the last
one repeats) and is recorded."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """What the fake answers: ``text`` streamed in small pieces, or an HTTP ``status``; after
    ``delay`` seconds of silence."""

    text: str = ""
    status: int = 200
    delay: float = 0.0
    stream: bool = True


@dataclass(frozen=True)
class Request:
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def system(self) -> str:
        return str(self.body["messages"][0]["content"])

    @property
    def user(self) -> str:
        return str(self.body["messages"][-1]["content"])


Entails = Callable[[Request], float]


class FakeLLM:
    """``with FakeLLM(Reply("…[1].")) as llm:`` serves at ``llm.url`` until the block ends.

    A yes-or-no request (one that asks for ``logprobs``) is answered by ``entails``, which gives
    the probability of "yes" (by default 0.9), and does not use up a scripted reply."""

    def __init__(self, *replies: Reply, entails: Entails = lambda request: 0.9) -> None:
        self.replies = list(replies) or [Reply("")]
        self.entails = entails
        self.requests: list[Request] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll: shutdown() waits for one (0.5 s by default, at every test's end).
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def writes(self) -> list[Request]:
        """The requests for an answer (not the yes-or-no checks)."""
        return [r for r in self.requests if not r.body.get("logprobs")]

    @property
    def checks(self) -> list[Request]:
        """The yes-or-no requests that check a sentence against a quote."""
        return [r for r in self.requests if r.body.get("logprobs")]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                request = Request(body, dict(self.headers))
                fake.requests.append(request)
                if body.get("logprobs") and self.path == "/v1/chat/completions":
                    return self._plain(200, _yes_or_no(fake.entails(request)))
                reply = fake._next()
                time.sleep(reply.delay)
                if self.path != "/v1/chat/completions":
                    return self._plain(404, {"error": {"message": f"no route {self.path}"}})
                if reply.status != 200:
                    return self._plain(reply.status, {"error": {"message": "scripted failure"}})
                if not (reply.stream and body.get("stream")):
                    message = {"role": "assistant", "content": reply.text}
                    return self._plain(200, {"choices": [{"message": message}]})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for i in range(0, len(reply.text), 7):
                        delta = {"choices": [{"delta": {"content": reply.text[i : i + 7]}}]}
                        self.wfile.write(f"data: {json.dumps(delta)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the time-out tests make it): not an error

            def _plain(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _yes_or_no(p_yes: float) -> dict[str, Any]:
    """A chat completion whose one token is "yes" with probability ``p_yes`` (as llama.cpp's
    server reports log-probabilities)."""
    p_yes = min(max(p_yes, 1e-6), 1 - 1e-6)
    top = [
        {"token": "yes", "logprob": math.log(p_yes)},
        {"token": "no", "logprob": math.log(1 - p_yes)},
    ]
    first = top[0]["token"] if p_yes >= 0.5 else top[1]["token"]
    return {
        "choices": [
            {
                "message": {"role": "assistant", "content": first},
                "logprobs": {"content": [{"token": first, "top_logprobs": top}]},
            }
        ]
    }
