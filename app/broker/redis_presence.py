"""What one process knows of everyone present, kept in step with the events it hands its room.

The Redis broker delivers each event to the room through `Presence.deliver`, which keeps a view
of every member (on every process) and makes delivery idempotent: a `Joined` for someone
already known becomes an `Updated`, an `Updated` that changes nothing and a `Left` for a
connection that no longer holds the name are dropped. That lets the broker replay presence
after Redis comes back (`resync`) without showing anyone twice.
"""

from __future__ import annotations

import logging

from app.chat.events import Event, Joined, Left, Updated
from app.chat.model import Member
from app.chat.ports import EventHandler

log = logging.getLogger("app.broker.redis")


class Presence:
    def __init__(self, process_id: str) -> None:
        self.process_id = process_id
        self.handler: EventHandler | None = None
        self.view: dict[str, Member] = {}  # everyone present, as this process knows
        self.local: dict[str, Member] = {}  # the names this process's connections hold

    def deliver(self, event: Event) -> None:
        """Hand `event` to the room unless it changes nothing; keep the view in step."""
        match event:
            case Joined(member) | Updated(member):
                known = self.view.get(member.name)
                if known == member:
                    return
                event = Updated(member) if known is not None else Joined(member)
                self.view[member.name] = member
            case Left(name, conn):
                known = self.view.get(name)
                if known is None or known.conn != conn:
                    return
                del self.view[name]
        if self.handler is None:
            return
        try:
            self.handler(event)
        except Exception:
            log.exception("the room failed to apply %s", type(event).__name__)

    def hold(self, member: Member) -> None:
        self.local[member.name] = member

    def update(self, member: Member) -> None:
        held = self.local.get(member.name)
        if held is not None and held.conn == member.conn:
            self.local[member.name] = member

    def drop(self, name: str, conn: str) -> bool:
        """Forget a local connection's name; True if it held it."""
        held = self.local.get(name)
        if held is None or held.conn != conn:
            return False
        del self.local[name]
        return True

    def holder(self, name: str) -> Member | None:
        """Who holds `name`, as far as this process knows without asking Redis."""
        return self.local.get(name) or self.view.get(name)

    def resync(self, shared: dict[str, Member], *, drop_missing: bool = True) -> None:
        """Bring the view of other processes' members in line with what Redis holds now (with
        `drop_missing` off, only add and update: leave out nobody Redis does not list)."""
        for name, member in list(self.view.items()):
            mine = self.local.get(name)
            if drop_missing and name not in shared and (mine is None or mine.conn != member.conn):
                self.deliver(Left(name, member.conn, "lost"))
        for member in shared.values():
            if member.process != self.process_id:
                self.deliver(Updated(member))
