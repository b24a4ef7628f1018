"""A fake Discord (REST + gateway) on 127.0.0.1 for driving the real discord.py client in tests.

It speaks just enough of the API for the bot, records every request so tests can assert on what
the bot sent, and answers unknown routes with a loud 404 that ``FakeDiscord.unknown`` keeps.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from aiohttp import WSMsgType, web

from tests.deadlines import HANG

APP_ID = 900_000_000_000_000_001
BOT_ID = APP_ID
GUILD_ID = 900_000_000_000_000_100
OWNER_ID = 900_000_000_000_000_002
MESSAGE_CONTENT = 1 << 15
MANAGE_GUILD = 1 << 5
ALL_PERMISSIONS = (1 << 50) - 1
API = "/api/v10"

Handler = Callable[["Recorded", re.Match[str]], Awaitable[web.StreamResponse]]


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def user(uid: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT_USER = user(BOT_ID, "Revue", bot=True)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None):
    """JSON with ``Content-Type: application/json`` exactly (discord.py compares it verbatim)."""
    base = {
        "Content-Type": "application/json",
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "4",
        "X-RateLimit-Reset-After": "0.1",
        "X-RateLimit-Bucket": "fake",
    }
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={**base, **(headers or {})}
    )


@dataclass(frozen=True)
class Attachment:
    """A file the bot attached to a message (a ``files[n]`` part of a multipart request)."""

    filename: str
    data: bytes


def read_multipart(content_type: str, raw: bytes) -> tuple[Any, list[Attachment]]:
    """discord.py sends files as multipart/form-data: the message as the ``payload_json`` part,
    each file as a ``files[n]`` part. Returns the message (a dict) and the files."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    body: Any = None
    files = []
    for part in message.iter_parts():
        data = part.get_payload(decode=True)
        if part.get_param("name", header="content-disposition") == "payload_json":
            body = json.loads(data)
        elif part.get_filename():
            files.append(Attachment(part.get_filename(), data))
    return body, files


@dataclass
class Recorded:
    """One request the bot made."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    response: dict[str, Any] | None = None  # the message the fake created, if any
    at: float = field(default_factory=time.monotonic)  # when it arrived
    files: list[Attachment] = field(default_factory=list)  # what a multipart request attached

    @property
    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


@dataclass
class Fault:
    method: str
    pattern: str
    status: int
    times: int = 1


@dataclass
class Hold:
    """The next matching request is handled, then its response waits for ``released``."""

    method: str
    pattern: str
    released: asyncio.Event = field(default_factory=asyncio.Event)
    used: bool = False


@dataclass
class Gateway:
    """One shard's gateway session: sequence numbers, and events kept for RESUME."""

    session_id: str = "fake-session-0"
    count: int = 0  # the shard count it identified with (0: not yet)
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    intents: int | None = None
    identifies: int = 0
    resumes: int = 0


class FakeDiscord:
    """Run with ``async with FakeDiscord() as fake``; then point the bot at ``fake.api_base``."""

    def __init__(
        self,
        channels: tuple[int, ...] = (900_000_000_000_000_200, 900_000_000_000_000_201),
        *,
        servers: dict[int, tuple[int, ...]] | None = None,
        shards: int = 1,
        heartbeat_ms: int = 41250,
    ) -> None:
        """``servers`` maps more guild ids to their channels (``channels`` are GUILD_ID's);
        ``shards`` is the count ``/gateway/bot`` advises; ``heartbeat_ms`` the interval HELLO
        asks for."""
        self.servers = {GUILD_ID: channels, **(servers or {})}
        self.channel_ids = tuple(c for cs in self.servers.values() for c in cs)
        self.server_of = {c: g for g, cs in self.servers.items() for c in cs}
        self.shard_count = shards
        self.heartbeat_ms = heartbeat_ms
        self.heartbeats: list[tuple[int, float]] = []  # (shard, when) of each heartbeat
        self.requests: list[Recorded] = []
        self.unknown: list[Recorded] = []
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        self.shards: dict[int, Gateway] = {}
        self.reject_intents = False
        self.ready = asyncio.Event()
        self._ids = 950_000_000_000_000_000
        self.threads: dict[int, dict[str, Any]] = {}  # threads the bot started, by id
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        for method, pattern, handler in [
            ("GET", r"/users/@me", self._me),
            ("GET", r"/gateway/bot", self._gateway_bot),
            ("GET", r"/oauth2/applications/@me", self._application),
            ("PUT", r"/applications/(\d+)/commands", self._sync),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._sync),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._create_message),
            ("POST", r"/channels/(\d+)/messages/(\d+)/threads", self._start_thread),
            ("POST", r"/channels/(\d+)/typing", self._no_content),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._followup),
            ("GET", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._followup),
        ]:
            self.routes.append((method, re.compile(pattern + r"$"), handler))

    # -- lifecycle ------------------------------------------------------------------------
    async def __aenter__(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for gw in self.shards.values():
            if gw.ws is not None:
                await gw.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def gw(self) -> Gateway:
        """The gateway session of shard 0 (the only one when the bot is not sharded)."""
        return self.shard(0)

    def shard(self, number: int) -> Gateway:
        return self.shards.setdefault(number, Gateway(session_id=f"fake-session-{number}"))

    def shard_of(self, guild_id: int) -> int:
        """Which shard carries ``guild_id``'s events (Discord's rule)."""
        identified = [n for n, gw in self.shards.items() if gw.count]
        count = self.shards[identified[0]].count if identified else 1
        return (guild_id >> 22) % count

    def server_in(self, channel_id: int) -> int:
        """The guild of a channel, or of the thread's parent channel."""
        thread = self.threads.get(channel_id)
        if thread is not None:
            return int(thread["guild_id"])
        return self.server_of.get(channel_id, GUILD_ID)

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    # -- what the bot sent ----------------------------------------------------------------
    def sent(self, method: str, pattern: str) -> list[Recorded]:
        rx = re.compile(pattern + r"$")
        return [r for r in self.requests if r.method == method and rx.match(r.path)]

    async def wait_for(
        self, method: str, pattern: str, count: int = 1, timeout: float = HANG
    ) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        while len(found := self.sent(method, pattern)) < count:
            if self.unknown:
                raise AssertionError(f"the bot called unknown routes: {self.unknown}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} × {method} {pattern} in {self.requests}")
            await asyncio.sleep(0.05)
        return found

    def fail(self, method: str, pattern: str, status: int, times: int = 1) -> None:
        """Answer the next ``times`` matching requests with ``status`` (429 or 5xx)."""
        self.faults.append(Fault(method, pattern, status, times))

    # -- REST -----------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API) :]
        raw = await request.read()
        body: Any = None
        files: list[Attachment] = []
        if raw:
            if request.content_type == "application/json":
                body = json.loads(raw)
            elif request.content_type.startswith("multipart/"):
                body, files = read_multipart(request.headers["Content-Type"], raw)
            else:
                body = raw.decode(errors="replace")
        rec = Recorded(request.method, path, dict(request.query), dict(request.headers), body)
        rec.files = files
        self.requests.append(rec)
        for fault in self.faults:
            if fault.times > 0 and fault.method == request.method and re.match(fault.pattern, path):
                fault.times -= 1
                return self._fault(fault.status)
        for method, rx, handler in self.routes:
            if method == request.method and (m := rx.match(path)):
                response = await handler(rec, m)
                await self._held(rec)
                return response
        self.unknown.append(rec)
        return json_response(
            {"message": f"fake discord has no route {request.method} {path}", "code": 0}, 404
        )

    def hold(self, method: str, pattern: str) -> Hold:
        """Hold back the response to the next matching request (it is recorded, and its
        message created, at once) until ``hold.released`` is set: the bot's send is then in
        flight while the test goes on."""
        held = Hold(method, pattern)
        self.holds.append(held)
        return held

    async def _held(self, rec: Recorded) -> None:
        for held in self.holds:
            if not held.used and held.method == rec.method and re.fullmatch(held.pattern, rec.path):
                held.used = True
                await held.released.wait()
                return

    def _fault(self, status: int) -> web.Response:
        if status == 429:
            return json_response(
                {"message": "You are being rate limited.", "retry_after": 0.3, "global": False},
                429,
                {"Via": "1.1 google", "X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user"},
            )
        return web.Response(status=status, text="fake server error")

    async def _me(self, rec: Recorded, m: re.Match[str]) -> web.Response:
        return json_response(BOT_USER)

    async def _gateway_bot(self, rec: Recorded, m: re.Match[str]) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return json_response(
            {"url": self.gateway_url, "shards": self.shard_count, "session_start_limit": limit}
        )

    async def _application(self, rec: Recorded, m: re.Match[str]) -> web.Response:
        return json_response(
            {
                "id": str(APP_ID),
                "name": "Revue",
                "icon": None,
                "description": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user(OWNER_ID, "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
            }
        )

    async def _sync(self, rec: Recorded, m: re.Match[str]) -> web.Response:
        commands = rec.body if isinstance(rec.body, list) else []
        out = [
            {
                **c,
                "id": str(self.next_id()),
                "application_id": str(APP_ID),
                "version": "1",
                "type": c.get("type", 1),
            }
            for c in commands
        ]
        return json_response(out)

    def message(self, channel_id: int, payload: dict[str, Any], author=BOT_USER) -> dict[str, Any]:
        return {
            "id": str(self.next_id()),
            "channel_id": str(channel_id),
            "author": author,
            "content": payload.get("content") or "",
            "embeds": payload.get("embeds") or [],
            "timestamp": now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "pinned": False,
            "type": 0,
            "flags": payload.get("flags", 0),
            "components": payload.get("components") or [],
        }

    async def _create_message(self, rec: Recorded, m: re.Match[str]) -> web.Response:
        rec.response = self.message(int(m.group(1)), rec.json)
        return json_response(rec.response)

    async def _start_thread(self, rec: Recorded, m: re.Match[str]) -> web.Response:
        """A public thread from message ``m[2]`` (its id is the thread's), announced on the
        gateway as Discord does."""
        thread = {
            "id": m.group(2),
            "type": 11,
            "guild_id": str(self.server_of.get(int(m.group(1)), GUILD_ID)),
            "parent_id": m.group(1),
            "owner_id": str(BOT_ID),
            "name": rec.json.get("name", ""),
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": rec.json.get("auto_archive_duration", 1440),
                "archive_timestamp": now(),
                "locked": False,
            },
        }
        self.threads[int(thread["id"])] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return json_response(thread, 201)

    async def _no_content(self, rec: Recorded, m: re.Match[str]) -> web.Response:
        return web.Response(status=204)

    async def _callback(self, rec: Recorded, m: re.Match[str]) -> web.Response:
        kind = rec.json.get("type", 5)
        data = rec.json.get("data") or {}
        message = self.message(self.channel_ids[0], data)
        return json_response(
            {
                "interaction": {
                    "id": m.group(1),
                    "type": 2,
                    "response_message_id": message["id"],
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(data.get("flags", 0) & 64),
                },
                "resource": {"type": kind, "message": message},
            }
        )

    async def _followup(self, rec: Recorded, m: re.Match[str]) -> web.Response:
        message = self.message(self.channel_ids[0], rec.json)
        rec.response = message
        return json_response(message)

    # -- gateway --------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}}))
        shard = 0
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            op, data = frame.get("op"), frame.get("d")
            if op == 1:
                self.heartbeats.append((shard, time.monotonic()))
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                shard = (data.get("shard") or [0, 1])[0]
                await self._identify(ws, data)
            elif op == 6:
                shard = int(str(data.get("session_id", "-0")).rsplit("-", 1)[1])
                await self._resume(ws, data, shard)
        for gw in self.shards.values():
            if gw.ws is ws:
                gw.ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        number, count = data.get("shard") or [0, 1]
        gw = self.shard(number)
        gw.identifies += 1
        gw.count = count
        gw.intents = data.get("intents")
        if self.reject_intents and (gw.intents or 0) & MESSAGE_CONTENT:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        gw.ws = ws
        mine = [g for g in self.servers if (g >> 22) % count == number]
        await self.send_to(
            gw,
            "READY",
            {
                "v": 10,
                "user": BOT_USER,
                "guilds": [{"id": str(g), "unavailable": True} for g in mine],
                "session_id": gw.session_id,
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(APP_ID), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "shard": [number, count],
            },
        )
        for guild_id in mine:
            await self.send_to(gw, "GUILD_CREATE", self.guild(guild_id))
        self.ready.set()

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any], shard: int) -> None:
        gw = self.shard(shard)
        gw.resumes += 1
        gw.ws = ws
        missed = [e for e in gw.events if e["s"] > (data.get("seq") or 0)]
        for event in missed:
            await ws.send_str(json.dumps(event))
        await self.send_to(gw, "RESUMED", {})

    async def dispatch(self, name: str, data: dict[str, Any]) -> None:
        """Send a server's event on the shard that carries the server (its ``guild_id``)."""
        guild_id = int(data.get("guild_id") or GUILD_ID)
        await self.send_to(self.shard(self.shard_of(guild_id)), name, data)

    async def send_to(self, gw: Gateway, name: str, data: dict[str, Any]) -> None:
        """Send an event now, or keep it for the RESUME when the bot is disconnected."""
        gw.seq += 1
        event = {"op": 0, "t": name, "s": gw.seq, "d": data}
        gw.events.append(event)
        if gw.ws is not None and not gw.ws.closed:
            await gw.ws.send_str(json.dumps(event))

    async def drop(self) -> None:
        """Cut the gateway connection the way a network blip does (close code 4000)."""
        ws, self.gw.ws = self.gw.ws, None
        if ws is not None:
            await ws.close(code=4000, message=b"fake drop")

    def guild(self, guild_id: int = GUILD_ID) -> dict[str, Any]:
        return {
            "id": str(guild_id),
            "name": "Newsroom" if guild_id == GUILD_ID else f"Server {guild_id}",
            "icon": None,
            "owner_id": str(OWNER_ID),
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "features": [],
            "mfa_level": 0,
            "system_channel_flags": 0,
            "premium_tier": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
            "unavailable": False,
            "member_count": 3,
            "large": False,
            "joined_at": now(),
            "emojis": [],
            "stickers": [],
            "roles": [
                {
                    "id": str(guild_id),
                    "name": "@everyone",
                    "permissions": str(ALL_PERMISSIONS & ~MANAGE_GUILD & ~8),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [
                {
                    "id": str(cid),
                    "type": 0,
                    "guild_id": str(guild_id),
                    "name": f"news-{n}",
                    "position": n,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "topic": None,
                    "last_message_id": None,
                    "rate_limit_per_user": 0,
                    "parent_id": None,
                }
                for n, cid in enumerate(self.servers[guild_id])
            ],
            "members": [self.member(BOT_USER)],
            "threads": [t for t in self.threads.values() if t["guild_id"] == str(guild_id)],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def member(self, who: dict[str, Any], permissions: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "user": who,
            "roles": [],
            "joined_at": now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "pending": False,
        }
        if permissions is not None:
            out["permissions"] = str(permissions)
        return out

    # -- what users do ----------------------------------------------------------------------
    async def send_message(
        self,
        content: str,
        *,
        author: dict[str, Any],
        channel_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user posts ``content``; ``<@bot id>`` in it mentions the bot. With ``reply_to`` (a
        message as the bot sent it) it is a reply to that message, without the reply ping."""
        mentioned = f"<@{BOT_ID}>" in content or f"<@!{BOT_ID}>" in content
        visible = content if mentioned or (self.gw.intents or 0) & MESSAGE_CONTENT else ""
        cid = channel_id or self.channel_ids[0]
        server = str(self.server_in(cid))
        message = self.message(cid, {"content": visible}, author)
        message.update(
            {
                "guild_id": server,
                "member": {k: v for k, v in self.member(author).items() if k != "user"},
                "mentions": [BOT_USER] if mentioned else [],
                "mention_everyone": "@everyone" in content,
            }
        )
        if reply_to is not None:
            message.update(
                {
                    "type": 19,
                    "message_reference": {
                        "type": 0,
                        "message_id": reply_to["id"],
                        "channel_id": reply_to["channel_id"],
                        "guild_id": server,
                    },
                    "referenced_message": reply_to,
                }
            )
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    async def slash(
        self,
        name: str,
        options: dict[str, str] | None = None,
        *,
        author: dict[str, Any],
        permissions: int = 0,
        channel_id: int | None = None,
    ) -> dict[str, Any]:
        """A user runs ``/name``; returns the interaction (its id and token)."""
        options_payload = [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()]
        data = {"id": str(self.next_id()), "name": name, "type": 1, "options": options_payload}
        return await self.interact(2, data, author, permissions, channel_id)

    async def autocomplete(
        self, name: str, options: dict[str, str], focused: str, *, author: dict[str, Any]
    ) -> dict[str, Any]:
        """A user types into the ``focused`` option of ``/name``; the bot answers its callback
        with type 8 and ``data.choices``."""
        payload = [
            {"name": k, "type": 3, "value": v, **({"focused": True} if k == focused else {})}
            for k, v in options.items()
        ]
        data = {"id": str(self.next_id()), "name": name, "type": 1, "options": payload}
        return await self.interact(4, data, author, 0, None)

    async def click(
        self, message: dict[str, Any], custom_id: str, *, author: dict[str, Any]
    ) -> dict[str, Any]:
        """A user presses the button ``custom_id`` under ``message`` (as the bot sent it)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self.interact(3, data, author, 0, int(message["channel_id"]), message)

    async def interact(
        self,
        kind: int,
        data: dict[str, Any],
        author: dict[str, Any],
        permissions: int,
        channel_id: int | None,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        cid = channel_id or self.channel_ids[0]
        server = str(self.server_in(cid))
        interaction = {
            "id": str(self.next_id()),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"itoken-{self.next_id()}",
            "version": 1,
            "guild_id": server,
            "channel_id": str(cid),
            "channel": {"id": str(cid), "type": 0, "guild_id": server, "name": "news"},
            "member": self.member(author, permissions),
            "app_permissions": str(ALL_PERMISSIONS),
            "entitlements": [],
            "authorizing_integration_owners": {"0": server},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
            "locale": "en-US",
            "guild_locale": "en-US",
            "data": data,
        }
        if message is not None:
            interaction["message"] = message
        await self.dispatch("INTERACTION_CREATE", interaction)
        return interaction
