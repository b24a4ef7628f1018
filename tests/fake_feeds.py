"""A feed server on 127.0.0.1 that the tests own: RSS documents with ETags (304 when unchanged),
article pages for entries that carry only a summary, and failures on demand."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape


@dataclass
class Item:
    """One feed entry; ``text`` goes into content:encoded (a full-text feed) unless
    ``summary_only``, and then the page at ``link`` holds it."""

    title: str
    link: str
    text: str
    date: dt.date = dt.date(2025, 12, 1)
    summary_only: bool = False


@dataclass
class FeedServer:
    """Serves ``feeds[path]`` as RSS; ``status[path]`` makes a path fail with that code."""

    feeds: dict[str, tuple[str, list[Item]]] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)  # documents served as they are
    status: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FeedServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                server.requests.append((self.path, dict(self.headers)))
                code, body, headers = server.respond(self.path, dict(self.headers))
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll: shutdown() waits for one (0.5 s by default, at every test's end).
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]

    def respond(self, path: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if path in self.status:
            return self.status[path], b"down", {"Content-Type": "text/plain"}
        if path in self.raw:
            return 200, self.raw[path], {"Content-Type": "application/rss+xml"}
        if path in self.feeds:
            body = self.rss(path).encode()
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if headers.get("If-None-Match") == etag:
                return 304, b"", {"ETag": etag}
            return 200, body, {"Content-Type": "application/rss+xml", "ETag": etag}
        for _, items in self.feeds.values():
            for item in items:
                if item.link == self.url(path):
                    return 200, page(item).encode(), {"Content-Type": "text/html; charset=utf-8"}
        return 404, b"not found", {"Content-Type": "text/plain"}

    def rss(self, path: str) -> str:
        title, items = self.feeds[path]
        entries = "".join(entry(i) for i in items)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>{escape(title)}</title><link>{self.url('/')}</link>"
            f"<language>fr</language>{entries}</channel></rss>"
        )


def entry(item: Item) -> str:
    moment = dt.datetime.combine(item.date, dt.time(9), dt.UTC)
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in item.text.split("\n\n"))
    body = (
        f"<description>{escape(item.text[:80])}</description>"
        if item.summary_only
        else f"<content:encoded><![CDATA[{paragraphs}]]></content:encoded>"
    )
    return (
        f"<item><title>{escape(item.title)}</title><link>{escape(item.link)}</link>"
        f"<guid>{escape(item.link)}</guid><pubDate>{format_datetime(moment)}</pubDate>"
        f"{body}</item>"
    )


def page(item: Item) -> str:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in item.text.split("\n\n"))
    return (
        f"<html><head><title>{escape(item.title)}</title></head><body><article>"
        f"<h1>{escape(item.title)}</h1>{paragraphs}</article></body></html>"
    )
