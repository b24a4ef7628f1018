"""RSS and Atom feeds (feedparser, the only module that imports it) read into Article records."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass

import feedparser
import lxml.html

from index.errors import NotAFeed
from index.records import Article, Problem

FEED_SUFFIXES = (".rss", ".atom", ".xml")
_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|h[1-6]|blockquote|tr)>")
_FIRST_ELEMENT = re.compile(rb"<\w")
_ENTITY_DECLARATION = re.compile(rb"(?i)<!ENTITY")


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: its article as the feed gives it, and the page it links to."""

    article: Article | None  # None when the feed carries no text for it
    link: str | None
    title: str | None
    full_text: bool  # the feed holds the whole article (content:encoded), not a summary
    unread_date: str | None = None  # a date the feed gives but that is not one


@dataclass(frozen=True)
class Feed:
    title: str | None
    entries: tuple[FeedEntry, ...]


def looks_like_feed(raw: bytes) -> bool:
    head = raw[:2048].lstrip().lower()
    return head.startswith(b"<?xml") and any(
        tag in raw[:4096].lower() for tag in (b"<rss", b"<feed", b"<rdf:rdf")
    )


def fragment_text(html: str) -> str:
    """The text of an HTML fragment, one paragraph per line."""
    if not html.strip():
        return ""
    if "<" not in html:
        return html.strip()
    marked = _BLOCK_END.sub(lambda m: m.group(0) + "\n", html)
    try:
        text = lxml.html.fragment_fromstring(marked, create_parent="div").text_content()
    except (ValueError, lxml.etree.ParserError):
        return ""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n\n".join(line for line in lines if line)


def parse_feed(raw: bytes, origin: str) -> Feed:
    """The entries of an RSS or Atom document; ``NotAFeed`` when it is not one, or when it
    declares XML entities: feedparser drops the unsafe ones itself, but a feed that declares
    any is a billion-laughs or XXE attempt (a news feed has no use for them), not news."""
    first = _FIRST_ELEMENT.search(raw)
    if _ENTITY_DECLARATION.search(raw, 0, first.start() if first else len(raw)):
        raise NotAFeed(
            f"{origin} is a feed declaring XML entities, refused: they can expand to gigabytes "
            "(billion laughs) or read local files (XXE)"
        )
    parsed = feedparser.parse(raw)
    if not parsed.get("version") and not parsed.entries:
        raise NotAFeed(f"{origin} is not an RSS or Atom feed")
    if parsed.get("bozo") and not parsed.entries:
        reason = " ".join(str(parsed.get("bozo_exception", "")).split())
        raise NotAFeed(f"{origin} is a malformed feed ({reason})")
    feed_title = (parsed.feed.get("title") or "").strip() or None
    entries = []
    for entry in parsed.entries:
        content = entry.get("content") or []
        full = bool(content and content[0].get("value", "").strip())
        html = content[0]["value"] if full else entry.get("summary", "")
        text = fragment_text(html)
        link = entry.get("link") or None
        title = " ".join((entry.get("title") or "").split()) or None
        article = None
        if text:
            key = entry.get("id") or link or hashlib.sha256(text.encode()).hexdigest()[:16]
            article = Article(
                id=key,
                text=text,
                title=title,
                source=feed_title,
                author=entry.get("author") or None,
                date=_date(entry),
                url=link,
                language=(parsed.feed.get("language") or "")[:2].lower() or None,
                origin=f"{origin}#{key}",
            )
        given = dict.get(entry, "published") or dict.get(entry, "updated")
        unread = given if given and not _date(entry) else None
        entries.append(FeedEntry(article, link, title, full, unread))
    return Feed(feed_title, tuple(entries))


def feed_articles(raw: bytes, origin: str) -> tuple[list[Article], list[Problem]]:
    """What ``revue index`` reads from a feed file: each entry's text as the feed gives it."""
    feed = parse_feed(raw, origin)
    articles, problems = [], []
    for n, entry in enumerate(feed.entries, 1):
        if entry.article is None:
            name = entry.title or entry.link or f"entry {n}"
            problems.append(Problem(f"{origin}#{n}", f"feed entry {name!r} has no text"))
        else:
            articles.append(entry.article)
            if entry.unread_date:
                date = " ".join(entry.unread_date.split())
                reason = f"date {date!r} is not a date: indexed without one"
                problems.append(Problem(entry.article.origin, reason, kept=True))
    return articles, problems


def _date(entry: feedparser.FeedParserDict) -> str | None:
    # dict.get: the keys as the feed gave them, without feedparser's deprecated (and warned
    # about) fallback from one to the other.
    parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    return time.strftime("%Y-%m-%d", parsed) if parsed else None
