"""Read corpus inputs (Markdown/text, HTML, JSON Lines, RSS/Atom) into Article records."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import trafilatura
import yaml
from frontmatter.default_handlers import YAMLHandler

from index.errors import CorpusPathError, DuplicateArticleId, NotAFeed, NotAnArticle
from index.ingest.feeds import FEED_SUFFIXES, feed_articles
from index.records import ARTICLE_META, Article, CorpusLoad, Problem

_TEXT_SUFFIXES = (".md", ".markdown", ".txt")
_HTML_SUFFIXES = (".html", ".htm")
_FRONT_MATTER_START = re.compile(r"\A---[ \t]*\n")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_HTML_LANG = re.compile(r"[A-Za-z]{2,3}(?=$|[-_])")
# Extracted HTML text must hold at least one sentence-like line of this many words;
# otherwise trafilatura's fallback has only picked up menus or footers.
_MIN_SENTENCE_WORDS = 6
_YAML = YAMLHandler()


class _Skip(Exception):
    """An input that is reported as a Problem instead of loaded."""


def load_corpus(paths: Sequence[Path], progress: Callable[[int], None] | None = None) -> CorpusLoad:
    """Load every article under ``paths`` (directories walked recursively, or single files);
    ``progress`` is told the number of articles read so far, now and then."""
    loader = _Loader(progress)
    for path in paths:
        loader.add_path(Path(path))
    return CorpusLoad(articles=tuple(loader.articles), problems=tuple(loader.problems))


class _Loader:
    def __init__(self, progress: Callable[[int], None] | None = None) -> None:
        self.progress = progress
        self.articles: list[Article] = []
        self.problems: list[Problem] = []
        self._origins: dict[str, str] = {}  # article id -> origin of its first occurrence
        self._seen_files: set[Path] = set()
        self._seen_dirs: set[Path] = set()

    def add_path(self, path: Path) -> None:
        if not path.exists():
            raise CorpusPathError(f"corpus path not found: {path}")
        if path.is_dir():
            for file in self._walk(path, root=path):
                self._add_file(file, file.relative_to(path))
        elif path.is_file():
            try:
                with path.open("rb"):
                    pass
            except OSError as exc:
                raise CorpusPathError(f"cannot read corpus path {path}: {exc.strerror}") from exc
            self._add_file(path, Path(path.name))
        else:
            raise CorpusPathError(f"corpus path is not a file or directory: {path}")

    def _walk(self, directory: Path, root: Path) -> Iterator[Path]:
        real = directory.resolve()
        if real in self._seen_dirs:  # already walked (overlapping paths or a symlink loop)
            return
        self._seen_dirs.add(real)
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if directory == root:
                raise CorpusPathError(
                    f"cannot read corpus path {directory}: {exc.strerror}"
                ) from exc
            self._problem(str(directory), f"cannot read directory: {exc.strerror}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            child = directory / entry.name
            if entry.is_dir():
                yield from self._walk(child, root)
            else:
                yield child

    def _add_file(self, path: Path, rel: Path) -> None:
        """Load one file; ``rel`` is its path relative to the corpus root (for its id)."""
        origin = str(path)
        real = path.resolve()
        if real in self._seen_files:  # the same file reached through two corpus paths
            return
        self._seen_files.add(real)
        name = path.name.lower()
        try:
            if not path.is_file():
                raise _Skip("not a regular file")
            if name.endswith(".jsonl") or name.endswith(".jsonl.gz"):
                self._add_jsonl(path, gz=name.endswith(".gz"))
                return
            if name.endswith(FEED_SUFFIXES):
                self._add_feed(path)
                return
            default_id = rel.with_suffix("").as_posix()
            if name.endswith(_TEXT_SUFFIXES):
                self._add(_read_text_file(path, default_id, origin))
            elif name.endswith(_HTML_SUFFIXES):
                self._add(_read_html_file(path, default_id, origin))
            else:
                suffix = path.suffix.lower()
                raise _Skip(
                    f"unsupported file type {suffix}"
                    if suffix
                    else "unsupported file type (no extension)"
                )
        except _Skip as skip:
            self._problem(origin, str(skip))

    def _add_jsonl(self, path: Path, gz: bool) -> None:
        lineno = 0
        try:
            with gzip.open(path, "rb") if gz else path.open("rb") as fh:
                for lineno, raw in enumerate(fh, start=1):
                    origin = f"{path}:{lineno}"
                    try:
                        article = _parse_jsonl_line(raw, lineno == 1, origin)
                    except _Skip as skip:
                        self._problem(origin, str(skip))
                        continue
                    if article is not None:
                        self._add(article)
        except (OSError, EOFError, zlib.error) as exc:
            if gz:
                where = f" after line {lineno}" if lineno else ""
                self._problem(str(path), f"corrupt gzip file{where}")
            else:
                self._problem(str(path), f"cannot read file: {getattr(exc, 'strerror', exc)}")

    def _add_feed(self, path: Path) -> None:
        try:
            articles, problems = feed_articles(_read_bytes(path), str(path))
        except NotAFeed as exc:
            raise _Skip(str(exc).removeprefix(f"{path} is ")) from None
        for article in articles:
            self._add(article)
        self.problems.extend(problems)

    def _add(self, article: Article) -> None:
        first = self._origins.get(article.id)
        if first is not None:
            raise DuplicateArticleId(article.id, first, article.origin)
        self._origins[article.id] = article.origin
        self.articles.append(article)
        if self.progress is not None and len(self.articles) % 500 == 0:
            self.progress(len(self.articles))

    def _problem(self, origin: str, reason: str) -> None:
        self.problems.append(Problem(origin=origin, reason=reason))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _Skip(f"cannot read file: {exc.strerror or exc}") from exc


def _clean_text(text: str) -> str:
    """Normalize line endings and drop leading blank lines and trailing whitespace."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _LEADING_BLANK_LINES.sub("", text).rstrip()


def _read_text_file(path: Path, default_id: str, origin: str) -> Article:
    try:
        text = _read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Skip("not UTF-8 text") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, Any] = {}
    if _FRONT_MATTER_START.match(text):
        try:
            fm, text = _YAML.split(text)
        except ValueError:
            raise _Skip("bad front matter: no closing ---") from None
        try:
            loaded = _YAML.load(fm)
        except yaml.YAMLError as exc:
            raise _Skip(f"bad front matter: {' '.join(str(exc).split())}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise _Skip("bad front matter: not a key/value mapping")
        meta = loaded or {}
    body = _clean_text(text)
    if not body:
        raise _Skip("empty text")
    fields = {key: _meta_str(meta, key, "bad front matter: ") for key in ARTICLE_META}
    article_id = _meta_str(meta, "id", "bad front matter: ") or default_id
    return Article(id=article_id, text=body, origin=origin, **fields)


def _read_html_file(path: Path, default_id: str, origin: str) -> Article:
    try:
        return html_article(_read_bytes(path), default_id, origin)
    except NotAnArticle as exc:
        raise _Skip(str(exc)) from None


def html_article(raw: bytes, default_id: str, origin: str, url: str | None = None) -> Article:
    """The main text and metadata of an HTML page (trafilatura); ``NotAnArticle`` if none."""
    tree = trafilatura.load_html(raw)
    if tree is None:
        raise NotAnArticle("not parseable as html")
    lang = _HTML_LANG.match(tree.get("lang") or "")
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        # No guessing from copyright lines etc.: only dates the page states as such.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = _clean_text(getattr(doc, "text", None) or "")
    if not any(len(line.split()) >= _MIN_SENTENCE_WORDS for line in text.split("\n")):
        raise NotAnArticle("no main text found in html")

    def meta(name: str) -> str | None:
        value = getattr(doc, name, None)
        return (value.strip() or None) if isinstance(value, str) else None

    return Article(
        id=default_id,
        text=text,
        title=meta("title"),
        source=meta("sitename"),
        author=meta("author"),
        date=meta("date"),
        url=meta("url") or url,
        language=lang.group(0).lower() if lang else None,
        origin=origin,
    )


def _parse_jsonl_line(raw: bytes, first: bool, origin: str) -> Article | None:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Skip("not UTF-8 text") from None
    if first:
        line = line.removeprefix("\ufeff")
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _Skip(f"not valid JSON: {exc.msg.lower()}") from None
    if not isinstance(obj, dict):
        raise _Skip("not a JSON object")
    article_id = _meta_str(obj, "id", "")
    if not article_id:
        raise _Skip("missing id")
    text = obj.get("text")
    if text is None:
        raise _Skip("missing text")
    if not isinstance(text, str):
        raise _Skip("text is not a string")
    body = _clean_text(text)
    if not body:
        raise _Skip("empty text")
    fields = {key: _meta_str(obj, key, "") for key in ARTICLE_META}
    return Article(id=article_id, text=body, origin=origin, **fields)


def _meta_str(meta: dict[str, Any], key: str, prefix: str) -> str | None:
    """A metadata value as a string (dates as ISO 8601, lists joined), or None when blank."""
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, dt.date):  # also datetime.datetime
        text = value.isoformat()
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        text = ", ".join(str(v) for v in value)
    else:
        raise _Skip(f"{prefix}{key} is not text")
    return text.strip() or None
