"""The Redis broker: many processes, one chat.

Each process holds one pub/sub connection (every event goes through one channel) and a small
pool for commands. An event is handed to this process's room at once and queued for Redis;
one sender task publishes the queue in order, and the listener hands the room every event
other processes publish. Names, members and bans live in Redis (see `redis_scripts`).

A supervisor task owns the connection: it connects, announces this process (heartbeat with
expiry), rebuilds the shared presence, then runs the listener, the sender and the heartbeat
together. When any of them fails, or a command finds Redis gone, the process carries on with
its own users alone (names checked locally, events kept in-process), says so in the log, and
reconnects with backoff; back on Redis it claims its users' names again and catches up with
everyone else's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from app.broker.memory import RevokedSessions, SignInCounts
from app.broker.redis_messages import RedisMessages
from app.broker.redis_pictures import RedisPictures
from app.broker.redis_presence import Presence
from app.broker.redis_scripts import CLAIM, HEARTBEAT, RELEASE, STORE, SWEEP, Keys
from app.chat.close_codes import Close, name_taken
from app.chat.events import Disconnect, Event, Left, MalformedEvent, Updated, decode_event, encode_event
from app.chat.model import (
    SESSION_LIFETIME_SECONDS,
    Member,
    SessionState,
    member_from_json,
    member_to_json,
    state_from_json,
    state_to_json,
)
from app.chat.ports import EventHandler
from app.settings import RedisSettings

log = logging.getLogger("app.broker.redis")

POOL_SIZE = 32  # connections to Redis per process: one for pub/sub, the rest for commands
COMMAND_TIMEOUT = 5.0
STOP_TIMEOUT = 5.0
BACKOFF_FIRST = 0.25
BACKOFF_MAX = 2.0  # back on Redis within about this long of it answering again
OUTBOX_LIMIT = 50_000
PUBLISH_BATCH = 256


class Offline(Exception):
    """Redis cannot be reached right now; the caller falls back to this process's own view."""


class RedisBroker:
    """Both the `EventBus` and the `Registry` of a process (they share one connection); its
    `messages` is the `MessageStore`, on the same connection."""

    def __init__(self, settings: RedisSettings, pictures_capacity: int = 256 * 1024 * 1024) -> None:
        self.process_id = uuid.uuid4().hex[:12]
        self._sender = f"{self.process_id} ".encode()  # in front of each event this process publishes
        self.settings = settings
        self.keys = Keys(settings.prefix)
        self.presence = Presence(self.process_id)
        self.where = _describe(settings.url)
        self._client: Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}
        self._online = False  # commands go to Redis (else each falls back at once)
        self._served = False  # this connection got as far as serving
        self._lost = asyncio.Event()
        self._lost_reason = ""
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(OUTBOX_LIMIT)
        self._bans: dict[str, float] = {}
        self._pending_bans: dict[str, float] = {}  # changed while Redis was away; 0 = lifted
        self._revoked = RevokedSessions()  # revocations this process knows of, for when Redis is away
        self._pending_revocations: dict[str, float] = {}  # made while Redis was away
        self._local_sign_ins = SignInCounts()  # counted here while Redis is away
        self._states: dict[str, SessionState] = {}  # saved while Redis was away: this process's copy
        self._supervisor: asyncio.Task[None] | None = None
        self._attempted = asyncio.Event()
        self.messages = RedisMessages(self.keys, self._command, Offline)
        self.pictures = RedisPictures(settings.url, settings.prefix, pictures_capacity)
        self._resync_due = False  # a full resync of the presence at the next heartbeat

    # --- lifetime -----------------------------------------------------------------

    async def start(self, on_event: EventHandler) -> None:
        self.presence.handler = on_event
        # A bounded pool that makes a command wait its turn for a connection (the default pool
        # fails at once when all are busy, as they are when hundreds join together).
        pool = BlockingConnectionPool.from_url(
            self.settings.url,
            max_connections=POOL_SIZE,
            timeout=COMMAND_TIMEOUT,
            decode_responses=True,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=2.0,
            socket_timeout=COMMAND_TIMEOUT,
        )
        self._client = Redis(connection_pool=pool)
        self._scripts = {
            name: self._client.register_script(text)
            for name, text in (
                ("claim", CLAIM),
                ("store", STORE),
                ("release", RELEASE),
                ("heartbeat", HEARTBEAT),
                ("sweep", SWEEP),
            )
        }
        self._supervisor = asyncio.create_task(self._supervise(), name="redis-broker")
        await self._attempted.wait()

    async def close(self) -> None:
        await self.pictures.close()
        if self._supervisor is None:
            return
        if self._online:
            await self._retire()
        self._supervisor.cancel()
        done, _ = await asyncio.wait({self._supervisor}, timeout=STOP_TIMEOUT)
        if not done:
            log.warning("the Redis broker did not stop within %.0fs; leaving it behind", STOP_TIMEOUT)
        self._supervisor = None
        self._online = False
        if self._client is not None:
            with contextlib.suppress(RedisError, OSError, TimeoutError):
                await asyncio.wait_for(self._client.aclose(), STOP_TIMEOUT)
                # A client given its pool leaves the pool's connections open: close them too.
                await asyncio.wait_for(self._client.connection_pool.disconnect(), STOP_TIMEOUT)
        self.presence.handler = None

    async def _retire(self) -> None:
        """Leaving cleanly: free this process's names, tell everyone, and stop being alive."""
        try:
            for member in list(self.presence.local.values()):
                await self.release(member.name, member.conn)
                await self.publish(Left(member.name, member.conn))
            await asyncio.wait_for(self._outbox.join(), 3.0)
            assert self._client is not None
            await self._client.delete(self.keys.alive(self.process_id))
        except (Offline, RedisError, OSError, TimeoutError) as error:
            log.warning("could not say goodbye to Redis: %s", _reason(error))

    # --- the broker seam ----------------------------------------------------------

    @property
    def everywhere(self) -> bool:
        return self._online

    async def publish(self, event: Event) -> None:
        self.presence.deliver(event)
        if not self._online:
            return
        try:
            self._outbox.put_nowait(self._sender + encode_event(event))
        except asyncio.QueueFull:
            self._connection_failed("events are piling up faster than Redis takes them")

    async def claim(self, member: Member, *, replacing: str = "") -> Member | None:
        try:
            holder = await self._script(
                "claim", member.name, replacing, self.process_id, member.conn, member_to_json(member)
            )
        except Offline:
            known = self.presence.holder(member.name)
            if known is not None and known.conn != replacing:
                return known
        else:
            if holder is not None:
                return member_from_json(holder)
        self.presence.hold(member)
        return None

    async def store(self, member: Member) -> None:
        self.presence.update(member)
        with contextlib.suppress(Offline):
            await self._script("store", member.name, member.process, member.conn, member_to_json(member))

    async def release(self, name: str, conn: str) -> bool:
        held = self.presence.drop(name, conn)
        try:
            return bool(await self._script("release", name, self.process_id, conn))
        except Offline:
            return held

    async def members(self) -> list[Member]:
        return list(self.presence.view.values())

    async def ban(self, name: str, until: float) -> None:
        key = name.casefold()
        self._bans[key] = until
        try:
            await self._command(lambda client: client.zadd(self.keys.bans, {key: until}))
        except Offline:
            self._pending_bans[key] = until

    async def unban(self, name: str) -> bool:
        key = name.casefold()
        existed = self._bans.pop(key, None) is not None
        try:
            removed = await self._command(lambda client: client.zrem(self.keys.bans, key))
        except Offline:
            self._pending_bans[key] = 0
            return existed
        return existed or bool(removed)

    async def bans(self) -> dict[str, float]:
        now = time.time()
        try:
            await self._command(lambda client: client.zremrangebyscore(self.keys.bans, "-inf", now))
            rows = await self._command(
                lambda client: client.zrangebyscore(self.keys.bans, now, "+inf", withscores=True)
            )
        except Offline:
            return {name: until for name, until in self._bans.items() if until > now}
        self._bans = {str(name): float(until) for name, until in rows}
        return dict(self._bans)

    async def revoke(self, sid: str, until: float) -> None:
        self._revoked.add(sid, until)
        milliseconds = max(1, int((until - time.time()) * 1000))
        try:
            await self._command(lambda client: client.set(self.keys.revoked(sid), "1", px=milliseconds))
        except Offline:
            self._pending_revocations[sid] = until

    async def revoked(self, sid: str) -> bool:
        if self._revoked.holds(sid):
            return True
        try:
            return bool(await self._command(lambda client: client.exists(self.keys.revoked(sid))))
        except Offline:
            return False  # a revocation made elsewhere while Redis is away is not known here

    async def count_sign_in(self, address: str) -> int:
        key = self.keys.sign_ins(f"{address}:{int(time.time() // 60)}")

        async def count(client: Redis) -> int:
            async with client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 120)
                counted, _ = await pipe.execute()
            return int(counted)

        try:
            return int(await self._command(count))
        except Offline:
            return self._local_sign_ins.count(address)

    async def session_state(self, sid: str) -> SessionState | None:
        try:
            text = await self._command(lambda client: client.get(self.keys.session(sid)))
        except Offline:
            return self._states.get(sid)
        return state_from_json(text) if text else self._states.get(sid)

    async def store_session_state(self, sid: str, state: SessionState) -> None:
        text = state_to_json(state)
        try:
            await self._command(
                lambda client: client.set(self.keys.session(sid), text, px=SESSION_LIFETIME_SECONDS * 1000)
            )
        except Offline:
            self._states[sid] = state  # pushed when Redis is back
        else:
            self._states.pop(sid, None)

    async def site_blocklist(self, name: str) -> tuple[str, ...]:
        try:
            text = await self._command(lambda client: client.hget(self.keys.site_blocks, name.casefold()))
        except Offline:
            return ()
        return tuple(str(blocked) for blocked in json.loads(text)) if text else ()

    async def store_site_blocklist(self, name: str, blocked: tuple[str, ...]) -> None:
        key = name.casefold()
        try:
            if blocked:
                await self._command(lambda client: client.hset(self.keys.site_blocks, key, json.dumps(list(blocked))))
            else:
                await self._command(lambda client: client.hdel(self.keys.site_blocks, key))
        except Offline:
            log.warning("Redis is away: the website's blocklist for %r was not kept", name)

    # --- talking to Redis ---------------------------------------------------------

    async def _script(self, name: str, *args: str | float) -> Any:
        return await self._command(lambda _: self._scripts[name](args=[self.keys.prefix, *args]))

    async def _command(self, call: Any) -> Any:
        """Run `call(client)`; Offline when Redis is away (then the supervisor is told)."""
        if not self._online or self._client is None:
            raise Offline
        try:
            return await call(self._client)
        except (RedisError, OSError) as error:
            self._connection_failed(_reason(error))
            raise Offline from error

    def _connection_failed(self, reason: str) -> None:
        self._online = False
        if not self._lost.is_set():
            self._lost_reason = reason
            self._lost.set()

    # --- the supervisor -----------------------------------------------------------

    async def _supervise(self) -> None:
        """Stay connected to Redis for the life of the process; never ends until cancelled."""
        delay = BACKOFF_FIRST
        failures = 0
        while True:
            try:
                await self._connected()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                reason = _reason(error)
                if not _is_connection_trouble(error):
                    log.exception("the Redis broker failed; reconnecting")
            else:
                reason = "the connection ended"
            if self._served:
                dropped = self._go_offline()
                log.warning(
                    "lost Redis at %s (%s): serving this process's users only; reconnecting (%d events not sent)",
                    self.where,
                    reason,
                    dropped,
                )
                delay, failures = BACKOFF_FIRST, 0
            else:
                self._go_offline()
                failures += 1
                log.log(
                    logging.WARNING if failures == 1 else logging.INFO,
                    "cannot reach Redis at %s (%s); trying again in %.1fs",
                    self.where,
                    reason,
                    delay,
                )
            self._attempted.set()
            await asyncio.sleep(delay * random.uniform(0.75, 1.25))
            delay = min(delay * 2, BACKOFF_MAX)

    def _go_offline(self) -> int:
        self._online = self._served = False
        self._lost.clear()
        dropped = self._outbox.qsize()
        self._outbox = asyncio.Queue(OUTBOX_LIMIT)
        return dropped

    async def _connected(self) -> None:
        """One connection's life: announce, subscribe, rebuild, then serve until something fails."""
        assert self._client is not None
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            await self._scripts["heartbeat"](args=[self.keys.prefix, self.process_id, self._ttl_ms()])
            await pubsub.subscribe(self.keys.events)
            self._lost.clear()
            self._online = True
            await self._rebuild()
            log.info(
                "joined the chat on Redis at %s as process %s (%d here, %d in all)",
                self.where,
                self.process_id,
                len(self.presence.local),
                len(self.presence.view),
            )
            self._served = True
            self._attempted.set()
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._listen(pubsub))
                tasks.create_task(self._send())
                tasks.create_task(self._beat())
                tasks.create_task(self._watch())
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _rebuild(self) -> None:
        """After (re)connecting: this process's names claimed again, everyone else's caught up."""
        assert self._client is not None
        await self._forget_departed()
        for member in list(self.presence.local.values()):
            holder = await self._script(
                "claim", member.name, member.conn, self.process_id, member.conn, member_to_json(member)
            )
            if holder is None:
                await self.publish(Updated(member))
            else:
                log.warning("%r was taken on another process while Redis was away", member.name)
                self.presence.drop(member.name, member.conn)
                self.presence.deliver(Disconnect(member.name, Close.NAME_TAKEN, name_taken(member.name), member.conn))
                self.presence.deliver(Left(member.name, member.conn))
        # Other processes may not have claimed their names again yet (after a Redis restart
        # they come back one by one): nobody is dropped now, only at the next heartbeat.
        await self._resync(drop_missing=False)
        self._resync_due = True
        await self._push_pending_bans()
        await self._push_pending_states()

    async def _resync(self, *, drop_missing: bool) -> None:
        assert self._client is not None
        shared = await self._client.hgetall(self.keys.members)
        members = {str(name): member_from_json(text) for name, text in shared.items()}
        self.presence.resync(members, drop_missing=drop_missing)

    async def _forget_departed(self) -> None:
        """Names Redis still gives this process though their connection left while it was away."""
        assert self._client is not None
        names = sorted(str(name) for name in await self._client.smembers(self.keys.names(self.process_id)))
        holders = await self._client.hmget(self.keys.holders, names) if names else []
        for name, holder in zip(names, holders, strict=True):
            process, _, conn = str(holder or "").partition(" ")
            mine = self.presence.local.get(name)
            gone = process == self.process_id and (mine is None or mine.conn != conn)
            if gone and await self._script("release", name, self.process_id, conn):
                await self.publish(Left(name, conn))

    async def _push_pending_bans(self) -> None:
        assert self._client is not None
        for sid, until in list(self._pending_revocations.items()):
            if until > time.time():
                await self._client.set(self.keys.revoked(sid), "1", px=max(1, int((until - time.time()) * 1000)))
            del self._pending_revocations[sid]
        for name, until in list(self._pending_bans.items()):
            if until:
                await self._client.zadd(self.keys.bans, {name: until})
            else:
                await self._client.zrem(self.keys.bans, name)
            del self._pending_bans[name]

    async def _push_pending_states(self) -> None:
        assert self._client is not None
        for sid, state in list(self._states.items()):
            await self._client.set(self.keys.session(sid), state_to_json(state), px=SESSION_LIFETIME_SECONDS * 1000)
            del self._states[sid]

    async def _listen(self, pubsub: PubSub) -> None:
        async for message in pubsub.listen():
            _stop_if_cancelled()
            if message.get("type") == "message":
                self._receive(message["data"])
        raise ConnectionError("the pub/sub subscription ended")

    def _receive(self, data: str) -> None:
        sender, _, payload = data.partition(" ")
        if sender == self.process_id:
            return
        try:
            event = decode_event(payload)
        except MalformedEvent:
            log.warning("ignored a malformed event from process %s", sender[:20])
            return
        self.presence.deliver(event)

    async def _send(self) -> None:
        assert self._client is not None
        outbox = self._outbox
        while True:
            batch = [await outbox.get()]
            while len(batch) < PUBLISH_BATCH and not outbox.empty():
                batch.append(outbox.get_nowait())
            async with self._client.pipeline(transaction=False) as pipe:
                for item in batch:
                    pipe.publish(self.keys.events, item)
                await pipe.execute()
            for _ in batch:
                outbox.task_done()
            _stop_if_cancelled()

    async def _beat(self) -> None:
        """Renew this process's alive key and sweep out the users of processes that stopped."""
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            still_there = await self._script("heartbeat", self.process_id, self._ttl_ms())
            if not still_there:
                raise ConnectionError("this process's presence had expired in Redis")
            removed = await self._script("sweep")
            for name, conn in zip(removed[::2], removed[1::2], strict=True):
                log.info("%r left with a process that stopped answering", name)
                await self.publish(Left(name, conn, "lost"))
            if self._resync_due:  # one heartbeat after reconnecting: the processes are back
                self._resync_due = False
                await self._resync(drop_missing=True)
            _stop_if_cancelled()

    async def _watch(self) -> None:
        await self._lost.wait()
        raise ConnectionError(self._lost_reason)

    def _ttl_ms(self) -> int:
        return int(self.settings.heartbeat_seconds * 3000)


def _stop_if_cancelled() -> None:
    """Re-raise a cancellation that a library call swallowed (Python 3.11's timeouts can), so a
    task told to stop does stop instead of waiting on forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _describe(url: str) -> str:
    """The URL without its password, for the log."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _reason(error: BaseException) -> str:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    if isinstance(error, Offline) and error.__cause__ is not None:
        error = error.__cause__
    return str(error) or type(error).__name__


def _is_connection_trouble(error: BaseException) -> bool:
    if isinstance(error, BaseExceptionGroup):
        return all(_is_connection_trouble(inner) for inner in error.exceptions)
    return isinstance(error, RedisError | OSError | Offline)
