"""``revue add``: one article (a web page or an HTML file) or a whole feed, saved into the corpus
directory as front-matter Markdown. The library raises; the CLI words the errors."""

from __future__ import annotations

import glob
import re
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from index.errors import AlreadyInCorpus, FetchFailed, NotAnArticle, RevueError
from index.ingest.articles import html_article
from index.ingest.corpus import load_corpus
from index.ingest.feeds import FEED_SUFFIXES, Feed, looks_like_feed, parse_feed
from index.ingest.files import MAX_FILE_BYTES, megabytes
from index.records import Article, Problem

MAX_BYTES = MAX_FILE_BYTES  # what the corpus reader reads of one file
TIMEOUT = 20.0
USER_AGENT = "Revue/0.1 (news question answering; +https://github.com/revue-bot)"
FEED_TYPES = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
_TEXT_TYPES = ("text/html", "application/xhtml", "xml", "rss", "atom", "text/plain")


@dataclass(frozen=True)
class Fetched:
    """A document's bytes, where they came from, and their declared media type."""

    raw: bytes
    origin: str  # the URL (after redirects) or the file path
    content_type: str
    is_url: bool


@dataclass(frozen=True)
class Added:
    """An article written into the corpus directory."""

    path: Path
    article: Article


@dataclass(frozen=True)
class AddReport:
    added: tuple[Added, ...]
    problems: tuple[Problem, ...]


def fetch(target: str) -> Fetched:
    """The bytes of a URL (http/https) or a local file."""
    if urlsplit(target).scheme in ("http", "https"):
        request = urllib.request.Request(target, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                raw = response.read(MAX_BYTES + 1)
                kind = response.headers.get_content_type()
                final = response.geturl()
        except urllib.error.HTTPError as exc:
            raise FetchFailed(f"{target} returned HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FetchFailed(f"cannot fetch {target}: {reason}") from None
        if len(raw) > MAX_BYTES:
            raise NotAnArticle(f"{target} is larger than {MAX_BYTES // 2**20} MB")
        return Fetched(raw, final, kind, True)
    path = Path(target)
    if not path.is_file():
        raise FetchFailed(f"{target} is neither an http(s) URL nor a readable file")
    try:
        if (size := path.stat().st_size) > MAX_BYTES:
            raise NotAnArticle(
                f"{target} is {megabytes(size)}, over the {megabytes(MAX_BYTES)} limit"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise FetchFailed(f"cannot read {target}: {exc.strerror}") from None
    return Fetched(raw, str(path), "", False)


@dataclass(frozen=True)
class FeedResponse:
    """A feed's bytes (None for 304 Not Modified) and the validators to send next time."""

    raw: bytes | None
    etag: str | None = None
    last_modified: str | None = None


def get_feed(url: str, etag: str | None = None, last_modified: str | None = None) -> FeedResponse:
    """GET the feed at ``url``, conditionally when validators are given; ``FetchFailed`` for
    an HTTP error, an unreachable host or a document over ``MAX_BYTES``."""
    headers = {"User-Agent": USER_AGENT, "Accept": FEED_TYPES}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=TIMEOUT
        ) as r:
            raw = r.read(MAX_BYTES + 1)
            validators = r.headers.get("ETag"), r.headers.get("Last-Modified")
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return FeedResponse(None, etag, last_modified)
        raise FetchFailed(f"{url} returned HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchFailed(f"cannot fetch {url}: {getattr(exc, 'reason', exc)}") from None
    if len(raw) > MAX_BYTES:
        raise FetchFailed(f"{url} is larger than {MAX_BYTES // 2**20} MB")
    return FeedResponse(raw, *validators)


def _is_binary(doc: Fetched) -> bool:
    if doc.content_type and not any(t in doc.content_type for t in _TEXT_TYPES):
        return True
    return b"\x00" in doc.raw[:4096]


def read_articles(
    target: str, get: Callable[[str], Fetched] = fetch
) -> tuple[list[Article], list[Problem]]:
    """The article at ``target``, or every entry of the feed at ``target``."""
    doc = get(target)
    what = doc.content_type or Path(doc.origin).suffix or "unknown type"
    if _is_binary(doc):
        raise NotAnArticle(f"{target} is not an HTML page or a feed ({what})")
    name = doc.origin.lower()
    if looks_like_feed(doc.raw) or name.endswith(FEED_SUFFIXES) or "rss" in what or "atom" in what:
        return entry_articles(parse_feed(doc.raw, target), target, get)
    if name.endswith((".md", ".markdown", ".txt")) and not doc.is_url:
        loaded = load_corpus([Path(doc.origin)])
        skipped = [p for p in loaded.problems if not p.kept]
        if skipped:
            raise NotAnArticle(f"{target}: {skipped[0].reason}")
        return list(loaded.articles), []
    try:
        article = html_article(doc.raw, "", target, url=doc.origin if doc.is_url else None)
    except NotAnArticle as exc:
        raise NotAnArticle(f"{target}: {exc}") from None
    return [article], []


def entry_articles(
    feed: Feed, target: str, get: Callable[[str], Fetched] = fetch
) -> tuple[list[Article], list[Problem]]:
    """Entries with their full text: from the feed when it carries it, else from the page."""
    articles, problems = [], []
    for n, entry in enumerate(feed.entries, 1):
        name = entry.title or entry.link or f"entry {n}"
        if entry.full_text and entry.article is not None:
            articles.append(entry.article)
            continue
        try:
            if not entry.link:
                raise NotAnArticle("it has no link to the full article")
            (page,), _ = read_articles(entry.link, get)
            meta = entry.article or page
            articles.append(
                replace(
                    page,
                    title=page.title or meta.title,
                    source=feed.title or page.source,
                    date=meta.date or page.date,
                    url=entry.link,
                )
            )
        except (RevueError, ValueError) as exc:
            if entry.article is not None:
                articles.append(entry.article)
                problems.append(
                    Problem(f"{target}#{n}", f"{name!r}: kept the feed's summary ({exc})")
                )
            else:
                problems.append(Problem(f"{target}#{n}", f"{name!r} skipped: {exc}"))
    if not articles and not problems:
        raise NotAnArticle(f"{target} is a feed with no entries")
    return articles, problems


def slug(text: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = "-".join(words)[:limit].rstrip("-")
    return out or "article"


def markdown(article: Article) -> str:
    """The article as Markdown with YAML front matter (what ``revue index`` reads)."""
    meta = {k: v for k, v in article.meta().items() if v}
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n\n{article.text}\n"


def add(target: str, corpus_dir: Path, get: Callable[[str], Fetched] = fetch) -> AddReport:
    """Save the article or feed at ``target`` into ``corpus_dir``; existing files are kept."""
    articles, problems = read_articles(target, get)
    known = _known_urls(corpus_dir) if corpus_dir.is_dir() else {}  # read once, for both uses
    if len(articles) == 1 and articles[0].url in known:
        where = known[articles[0].url]
        raise AlreadyInCorpus(f"{articles[0].url} is already in the corpus as {where}")
    report = save_articles(articles, corpus_dir, target, known)
    return AddReport(report.added, tuple(problems) + report.problems)


def save_articles(
    articles: Sequence[Article], corpus_dir: Path, origin: str, known: dict[str, str] | None = None
) -> AddReport:
    """Write each article into ``corpus_dir`` as Markdown (written whole, then renamed: a
    reader never sees half a file); one whose URL is already there (``known``: URL -> file,
    read from the folder when not given) is reported, not written again."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    known = _known_urls(corpus_dir) if known is None else known
    added, problems = [], []
    for article in articles:
        where = known.get(article.url or "") or _saved_as(corpus_dir, article)
        if where is not None:
            problems.append(Problem(article.url or origin, f"already in the corpus as {where}"))
            continue
        path = _free_path(corpus_dir, article)
        tmp = path.with_name(f".{path.name}.tmp")  # dot files are not read as corpus
        tmp.write_text(markdown(article), encoding="utf-8")
        tmp.replace(path)
        if article.url:
            known[article.url] = str(path)
        added.append(Added(path, article))
    return AddReport(tuple(added), tuple(problems))


def _known_urls(corpus_dir: Path) -> dict[str, str]:
    loaded = load_corpus([corpus_dir])
    return {a.url: a.origin for a in loaded.articles if a.url}


def _base_name(article: Article) -> str:
    base = slug(article.title or urlsplit(article.url or "").path or article.text[:60])
    return f"{article.date[:10]}-{base}" if article.date else base


def _saved_as(corpus_dir: Path, article: Article) -> str | None:
    """The file this article (same URL) was already saved as under its own name, if any: a
    save whose record was lost (the process died between the file and the record) is not
    written twice."""
    if not article.url:
        return None
    base = _base_name(article)
    for path in sorted(corpus_dir.glob(f"{glob.escape(base)}*.md")):
        if path.stem != base and not re.fullmatch(re.escape(base) + r"-\d+", path.stem):
            continue
        loaded = load_corpus([path])
        if any(a.url == article.url for a in loaded.articles):
            return str(path)
    return None


def _free_path(corpus_dir: Path, article: Article) -> Path:
    base = _base_name(article)
    path = corpus_dir / f"{base}.md"
    n = 2
    while path.exists():
        path = corpus_dir / f"{base}-{n}.md"
        n += 1
    return path
