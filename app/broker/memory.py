"""The in-process broker: one process is the whole chat; nothing to configure."""

from __future__ import annotations

import time
import uuid

from app.chat.events import Event
from app.chat.model import Member
from app.chat.ports import EventHandler


class MemoryBus:
    """Delivers each event synchronously to this process's room."""

    def __init__(self) -> None:
        self.process_id = uuid.uuid4().hex[:12]
        self._handler: EventHandler | None = None

    async def start(self, on_event: EventHandler) -> None:
        self._handler = on_event

    async def close(self) -> None:
        self._handler = None

    async def publish(self, event: Event) -> None:
        if self._handler is not None:
            self._handler(event)


class MemoryRegistry:
    """Names, members and bans in this process's memory."""

    def __init__(self) -> None:
        self._names: dict[str, Member] = {}
        self._bans: dict[str, float] = {}

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
