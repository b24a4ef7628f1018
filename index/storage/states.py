"""Where the state lives (followed feeds, the bot's answers and votes, each Discord server's
settings), chosen by the settings:
PostgreSQL when ``REVUE_DATABASE_URL`` is set (shared by every process that uses the same
database), else ``state.db`` beside the index in the data directory.

The public face of the state, with ``protocols``: callers get a ``FeedState``, an
``AnswerStore`` or ``ServerSettings`` and the frozen records they return, never a connection or
a table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.storage.backends import database_url
from index.storage.feed_status import FIRST_RETRY, LONGEST_RETRY, FeedStatus, utc_now
from index.storage.protocols import (
    NEWS_OFF,
    AnswerStore,
    FeedState,
    ServerConfig,
    ServerSettings,
)

if TYPE_CHECKING:
    from index.settings import Settings

__all__ = [
    "FIRST_RETRY",
    "LONGEST_RETRY",
    "NEWS_OFF",
    "AnswerStore",
    "FeedState",
    "FeedStatus",
    "ServerConfig",
    "ServerSettings",
    "open_answer_log",
    "open_server_settings",
    "open_subscriptions",
    "utc_now",
]


def open_subscriptions(settings: Settings) -> FeedState:
    """The followed feeds (created and migrated on first use); the caller closes them.
    ``DatabaseUnavailable`` when PostgreSQL is set and cannot be reached."""
    url = database_url(settings)
    if url:
        # Imported here: psycopg is loaded only by processes configured for PostgreSQL.
        from index.storage.postgres.feeds import PostgresSubscriptions

        return PostgresSubscriptions(url)
    from index.storage.state import open_state
    from index.storage.subscriptions import Subscriptions

    return Subscriptions(open_state(settings.data_dir))


def open_answer_log(settings: Settings) -> AnswerStore:
    """The answers the bot sent and the votes on them; the caller closes it.
    ``DatabaseUnavailable`` when PostgreSQL is set and cannot be reached."""
    url = database_url(settings)
    if url:
        from index.storage.postgres.answers import PostgresAnswerLog

        return PostgresAnswerLog(url)
    from index.storage.answers import AnswerLog

    return AnswerLog.open(settings.data_dir)


def open_server_settings(settings: Settings) -> ServerSettings:
    """Each Discord server's settings (``/settings``); the caller closes them.
    ``DatabaseUnavailable`` when PostgreSQL is set and cannot be reached."""
    url = database_url(settings)
    if url:
        from index.storage.postgres.server_settings import PostgresServerSettings

        return PostgresServerSettings(url)
    from index.storage.server_settings import SqliteServerSettings
    from index.storage.state import open_state

    return SqliteServerSettings(open_state(settings.data_dir))
