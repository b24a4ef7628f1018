"""Each server's settings as the bot applies them: what its managers set with ``/settings``, else
the environment's (``REVUE_CHANNELS``, ``REVUE_NEWS_CHANNEL``, ``REVUE_THREAD_WHEN_BUSY``).

Every message needs its server's settings (is it in a question channel? is the channel busy?),
so they are kept in memory rather than read from the state on each message. A change made here
(``/settings``) refreshes this process's copy at once; a change made by another bot process
sharing the PostgreSQL database (or the same ``state.db``) is seen once the copy is ``TTL``
seconds old: a short delay is fine for settings, a read per message is not.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.conversation import Lookup
from bot.settings import BotSettings
from index.storage.states import ServerConfig, ServerSettings

log = logging.getLogger(__name__)
TTL = 30.0  # seconds a server's settings are used before they are read again
DIRECT = 0  # the "server" of a direct message: only the defaults apply there


@dataclass(frozen=True)
class Rules:
    """What the bot does in one server."""

    channels: frozenset[int]  # every message there is a question
    thread_when_busy: int  # messages per minute above which an answer gets a thread (0: never)


def rules(config: ServerConfig, defaults: BotSettings) -> Rules:
    """The server's own settings where it has them, else the environment's. Channel ids are
    unique across Discord, so ``REVUE_CHANNELS`` can stand for every server's default."""
    channels = defaults.channels if config.channels is None else config.channels
    busy = config.thread_when_busy
    return Rules(frozenset(channels), defaults.thread_when_busy if busy is None else busy)


def news_channels(
    configs: Iterable[ServerConfig], default: int | None, server_of: Callable[[int], int | None]
) -> list[int]:
    """Where to announce new articles: each server's own news channel (none where it turned
    them off), and ``REVUE_NEWS_CHANNEL`` unless its server set its own. A default channel this
    process cannot place in a server (not in its cache) is announced in, as before /settings."""
    configs = list(configs)
    own = {c.server_id for c in configs if c.news_channel is not None}
    targets = [c.news_channel for c in configs if c.news_channel]  # NEWS_OFF is 0
    if default is not None and server_of(default) not in own:
        targets.append(default)
    return list(dict.fromkeys(targets))


class Servers:
    """The servers' settings, opened on first use, read and written only off the event loop,
    each server's kept for ``ttl`` seconds."""

    def __init__(
        self,
        opens: Callable[[], ServerSettings],
        lookup: Lookup,
        defaults: BotSettings,
        ttl: float = TTL,
    ) -> None:
        self.defaults = defaults
        self.ttl = ttl
        self._opens, self._lookup = opens, lookup
        self._store: ServerSettings | None = None
        self._lock = threading.Lock()
        self._kept: dict[int, tuple[float, ServerConfig]] = {}  # server -> (read at, settings)
        self._loading: dict[int, asyncio.Future[ServerConfig]] = {}
        self._writes: dict[int, int] = {}  # server -> changes made here, to drop stale reads

    def _open(self) -> ServerSettings:
        with self._lock:
            if self._store is None:
                self._store = self._opens()
            return self._store

    async def config(self, server_id: int) -> ServerConfig:
        """The server's stored settings, from memory while they are fresh."""
        kept = self._kept.get(server_id)
        if kept is not None and time.monotonic() - kept[0] < self.ttl:
            return kept[1]
        loading = self._loading.get(server_id)
        if loading is None:  # messages arriving together share one read
            loading = asyncio.ensure_future(self._load(server_id))
            self._loading[server_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(server_id, None))
        return await asyncio.shield(loading)

    async def rules(self, server_id: int | None) -> Rules:
        """What the bot does in ``server_id`` (None: a direct message, the defaults)."""
        if not server_id:
            return rules(ServerConfig(DIRECT), self.defaults)
        return rules(await self.config(server_id), self.defaults)

    async def update(
        self, server_id: int, change: Callable[[ServerConfig], ServerConfig]
    ) -> ServerConfig:
        """Store ``change(current)`` (one transaction); this process uses it at once."""
        self._writes[server_id] = self._writes.get(server_id, 0) + 1
        new = await self._lookup(lambda: self._open().update(server_id, change))
        self._kept[server_id] = (time.monotonic(), new)
        return new

    async def news_channels(self, server_of: Callable[[int], int | None]) -> list[int]:
        """Where to announce a batch of new articles (read afresh: it is once per batch)."""
        configs = await self._lookup(lambda: self._open().all())
        return news_channels(configs, self.defaults.news_channel, server_of)

    async def _load(self, server_id: int) -> ServerConfig:
        """Read the server's settings; when the state cannot be read, the last ones known (or
        the defaults) for another ``ttl`` seconds, so that a database outage is not a failed
        read per message."""
        writes = self._writes.get(server_id, 0)
        try:
            found = await self._lookup(lambda: self._open().get(server_id))
        except Exception:
            log.exception("could not read the settings of server %s", server_id)
            kept = self._kept.get(server_id)
            found = kept[1] if kept is not None else ServerConfig(server_id)
        if self._writes.get(server_id, 0) == writes:  # else a change made meanwhile is newer
            self._kept[server_id] = (time.monotonic(), found)
        return self._kept.get(server_id, (0.0, found))[1]

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = None
