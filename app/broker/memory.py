"""The in-process broker: one process is the whole chat; nothing to configure."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict

from app.chat.events import Event
from app.chat.model import SESSION_LIFETIME_SECONDS, Member, SessionState
from app.chat.ports import EventHandler
from app.chat.posts import Post, toggle_reaction

REVOKED_TRIM = 1024  # past this many revoked sessions, the expired ones are dropped
MAX_SESSION_STATES = 100_000  # sign-ins whose state is kept at once (the oldest saved go first)
MAX_SITE_BLOCKLISTS = 100_000  # members whose website blocklist is kept (the oldest sent go first)


class MemoryBus:
    """Delivers each event synchronously to this process's room."""

    def __init__(self) -> None:
        self.process_id = uuid.uuid4().hex[:12]
        self._handler: EventHandler | None = None

    @property
    def everywhere(self) -> bool:
        return True  # this process is the whole chat

    async def start(self, on_event: EventHandler) -> None:
        self._handler = on_event

    async def close(self) -> None:
        self._handler = None

    async def publish(self, event: Event) -> None:
        if self._handler is not None:
            self._handler(event)


class MemoryRegistry:
    """Names, members, bans, session states and site blocklists in this process's memory."""

    def __init__(self) -> None:
        self._names: dict[str, Member] = {}
        self._bans: dict[str, float] = {}
        self._revoked = RevokedSessions()
        self._sign_ins = SignInCounts()
        self._states: dict[str, tuple[SessionState, float]] = {}  # sid -> (state, expiry), oldest first
        self._site_blocks: dict[str, tuple[str, ...]] = {}

    async def claim(self, member: Member, *, replacing: str = "") -> Member | None:
        holder = self._names.get(member.name)
        if holder is None or (replacing and holder.conn == replacing):
            self._names[member.name] = member
            return None
        return holder

    async def store(self, member: Member) -> None:
        if member.name in self._names:
            self._names[member.name] = member

    async def release(self, name: str, conn: str) -> bool:
        holder = self._names.get(name)
        if holder is not None and holder.conn == conn:
            del self._names[name]
            return True
        return False

    async def members(self) -> list[Member]:
        return list(self._names.values())

    async def ban(self, name: str, until: float) -> None:
        self._bans[name.casefold()] = until

    async def unban(self, name: str) -> bool:
        return self._bans.pop(name.casefold(), None) is not None

    async def bans(self) -> dict[str, float]:
        now = time.time()
        for name in [n for n, until in self._bans.items() if until <= now]:
            del self._bans[name]
        return dict(self._bans)

    async def revoke(self, sid: str, until: float) -> None:
        self._revoked.add(sid, until)

    async def revoked(self, sid: str) -> bool:
        return self._revoked.holds(sid)

    async def count_sign_in(self, address: str) -> int:
        return self._sign_ins.count(address)

    async def session_state(self, sid: str) -> SessionState | None:
        kept = self._states.get(sid)
        if kept is None or kept[1] <= time.time():
            return None
        return kept[0]

    async def store_session_state(self, sid: str, state: SessionState) -> None:
        self._states.pop(sid, None)  # saved again: now the newest
        self._states[sid] = (state, time.time() + SESSION_LIFETIME_SECONDS)
        while len(self._states) > MAX_SESSION_STATES or next(iter(self._states.values()))[1] <= time.time():
            del self._states[next(iter(self._states))]

    async def site_blocklist(self, name: str) -> tuple[str, ...]:
        return self._site_blocks.get(name.casefold(), ())

    async def store_site_blocklist(self, name: str, blocked: tuple[str, ...]) -> None:
        self._site_blocks.pop(name.casefold(), None)
        if blocked:
            self._site_blocks[name.casefold()] = blocked
        while len(self._site_blocks) > MAX_SITE_BLOCKLISTS:
            del self._site_blocks[next(iter(self._site_blocks))]


class SignInCounts:
    """Sign-ins per address in the current one-minute window (the window's table only)."""

    def __init__(self) -> None:
        self._window = -1
        self._counts: dict[str, int] = {}

    def count(self, address: str) -> int:
        window = int(time.time() // 60)
        if window != self._window:
            self._window, self._counts = window, {}
        self._counts[address] = self._counts.get(address, 0) + 1
        return self._counts[address]


class RevokedSessions:
    """Session ids refused until an end time each; expired ones dropped as the table grows."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def add(self, sid: str, until: float) -> None:
        self._until[sid] = until
        if len(self._until) > REVOKED_TRIM:
            now = time.time()
            self._until = {key: end for key, end in self._until.items() if end > now}

    def holds(self, sid: str) -> bool:
        return self._until.get(sid, 0.0) > time.time()


class MemoryMessages:
    """Each ring an ordered dict of its posts, oldest first; a post found by id through `_ring_of`."""

    def __init__(self) -> None:
        self._rings: dict[str, OrderedDict[str, Post]] = {}
        self._ring_of: dict[str, str] = {}

    async def record(self, post: Post, keep: int) -> None:
        ring = self._rings.setdefault(post.ring, OrderedDict())
        ring[post.id] = post
        self._ring_of[post.id] = post.ring
        while len(ring) > keep:
            old, _ = ring.popitem(last=False)
            del self._ring_of[old]

    async def recent(self, ring: str, count: int) -> list[Post]:
        posts = self._rings.get(ring)
        if not posts or count <= 0:
            return []
        return list(posts.values())[-count:]

    async def find(self, message_id: str) -> Post | None:
        ring = self._ring_of.get(message_id)
        return None if ring is None else self._rings[ring].get(message_id)

    async def remove(self, message_id: str) -> Post | None:
        ring = self._ring_of.pop(message_id, None)
        return None if ring is None else self._rings[ring].pop(message_id, None)

    async def react(self, message_id: str, emoji: str, name: str, max_distinct: int) -> Post | None:
        post = await self.find(message_id)
        if post is None:
            return None
        changed = toggle_reaction(post, emoji, name, max_distinct)
        self._rings[post.ring][message_id] = changed
        return changed


class MemoryPictures:
    """Pictures in this process's memory, oldest first, at most `capacity` bytes in all: an
    expired one is dropped when asked for or when room is needed, the oldest when it is full."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._kept: OrderedDict[str, tuple[str, bytes, float]] = OrderedDict()  # key -> (type, data, until)

    async def put(self, key: str, content_type: str, data: bytes, ttl_seconds: float) -> None:
        await self.remove(key)
        now = time.monotonic()
        while self._kept and (self.used + len(data) > self.capacity or next(iter(self._kept.values()))[2] <= now):
            _, (_, old, _) = self._kept.popitem(last=False)
            self.used -= len(old)
        self._kept[key] = (content_type, data, now + ttl_seconds)
        self.used += len(data)

    async def get(self, key: str) -> tuple[str, bytes, float] | None:
        found = self._kept.get(key)
        if found is None:
            return None
        content_type, data, until = found
        left = until - time.monotonic()
        if left <= 0:
            await self.remove(key)
            return None
        return content_type, data, left

    async def remove(self, key: str) -> None:
        found = self._kept.pop(key, None)
        if found is not None:
            self.used -= len(found[1])

    def __len__(self) -> int:
        return len(self._kept)
