"""One input read into an Article: a text file with optional YAML front matter, an HTML page, a
JSON Lines line. What cannot be read raises ``BadInput`` with the reason a person reads."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
from typing import Any

import trafilatura
import yaml
from frontmatter.default_handlers import YAMLHandler

from index.errors import NotAnArticle
from index.ingest.files import MAX_HTML_ELEMENTS, BadInput, LongLine, megabytes
from index.records import ARTICLE_META, Article

_FRONT_MATTER_START = re.compile(r"\A---[ \t]*\n")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_HTML_LANG = re.compile(r"[A-Za-z]{2,3}(?=$|[-_])")
_BRACKETS = re.compile(r"[\[\]{}]")
# Extracted HTML text must hold at least one sentence-like line of this many words;
# otherwise trafilatura's fallback has only picked up menus or footers.
_MIN_SENTENCE_WORDS = 6
# Front matter is a few lines of metadata (the fields `revue add` writes: ~300 bytes). LibYAML
# composes nested collections recursively in C: 30,000 nested [ kill the process (a segfault,
# measured; 10,000 pass), so both size and nesting are held well below.
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_FRONT_MATTER_NESTING = 100
_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive",
    b"\x1f\x8b": "gzip-compressed data",
}
_YAML = YAMLHandler()
# Safe YAML whose impossible dates (2025-13-45) stay text, to be reported as dates, instead of
# raising a ValueError out of the loader.
_FrontMatterLoader: Any = type(
    "FrontMatterLoader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {}
)


def _timestamp(loader: Any, node: Any) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def sniff_binary(raw: bytes) -> None:
    """``BadInput`` for an image, a document or an archive where text was expected."""
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise BadInput(f"{what}, not text")
    if b"\x00" in raw[:4096] and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BadInput("binary data (NUL bytes), not text")


def decode_text(raw: bytes) -> str:
    """UTF-8 text (a BOM allowed), or UTF-16 with its BOM (Notepad's "Unicode")."""
    sniff_binary(raw)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise BadInput("not UTF-16 text, though it starts with a UTF-16 mark") from None
    if b"\x00" in raw:
        raise BadInput("binary data (NUL bytes), not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(not_utf8(raw, exc)) from None


def not_utf8(raw: bytes, exc: UnicodeDecodeError) -> str:
    if exc.reason == "unexpected end of data" and exc.end == len(raw):
        return "not UTF-8 text: it ends in the middle of a character (cut off?)"
    line = raw.count(b"\n", 0, exc.start) + 1
    return f"not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line} (Latin-1 or Windows-1252?)"


def clean_text(text: str) -> str:
    """Normalize line endings and drop leading blank lines and trailing whitespace."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _LEADING_BLANK_LINES.sub("", text).rstrip()


def text_article(raw: bytes, default_id: str, origin: str) -> Article:
    """A Markdown or plain-text file, with optional YAML front matter."""
    text = decode_text(raw).replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, Any] = {}
    if _FRONT_MATTER_START.match(text):
        try:
            fm, text = _YAML.split(text)
        except ValueError:
            raise BadInput("bad front matter: no closing ---") from None
        meta = _front_matter(fm)
    body = clean_text(text)
    if not body:
        raise BadInput("empty text")
    fields = {key: meta_str(meta, key, "bad front matter: ") for key in ARTICLE_META}
    article_id = meta_str(meta, "id", "bad front matter: ") or default_id
    return Article(id=article_id, text=body, origin=origin, **fields)


def _front_matter(fm: str) -> dict[str, Any]:
    if len(fm) > MAX_FRONT_MATTER_BYTES:
        raise BadInput(f"bad front matter: over {MAX_FRONT_MATTER_BYTES // 1024} KB of metadata")
    depth = deepest = 0
    for m in _BRACKETS.finditer(fm):
        depth += 1 if m.group(0) in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_FRONT_MATTER_NESTING:
        raise BadInput(f"bad front matter: nested {deepest} levels deep")
    try:
        loaded = yaml.load(fm, Loader=_FrontMatterLoader)
    except yaml.YAMLError as exc:
        raise BadInput(f"bad front matter: not YAML ({_yaml_reason(exc)})") from None
    except RecursionError:
        raise BadInput("bad front matter: nested too deeply") from None
    if loaded is not None and not isinstance(loaded, dict):
        raise BadInput(f"bad front matter: {_kind(loaded)}, not a key/value mapping")
    return loaded or {}


def _yaml_reason(exc: Any) -> str:
    problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
    mark = getattr(exc, "problem_mark", None)
    # +1: marks count from 0 and from the end of the opening --- (the file's first line).
    return f"{problem}, line {mark.line + 1}" if mark is not None else problem


def html_article(raw: bytes, default_id: str, origin: str, url: str | None = None) -> Article:
    """The main text and metadata of an HTML page (trafilatura); ``NotAnArticle`` if none."""
    tree = trafilatura.load_html(raw)
    if tree is None:
        raise NotAnArticle("not parseable as html")
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_HTML_ELEMENTS:
        raise NotAnArticle(
            f"too large to extract: {elements:,} HTML elements, over the limit of "
            f"{MAX_HTML_ELEMENTS:,} ({megabytes(len(raw))})"
        )
    lang = _HTML_LANG.match(tree.get("lang") or "")
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        # No guessing from copyright lines etc.: only dates the page states as such.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = clean_text(getattr(doc, "text", None) or "")
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


def jsonl_article(raw: bytes | LongLine, first: bool, origin: str) -> Article | None:
    """The article on one JSON Lines line; None for a blank line."""
    if isinstance(raw, LongLine):
        raise BadInput(f"line of {megabytes(raw.size)}, over the limit for one article")
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(not_utf8(raw, exc)) from None
    if first:
        line = line.removeprefix("\ufeff")
    if not line.strip():
        return None
    obj = _json(line)
    if not isinstance(obj, dict):
        raise BadInput(f"not a JSON object ({_kind(obj)})")
    article_id = meta_str(obj, "id", "")
    if not article_id:
        raise BadInput("missing id")
    text = obj.get("text")
    if text is None:
        raise BadInput("missing text")
    if not isinstance(text, str):
        raise BadInput(f"text is not a string ({_kind(text)})")
    body = clean_text(text)
    if not body:
        raise BadInput("empty text")
    fields = {key: meta_str(obj, key, "") for key in ARTICLE_META}
    return Article(id=article_id, text=body, origin=origin, **fields)


def _json(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadInput(f"not valid JSON: {exc.msg.lower()} (column {exc.colno})") from None
    except RecursionError:
        raise BadInput("not valid JSON: nested too deeply") from None
    except ValueError:  # Python refuses integers of more than 4,300 digits
        raise BadInput("not valid JSON: a number too long to read") from None


def meta_str(meta: dict[str, Any], key: str, prefix: str) -> str | None:
    """A metadata value as a string (dates as ISO 8601, lists joined), or None when blank."""
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, dt.date):  # also datetime.datetime
        text = value.isoformat()
    elif _scalar(value):
        text = str(value)
    elif key != "id" and isinstance(value, list) and all(_scalar(v) for v in value):
        text = ", ".join(str(v) for v in value)
    else:
        raise BadInput(f"{prefix}{key} is not text ({_kind(value)})")
    return text.strip() or None


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    """A JSON or YAML value's kind, in words."""
    if isinstance(value, bool) or value is None:
        return "true/false" if value is not None else "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a number" if isinstance(value, int | float) else f"a {type(value).__name__}"
