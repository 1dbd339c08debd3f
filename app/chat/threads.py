"""Direct-message threads on this process's pages: opened, resumed, given their DMs, and
what happens to one when its partner leaves and someone comes back under the name.

A thread is a name in `outlet.threads` and a log on that page. A DM opens it (or the `thread`
frame); a page that reconnected brings its threads back (`thread` with `resume`). When the
partner leaves, the thread stays readable with "bob has left the chat." and its box disabled;
the same person coming back carries on there ("bob is back."), anyone else taking the name
closes it. A saved thread (chat/dm_history.py) reads its recent messages when it opens.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.chat.dm_history import DirectHistory
from app.chat.frames import OpenThread
from app.chat.model import Member
from app.chat.outlet import Outlet
from app.chat.people import People
from app.chat.protocol import FrameError
from app.chat.relations import Relations
from app.chat.render import Renderer

MAX_RESUMED_THREADS = 100  # threads a reconnected page may bring back (it asks for each it shows)


class Threads:
    """The DM threads of this process's connections, one per room."""

    def __init__(
        self,
        render: Renderer,
        roster: Mapping[str, Member],
        relations: Relations,
        connections: Mapping[str, Outlet],
        outlets: Mapping[str, Outlet],
        people: People,
        saved: DirectHistory,
    ) -> None:
        self.render = render
        self.roster = roster
        self.relations = relations
        self.connections = connections  # every local connection, by connection id
        self.outlets = outlets  # the local connections in the room, by username
        self.people = people
        self.saved = saved
        # Someone who left: the local connections whose thread with them stays on screen, to
        # carry on if they come back, or to be closed if someone else takes the name (until
        # then, or until those connections go); and who they were, to tell: (signed in, sid),
        # or None for a thread a page brought back after a reconnect.
        self._departed: dict[str, set[str]] = {}
        self._departed_as: dict[str, tuple[bool, str] | None] = {}

    async def handle(self, outlet: Outlet, frame: OpenThread) -> None:
        """`thread`: open the thread with `username` (or carry on in it, with `resume`)."""
        other = frame.username
        if frame.resume:
            self._resume(outlet, other)
            return
        if other == outlet.identity.name:
            raise FrameError("That is you: direct messages go to other people.")
        me = self.roster.get(outlet.identity.name)
        if me is None:
            raise FrameError("You are not in the room any more.")
        self.people.check_write(me, other, sending=False)
        if other not in outlet.threads:
            self._open(outlet, other)

    def deliver(self, outlet: Outlet, other: str, item: str, message_id: str) -> None:
        """Put a DM into `outlet`'s thread with `other`, opening the thread if need be."""
        if other in outlet.threads:
            outlet.send_html(self.render.append(self.render.thread_log(other), item))
            self.saved.delivered(outlet, other, message_id)
        else:
            self._open(outlet, other, item, message_id)

    def _resume(self, outlet: Outlet, other: str) -> None:
        """A page that reconnected (after a server restart, say) still shows its thread with
        `other`: it carries on there, and its header says how `other` is now. Quietly: the page
        asks for every thread it has, whoever is still here."""
        name = outlet.identity.name
        if other == name or other in outlet.threads or len(outlet.threads) >= MAX_RESUMED_THREADS:
            return
        outlet.threads.add(other)
        partner = self.roster.get(other)
        if partner is None or self.relations.hides(name, other):
            self._departed.setdefault(other, set()).add(outlet.conn_id)
            self._departed_as.setdefault(other, None)
            partner = None
        outlet.send_html(self.render.thread_head(other, partner))

    def _open(self, outlet: Outlet, other: str, item: str = "", message_id: str = "") -> None:
        """A new thread on `outlet`; a saved one reads its recent messages in the background."""
        outlet.threads.add(other)
        saved = self.saved.top(self.roster.get(outlet.identity.name), other)
        outlet.send_html(self.render.thread(other, item, saved=saved, partner=self.roster.get(other)))
        if saved is not None:
            self.saved.opened(outlet, other, message_id)

    # --- partners leaving and arriving ----------------------------------------------

    def partner_left(self, member: Member) -> None:
        """`member` left the room: their threads stay on screen, readable, with the box
        disabled, in case they come back."""
        name = member.name
        gone = self.render.server_line(self.render.thread_log(name), f"{name} has left the chat.")
        gone += self.render.thread_head(name, None)
        for outlet in self.outlets.values():
            if name in outlet.threads:
                outlet.send_html(gone)
                self._departed.setdefault(name, set()).add(outlet.conn_id)
                self._departed_as[name] = (member.signed_in, member.sid)

    def arrived(self, member: Member) -> None:
        """Someone arrived under the name of a person who left: the same person (the same site
        member, the same guest's session) carries on in the thread still on screen, whose box
        is enabled again; anyone else does not inherit it: it closes, and the page says why."""
        conns = self._departed.pop(member.name, set())
        was = self._departed_as.pop(member.name, None)
        same = was is None or (was[0] and member.signed_in) or (not was[0] and was[1] == member.sid)
        back = self.render.thread_head(member.name, member)
        if was is not None:
            back = self.render.server_line(self.render.thread_log(member.name), f"{member.name} is back.") + back
        closed = self.render.thread_close(member.name) + self.render.notice(
            f"Your conversation with {member.name} was closed: they left, and someone else now has the name.",
            "info",
        )
        for conn in conns:
            outlet = self.connections.get(conn)
            if outlet is None or member.name not in outlet.threads:
                continue
            if same:
                outlet.send_html(back)
            else:
                outlet.threads.discard(member.name)
                outlet.send_html(closed)

    def heads_changed(self, member: Member) -> None:
        """`member`'s status, avatar or name changed: the headers of the threads with them."""
        head = ""
        for outlet in self.outlets.values():
            if member.name in outlet.threads and outlet.identity.name != member.name:
                head = head or self.render.thread_head(member.name, member)
                outlet.send_html(head)

    def forget(self, outlet: Outlet) -> None:
        """The connection left: it waits for nobody's return any more."""
        for other in [other for other, conns in self._departed.items() if outlet.conn_id in conns]:
            self._departed[other].discard(outlet.conn_id)
            if not self._departed[other]:
                del self._departed[other]
                self._departed_as.pop(other, None)

    def table_sizes(self) -> dict[str, int]:
        return {"departed threads": len(self._departed), "departed people": len(self._departed_as)}
