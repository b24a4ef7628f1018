"""Following feeds: ``revue follow``, ``revue unfollow``, ``revue following``, ``revue poll``."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

import click

from cli.common import engine_of
from cli.output import echo_json
from index.errors import PollingElsewhere
from index.following import FeedPoll, FeedStatus, PollReport


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def status_line(feed: FeedStatus) -> str:
    """One feed as ``revue following`` and ``/following`` list it."""
    name = feed.title or feed.url
    line = f"{name} <{feed.url}>: {feed.saved} saved, last read {_when(feed.ok_at)}"
    if feed.failures:
        line += (
            f"; FAILING ({feed.failures} in a row: {feed.error}), next try {_when(feed.retry_at)}"
        )
    return line


def poll_lines(report: PollReport) -> list[str]:
    lines = [_feed_line(f) for f in report.feeds]
    lines += [f"  {p.origin}: {p.reason}" for f in report.feeds for p in f.problems]
    if report.index is not None:
        lines.append(f"indexed: {report.index.describe()}")
    if report.index_error:
        lines.append(f"not indexed yet ({report.index_error}); the next poll or reindex will")
    return lines


def _feed_line(poll: FeedPoll) -> str:
    name = poll.title or poll.url
    if poll.outcome == "failed":
        return f"{name}: failed ({poll.error}); next try {_when(poll.retry_at)}"
    if poll.outcome == "unchanged":
        return f"{name}: nothing new"
    return f"{name}: {len(poll.added)} new: " + "; ".join(
        a.article.title or str(a.path.name) for a in poll.added
    )


@click.command("follow")
@click.argument("url")
@click.pass_context
def follow_cmd(ctx: click.Context, url: str) -> None:
    """Follow the RSS or Atom feed at URL: `revue poll` (or the bot) saves its new entries."""
    feed = engine_of(ctx).following.follow(url)
    click.echo(f"following {feed.title or feed.url}; `revue poll` saves and indexes its entries")


@click.command("unfollow")
@click.argument("url")
@click.pass_context
def unfollow_cmd(ctx: click.Context, url: str) -> None:
    """Stop following the feed at URL (the articles it saved stay in the corpus)."""
    feed = engine_of(ctx).following.unfollow(url)
    click.echo(f"no longer following {feed.title or feed.url}")


@click.command("following")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
@click.pass_context
def following_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the followed feeds: what each saved, when it was last read, and failures."""
    feeds = engine_of(ctx).following.status()
    if not feeds and not as_json:
        click.echo("no feeds followed: `revue follow URL`")
    for feed in feeds:
        if as_json:
            echo_json({k: _plain(v) for k, v in asdict(feed).items()})
        else:
            click.echo(status_line(feed))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


@click.command("poll")
@click.option("--all", "force", is_flag=True, help="Poll every feed, due or not.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def poll_cmd(ctx: click.Context, force: bool, as_json: bool) -> None:
    """One round over the followed feeds that are due (for cron): save their new entries, then
    index them (the corpus itself is indexed by `revue index`)."""
    engine = engine_of(ctx)
    try:
        report = engine.poll(force=force)
    except PollingElsewhere:
        # Not a failure (cron on several machines): the process polling now saves the entries.
        if as_json:
            echo_json({"feeds": [], "index": None, "index_error": None, "polled_elsewhere": True})
        else:
            click.echo("another process is polling the feeds now; none polled here")
        return
    if as_json:
        echo_json(
            {
                "feeds": [_poll_json(f) for f in report.feeds],
                "index": asdict(report.index) if report.index else None,
                "index_error": report.index_error,
                "polled_elsewhere": False,
            }
        )
        return
    for line in poll_lines(report) or ["no feed is due (`revue following`; `--all` polls all)"]:
        click.echo(line)


def _poll_json(poll: FeedPoll) -> dict[str, Any]:
    return {
        "url": poll.url,
        "title": poll.title,
        "outcome": poll.outcome,
        "added": [{"path": str(a.path), **a.article.meta()} for a in poll.added],
        "problems": [asdict(p) for p in poll.problems],
        "error": poll.error,
        "retry_at": _plain(poll.retry_at),
    }
