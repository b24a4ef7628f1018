"""A followed feed as every state backend returns it, and the back-off between failed polls:
pure values, shared by the SQLite (``subscriptions``) and PostgreSQL (``postgres.feeds``)
implementations so both schedule polls the same way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# After a failure a feed is retried in 5 min, then 10, 20… up to 12 h: a feed that is down for
# a day costs ~10 requests, and one back after a blip is read again within minutes.
FIRST_RETRY = dt.timedelta(minutes=5)
LONGEST_RETRY = dt.timedelta(hours=12)
# Longer errors are cut: a feed's error page can be a whole HTML document.
ERROR_CHARS = 500


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def retry_wait(failures: int) -> dt.timedelta:
    """How long to wait before polling a feed that failed ``failures`` times in a row."""
    wait: dt.timedelta = min(FIRST_RETRY * 2 ** (failures - 1), LONGEST_RETRY)
    return wait


@dataclass(frozen=True)
class FeedStatus:
    """A followed feed, as ``/following`` shows it."""

    url: str
    title: str | None
    added_at: dt.datetime
    checked_at: dt.datetime | None = None  # the last poll, whatever its outcome
    ok_at: dt.datetime | None = None  # the last poll that read it (new entries or a 304)
    failures: int = 0  # polls failed in a row
    retry_at: dt.datetime | None = None  # not polled again before this, after a failure
    error: str | None = None  # why the last poll failed
    saved: int = 0  # entries saved into the corpus, in all
    etag: str | None = None
    last_modified: str | None = None

    def due(self, now: dt.datetime, every: dt.timedelta) -> bool:
        """Whether a scheduled poll at ``now`` should read it."""
        if self.failures and self.retry_at is not None:
            return now >= self.retry_at
        return self.checked_at is None or now - self.checked_at >= every
