"""Polling followed feeds: one conditional GET each (ETag / Last-Modified, ``web.get_feed``),
new entries saved into the feeds folder of the corpus. Indexing them is the engine's part
(``Revue.poll``).

A feed that fails is retried later with back-off (``feed_status.retry_wait``) and reported; the
others are read as usual. An entry is remembered once its file is written (renamed into place), so a
crash, a failed index or a restart never loses one that was saved, nor saves it twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from index.errors import FeedError, FetchFailed, NotAFeed, PollingElsewhere, RevueError
from index.ingest.feeds import Feed, FeedEntry, parse_feed
from index.ingest.web import (
    Added,
    FeedResponse,
    Fetched,
    entry_articles,
    fetch,
    get_feed,
    save_articles,
)
from index.records import IndexSummary, Problem
from index.storage.states import FeedState, FeedStatus, utc_now


@dataclass(frozen=True)
class FeedPoll:
    """What one feed's poll did."""

    url: str
    title: str | None
    outcome: Literal["new", "unchanged", "failed"]
    added: tuple[Added, ...] = ()
    problems: tuple[Problem, ...] = ()  # entries skipped or kept as a summary, and why
    error: str | None = None  # why the feed could not be read
    retry_at: dt.datetime | None = None


@dataclass(frozen=True)
class PollReport:
    """One round over the followed feeds, and the index run that made the new entries
    searchable (None when nothing was added, or ``index_error`` says why it did not run)."""

    feeds: tuple[FeedPoll, ...]
    index: IndexSummary | None = None
    index_error: str | None = None

    @property
    def added(self) -> tuple[Added, ...]:
        return tuple(a for f in self.feeds for a in f.added)

    def describe(self) -> str:
        failed = sum(1 for f in self.feeds if f.outcome == "failed")
        line = f"{len(self.feeds)} feed(s) polled, {len(self.added)} new article(s)"
        return line + (f", {failed} failed" if failed else "")


def _key(entry: FeedEntry) -> str | None:
    """What identifies an entry across polls: its link, else the feed's id for it."""
    return entry.link or (entry.article.id if entry.article is not None else None)


class Following:
    """Follows feeds and polls them; ``get`` fetches feeds, ``get_page`` the pages of entries
    that carry only a summary (both replaceable for tests of what is not the network)."""

    def __init__(
        self,
        subscriptions: FeedState,
        feeds_dir: Path,
        get: Callable[..., FeedResponse] = get_feed,
        get_page: Callable[[str], Fetched] = fetch,
    ) -> None:
        self.subscriptions = subscriptions
        self.feeds_dir = feeds_dir
        self._get, self._get_page = get, get_page

    def follow(self, url: str) -> FeedStatus:
        """Follow the feed at ``url`` (read once, to check that it is one)."""
        url = url.strip()
        if not url.startswith(("http://", "https://")):
            raise FeedError(f"{url!r} is not an http(s) URL")
        if self.subscriptions.get(url) is not None:
            raise FeedError(f"{url} is already followed")
        try:
            response = self._get(url)
            feed = parse_feed(response.raw or b"", url)
        except (FetchFailed, NotAFeed) as exc:
            raise FeedError(f"cannot follow {url}: {exc}") from None
        return self.subscriptions.add(url, feed.title, utc_now())

    def unfollow(self, url: str) -> FeedStatus:
        return self.subscriptions.remove(url.strip())

    def status(self) -> tuple[FeedStatus, ...]:
        return self.subscriptions.all()

    def close(self) -> None:
        self.subscriptions.close()

    def poll(
        self, every: dt.timedelta, force: bool = False, now: dt.datetime | None = None
    ) -> tuple[FeedPoll, ...]:
        """Poll every feed that is due (every one with ``force``), oldest first.
        ``PollingElsewhere`` when another process is polling now (PostgreSQL: one process
        polls at a time, so that each due feed is fetched and saved once)."""
        with self.subscriptions.polling() as mine:
            if not mine:
                raise PollingElsewhere("another process is polling the feeds now; none polled here")
            now = now or utc_now()
            due = [f for f in self.status() if force or f.due(now, every)]
            return tuple(self._poll(feed, now) for feed in due)

    def _poll(self, feed: FeedStatus, now: dt.datetime) -> FeedPoll:
        try:
            response = self._get(feed.url, feed.etag, feed.last_modified)
            if response.raw is None:
                self.subscriptions.read(feed, now, {})
                return FeedPoll(feed.url, feed.title, "unchanged")
            parsed = parse_feed(response.raw, feed.url)
        except RevueError as exc:
            failed = self.subscriptions.failed(feed, now, str(exc))
            return FeedPoll(
                feed.url, feed.title, "failed", error=str(exc), retry_at=failed.retry_at
            )
        poll = self._save(feed, parsed, now)
        validators = {"etag": response.etag, "last_modified": response.last_modified}
        self.subscriptions.read(feed, now, validators)
        return poll

    def _save(self, feed: FeedStatus, parsed: Feed, now: dt.datetime) -> FeedPoll:
        seen = self.subscriptions.seen(feed.url)
        fresh: dict[str, FeedEntry] = {}
        unusable = []
        for n, entry in enumerate(parsed.entries, 1):
            key = _key(entry)
            if key is None:
                name = entry.title or f"entry {n}"
                unusable.append(Problem(f"{feed.url}#{n}", f"{name!r} has no link and no text"))
            elif key not in seen:
                fresh.setdefault(key, entry)  # the same entry twice in one feed: saved once
        title = parsed.title or feed.title
        if not fresh:
            return FeedPoll(feed.url, title, "unchanged", problems=tuple(unusable))
        articles, problems = entry_articles(
            replace(parsed, entries=tuple(fresh.values())), feed.url, self._get_page
        )
        known = self.subscriptions.saved_files()  # saved from another feed: not again
        report = save_articles(articles, self.feeds_dir, feed.url, known)
        written = {a.article.url or a.article.id: str(a.path) for a in report.added}
        already = {a.url or a.id: None for a in articles if (a.url or a.id) not in written}
        self.subscriptions.remember(feed.url, {**already, **written}, now)
        outcome: Literal["new", "unchanged"] = "new" if report.added else "unchanged"
        found = (*unusable, *problems, *report.problems)
        return FeedPoll(feed.url, title, outcome, report.added, found)
