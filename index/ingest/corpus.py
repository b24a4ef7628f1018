"""Read corpus inputs (Markdown/text, HTML, JSON Lines, RSS/Atom) into Article records.

Whatever a file holds, the walk goes on: each input that cannot be read (damaged, hostile, too
large, not a file) is one Problem naming it and why, and every other article is loaded."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from index.errors import CorpusPathError, NotAFeed, NotAnArticle
from index.ingest.articles import html_article, jsonl_article, sniff_binary, text_article
from index.ingest.checks import checked, dated
from index.ingest.feeds import FEED_SUFFIXES, feed_articles
from index.ingest.files import BadInput, check_link, jsonl_lines, read_file
from index.records import Article, CorpusLoad, Problem

_TEXT_SUFFIXES = (".md", ".markdown", ".txt")
_HTML_SUFFIXES = (".html", ".htm")
_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
_ARTICLE_SUFFIXES = _TEXT_SUFFIXES + _HTML_SUFFIXES + _JSONL_SUFFIXES + FEED_SUFFIXES
# Bad lines of one JSON Lines file listed one by one; the rest are counted in one more line. A
# screenful: a gigabyte of text renamed .jsonl must not become millions of Problem records.
_LISTED_PER_FILE = 20


def load_corpus(paths: Sequence[Path], progress: Callable[[int], None] | None = None) -> CorpusLoad:
    """Load every article under ``paths`` (directories walked recursively, or single files);
    ``progress`` is told the number of articles read so far, now and then."""
    loader = _Loader(progress)
    for path in paths:
        loader.add_path(Path(path))
    return CorpusLoad(articles=tuple(loader.articles), problems=tuple(loader.problems))


def printable(path: Path) -> str:
    """``path`` as text that can be printed and stored: bytes that are not UTF-8 escaped."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


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
            if directory.is_symlink():
                self._problem(printable(directory), f"link to a folder already read ({real})")
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
            self._problem(printable(directory), f"cannot read directory: {exc.strerror}")
            return
        files = 0
        for entry in entries:
            if entry.name.startswith("."):
                continue
            child = directory / entry.name
            if _is_dir(entry):
                yield from self._walk(child, root)
            else:
                files += 1
                yield child
        if files == 0 and directory != root and directory.name.lower().endswith(_ARTICLE_SUFFIXES):
            self._problem(
                printable(directory), "a folder named like an article file, and no file in it"
            )

    def _add_file(self, path: Path, rel: Path) -> None:
        """Load one file; ``rel`` is its path relative to the corpus root (for its id)."""
        origin = printable(path)
        try:
            check_link(path)
            try:
                real = path.resolve()
            except RuntimeError:  # a link made into a loop since check_link (Python 3.11)
                raise BadInput("symbolic link loop (the link leads back to itself)") from None
            if real in self._seen_files:  # the same file reached through two corpus paths
                return
            self._seen_files.add(real)
            self._read(path, rel, origin)
        except BadInput as bad:
            self._problem(origin, str(bad))

    def _read(self, path: Path, rel: Path, origin: str) -> None:
        name = path.name.lower()
        if name.endswith(_JSONL_SUFFIXES):
            return self._add_jsonl(path, gz=name.endswith(".gz"), origin=origin)
        if not name.endswith(_ARTICLE_SUFFIXES):
            suffix = path.suffix.lower()
            raise BadInput(
                f"unsupported file type {suffix}"
                if suffix
                else "unsupported file type (no extension)"
            )
        if origin != str(path):
            raise BadInput("its name is not UTF-8: rename it")
        if name.endswith(FEED_SUFFIXES):
            return self._add_feed(path, origin)
        raw = read_file(path)
        default_id = rel.with_suffix("").as_posix()
        if name.endswith(_TEXT_SUFFIXES):
            self._add(text_article(raw, default_id, origin))
        else:
            self._add(_html_file(raw, default_id, origin))

    def _add_jsonl(self, path: Path, gz: bool, origin: str) -> None:
        before = len(self.articles), len(self.problems)
        bad_lines = 0
        try:
            for lineno, raw in jsonl_lines(path, gz):
                where = f"{origin}:{lineno}"
                try:
                    article = jsonl_article(raw, lineno == 1, where)
                    if article is not None:
                        self._add(article)
                except BadInput as bad:
                    bad_lines += 1
                    if bad_lines <= _LISTED_PER_FILE:
                        self._problem(where, str(bad))
        except BadInput as bad:
            self._problem(origin, str(bad))
        if bad_lines > _LISTED_PER_FILE:
            unlisted = bad_lines - _LISTED_PER_FILE
            self._problem(origin, f"{unlisted:,} more bad lines skipped, not listed one by one")
        if (len(self.articles), len(self.problems)) == before:
            self._problem(origin, "no article in it (blank lines only)")

    def _add_feed(self, path: Path, origin: str) -> None:
        try:
            articles, problems = feed_articles(read_file(path), origin)
        except NotAFeed as exc:
            raise BadInput(str(exc).removeprefix(f"{origin} is ")) from None
        for article in articles:
            try:
                self._add(article)
            except BadInput as bad:
                self._problem(article.origin, str(bad))
        self.problems.extend(problems)

    def _add(self, article: Article) -> None:
        """Keep ``article`` unless its id was already read; ``BadInput`` if it cannot be shown."""
        article, note = dated(checked(article))
        first = self._origins.get(article.id)
        if first is not None:
            raise BadInput(f"duplicate id {article.id!r}: already read from {first}")
        if note is not None:
            self.problems.append(note)
        self._origins[article.id] = article.origin
        self.articles.append(article)
        if self.progress is not None and len(self.articles) % 500 == 0:
            self.progress(len(self.articles))

    def _problem(self, origin: str, reason: str) -> None:
        self.problems.append(Problem(origin=origin, reason=reason))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link loop (ELOOP): it is read as a file, and that says what it is
        return False


def _html_file(raw: bytes, default_id: str, origin: str) -> Article:
    sniff_binary(raw)
    try:
        return html_article(raw, default_id, origin)
    except NotAnArticle as exc:
        raise BadInput(str(exc)) from None
