"""Reading the filters people type: an outlet, and dates as ISO days, months, years or spans.

``since="7d"`` means the last seven days; ``until="2025-06"`` the end of June 2025. The
retrieval applies them inside the search (``storage.store`` and ``storage.vectors``), so that
a filtered question still gets its k passages.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from index.errors import InvalidFilter
from index.records import Filters

_SPAN = re.compile(r"^(\d{1,4})\s*([dwmy])$", re.IGNORECASE)
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")
HELP = "a date (2025-06-30, 2025-06 or 2025) or a span back from today (7d, 2w, 3m, 1y)"


def parse_filters(
    outlet: str | None = None,
    since: str | None = None,
    until: str | None = None,
    today: dt.date | None = None,
) -> Filters:
    """The filters as typed; ``InvalidFilter`` says which one cannot be read, and why."""
    today = today or dt.date.today()
    name = " ".join((outlet or "").split()) or None
    first = _day(since, today, end=False, what="since")
    last = _day(until, today, end=True, what="until")
    if first and last and first > last:
        raise InvalidFilter(f"since ({first}) is after until ({last})")
    return Filters(name, first, last)


def _day(text: str | None, today: dt.date, end: bool, what: str) -> str | None:
    value = (text or "").strip()
    if not value:
        return None
    span = _SPAN.match(value)
    if span:
        days = int(span.group(1)) * _DAYS[span.group(2).lower()]
        return (today - dt.timedelta(days=days)).isoformat()
    iso = _ISO.match(value)
    if not iso:
        raise InvalidFilter(f"{what}={value!r} is not {HELP}")
    year, month, day = int(iso.group(1)), iso.group(2), iso.group(3)
    try:
        if month is None:
            return dt.date(year, 12 if end else 1, 31 if end else 1).isoformat()
        m = int(month)
        if day is None:
            last_day = calendar.monthrange(year, m)[1] if 1 <= m <= 12 else 0
            return dt.date(year, m, last_day if end else 1).isoformat()
        return dt.date(year, m, int(day)).isoformat()
    except ValueError:
        raise InvalidFilter(f"{what}={value!r} is not a real date") from None
