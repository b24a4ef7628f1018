"""The checks every article passes, whatever its format: text a reader can be shown, of a size
that can be indexed, and a date that filters and timelines can read."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from index.ingest.files import MAX_ARTICLE_CHARS, BadInput
from index.records import Article, Problem

# C0 controls and DEL, but tab, newline, vertical tab, form feed (pdftotext's page break) and
# carriage return: a text holding them is binary or damaged, and they would reach quotes.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_YEAR_OR_MONTH = re.compile(r"\d{4}(-(0[1-9]|1[0-2]))?")


def checked(article: Article) -> Article:
    """``article`` if its fields are text a reader can be shown; ``BadInput`` otherwise."""
    for name, value in (("id", article.id), ("text", article.text), *article.meta().items()):
        if value is None:
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = f"U+{ord(value[exc.start]):04X}"
            raise BadInput(
                f"{name} holds an unpaired surrogate ({bad}), not valid Unicode"
            ) from None
        if control := _CONTROL.search(value):
            line = value.count("\n", 0, control.start()) + 1
            where = f" on line {line}" if name == "text" else ""
            code = f"U+{ord(control.group(0)):04X}"
            raise BadInput(f"{name} holds control character {code}{where}: binary or damaged text")
    if len(article.text) > MAX_ARTICLE_CHARS:
        raise BadInput(
            f"text of {len(article.text):,} characters, over the limit of "
            f"{MAX_ARTICLE_CHARS:,} for one article"
        )
    return article


def dated(article: Article) -> tuple[Article, Problem | None]:
    """``article``, without its date (and a note saying so) when the date is not ISO 8601."""
    if article.date is None or _is_date(article.date):
        return article, None
    note = Problem(
        article.origin, f"date {article.date!r} is not a date: indexed without one", kept=True
    )
    return replace(article, date=None), note


def _is_date(text: str) -> bool:
    """2025, 2025-12, 2025-12-02, or an ISO 8601 date and time (what filters and timelines read)."""
    if _YEAR_OR_MONTH.fullmatch(text):
        return True
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
