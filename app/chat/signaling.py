"""WebRTC signalling: relay a frame between exactly the two users it names, and nobody else.

A viewer asks for a feed with `open`; the broadcaster receives `ring` and answers with an
offer. From then on the two exchange `sdp`, `candidate`, `watch`/`unwatch` and `hangup` about
that feed. Every frame is about one feed, named by its broadcaster (`feed`), who must be one of
the two. Each connection keeps the links it is part of, as (broadcaster, viewer) pairs: a
link starts with `open` and ends with `hangup` or when either side leaves. A frame for a link
its sender does not have is refused, and one its recipient does not have is dropped, so nobody
can slip a description or a candidate into someone else's call. The sender is always the
session's user; the payload is rebuilt from known keys, each checked and limited in size.

Who may watch whom is asked of chat/webcam_rules.py: on `open`, and again for every link of
this process's connections whenever someone's state changes (`recheck`). A link the rules no
longer allow (the camera went off, mutual cameras required and the viewer's camera stopped)
is ended here on the server: each side's page gets a `hangup`, whatever its own page does.

Each `open` makes the broadcaster's browser build a peer connection, so a viewer may have one
`open` pending (not answered yet) per broadcaster, and rings to one broadcaster are rate-limited
per viewer (`Limits.RingsPerMinute`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from app.chat.events import Event, Signal
from app.chat.frames import HangUp, IceCandidate, NotWatching, OpenFeed, SessionDescription, SignalFrame, Watching
from app.chat.model import Identity, Member
from app.chat.protocol import FrameError, RateLimiter
from app.chat.relations import Relations
from app.chat.webcam_rules import refusal

# What each frame becomes for its recipient.
SIGNALS: dict[type[SignalFrame], str] = {
    OpenFeed: "ring",
    Watching: "watch",
    NotWatching: "unwatch",
    SessionDescription: "sdp",
    IceCandidate: "candidate",
    HangUp: "hangup",
}
MAX_SDP_CHARS = 32_000
MAX_CANDIDATE_CHARS = 1_000
MAX_TOKEN_CHARS = 256
SDP_TYPES = ("offer", "answer", "pranswer", "rollback")
# Why a page hangs up (`hangup`'s `reason`): it stopped sending to that viewer, or the
# connection failed. The server adds `refused` to the hangups it sends itself (the rules).
PAGE_REASONS = ("stopped", "failed")
REFUSED = "refused"
# Frames from the server about the recipient's own camera or someone's invitation: no link.
UNLINKED = ("cut", "invited")
PENDING_SECONDS = 20.0  # an `open` unanswered this long no longer counts as pending

Link = tuple[str, str]  # (broadcaster, viewer)


class Peer(Protocol):
    """A local connection, as far as signalling needs one."""

    @property
    def identity(self) -> Identity: ...
    @property
    def conn_id(self) -> str: ...
    def send_data(self, data: str) -> bool: ...


class SignalRelay:
    def __init__(
        self,
        roster: Mapping[str, Member],
        publish: Callable[[Event], Awaitable[None]],
        connections: Mapping[str, Peer] | None = None,
        relations: Relations | None = None,
        *,
        rings_per_minute: float = 6.0,
    ) -> None:
        self._roster = roster
        self._publish = publish
        self._connections: Mapping[str, Peer] = connections if connections is not None else {}
        self._relations = relations  # mutes and blocks, for the rules
        self.rings_per_minute = rings_per_minute
        self._links: dict[str, set[Link]] = {}  # by connection id
        self._pending: dict[str, dict[Link, float]] = {}  # by viewer's connection id: open sent, when
        self._ring_limits: dict[str, dict[str, RateLimiter]] = {}  # by viewer's connection id, then target

    async def relay(self, peer: Peer, frame: SignalFrame) -> None:
        """Check a signalling frame from `peer` and pass it on to the user it names."""
        sender = peer.identity.name
        target = frame.username
        if target == sender:
            raise FrameError("That is you: webcams connect two different people.")
        if target not in self._roster:
            if isinstance(frame, OpenFeed):
                _close_waiting_panel(peer, target)
            raise FrameError(f"{target[:40]} is not in the room.")
        feed = _feed(frame, sender, target)
        link = (feed, target if feed == sender else sender)
        links = self._links.setdefault(peer.conn_id, set())
        if isinstance(frame, OpenFeed):
            self._check_open(peer, target)
            self._ring(peer, frame, link)
            links.add(link)
        elif link not in links:
            if isinstance(frame, HangUp | NotWatching):
                return  # already over: ending it twice is no mistake
            raise FrameError(f"You have no video connection with {target[:40]} for that.")
        data = {"signal": SIGNALS[type(frame)], "username": sender, "feed": feed, **_payload(frame)}
        if isinstance(frame, HangUp):
            links.discard(link)
            self._answered(peer.conn_id, link)
        await self._publish(Signal(target, _encode(data), sender=sender, kind=data["signal"], feed=feed))

    def _ring(self, peer: Peer, frame: OpenFeed, link: Link) -> None:
        """Let this `open` ring, or refuse it: one pending per broadcaster, and a rate per viewer."""
        target = frame.username
        pending = self._pending.setdefault(peer.conn_id, {})
        now = time.monotonic()
        if now - pending.get(link, -PENDING_SECONDS) < PENDING_SECONDS:
            raise FrameError(f"You already asked {target} for their camera; it opens once they answer.")
        limits = self._ring_limits.setdefault(peer.conn_id, {})
        limit = limits.get(target)
        if limit is None:
            burst = max(1, min(3, int(self.rings_per_minute)))
            limit = limits[target] = RateLimiter(self.rings_per_minute / 60, burst)
        if not limit.allow():
            _close_waiting_panel(peer, target)
            raise FrameError(f"You have asked {target} for their camera too often; wait a minute, then try again.")
        pending[link] = now

    def _answered(self, conn_id: str, link: Link) -> None:
        pending = self._pending.get(conn_id)
        if pending is not None:
            pending.pop(link, None)
            if not pending:
                del self._pending[conn_id]

    def deliver(self, peer: Peer | None, signal: Signal) -> None:
        """Hand a relayed frame to its recipient's connection, if it has that link."""
        if peer is None:
            return
        if signal.kind in UNLINKED:
            peer.send_data(signal.data)
            return
        link = (signal.feed, signal.recipient if signal.feed == signal.sender else signal.sender)
        links = self._links.setdefault(peer.conn_id, set())
        if signal.kind == "ring":
            links.add(link)
        elif link not in links:
            return
        elif signal.kind == "hangup":
            links.discard(link)
        if signal.kind in ("sdp", "hangup") and signal.sender == signal.feed:
            self._answered(peer.conn_id, link)  # the broadcaster answered (or ended) this viewer's open
        peer.send_data(signal.data)

    async def forget(self, peer: Peer) -> None:
        """`peer` is leaving: hang up every link it had, so the other sides close their feeds."""
        name = peer.identity.name
        self._pending.pop(peer.conn_id, None)
        self._ring_limits.pop(peer.conn_id, None)
        for feed, viewer in self._links.pop(peer.conn_id, set()):
            other = viewer if feed == name else feed
            if other in self._roster:
                data = {"signal": "hangup", "username": name, "feed": feed}
                await self._publish(Signal(other, _encode(data), sender=name, kind="hangup", feed=feed))

    def recheck(self, name: str) -> None:
        """`name`'s state changed: end this process's links that the rules no longer allow,
        telling each local side as if the other had hung up."""
        for conn_id, links in self._links.items():
            peer = self._connections.get(conn_id)
            for feed, viewer in [link for link in links if name in link]:
                broadcaster, watcher = self._roster.get(feed), self._roster.get(viewer)
                if broadcaster is None or watcher is None or refusal(broadcaster, watcher, self._relations) is None:
                    continue  # someone absent is handled by their leaving
                links.discard((feed, viewer))
                self._answered(conn_id, (feed, viewer))
                if peer is not None:
                    other = viewer if peer.identity.name == feed else feed
                    peer.send_data(_encode({"signal": "hangup", "username": other, "feed": feed, "reason": REFUSED}))

    async def cut(self, name: str, operator: str) -> None:
        """Tell `name`'s page to turn its camera off (an operator's `/cut`)."""
        data = {"signal": "cut", "username": operator, "feed": name}
        await self._publish(Signal(name, _encode(data), sender=operator, kind="cut", feed=name))

    async def invited(self, name: str, broadcaster: str) -> None:
        """Tell `name`'s page that `broadcaster` invited them: their camera is open to them now."""
        data = {"signal": "invited", "username": broadcaster, "feed": broadcaster}
        await self._publish(Signal(name, _encode(data), sender=broadcaster, kind="invited", feed=broadcaster))

    def links(self, peer: Peer) -> set[Link]:
        """The links `peer` is part of (for tests and diagnostics)."""
        return set(self._links.get(peer.conn_id, set()))

    def connection_count(self) -> int:
        """Connections the relay keeps anything for: links, a pending ring, ring limits (for
        tests and diagnostics; 0 once everyone has left)."""
        return len(self._links.keys() | self._pending.keys() | self._ring_limits.keys())

    def _check_open(self, peer: Peer, target: str) -> None:
        """Refuse an `open` the rules do not allow, with their reason."""
        viewer = self._roster.get(peer.identity.name)
        why = refusal(self._roster[target], viewer, self._relations) if viewer else "You are not in the room any more."
        if why is not None:
            _close_waiting_panel(peer, target)
            raise FrameError(why)


def _close_waiting_panel(peer: Peer, target: str) -> None:
    """A refused `open` also closes the viewer's waiting panel."""
    peer.send_data(_encode({"signal": "hangup", "username": target, "feed": target, "reason": REFUSED}))


def _feed(frame: SignalFrame, sender: str, target: str) -> str:
    """Whose camera the frame is about: a viewer's frames name the broadcaster's feed."""
    if isinstance(frame, OpenFeed | Watching | NotWatching):
        return target
    feed = frame.feed
    if feed not in (sender, target):
        raise FrameError("A webcam frame must be about your own camera or the camera of the person you send it to.")
    return feed


def _payload(frame: SignalFrame) -> dict[str, Any]:
    if isinstance(frame, SessionDescription):
        return {"description": _description(frame.description)}
    if isinstance(frame, IceCandidate):
        return {"candidate": _candidate(frame.candidate)}
    if isinstance(frame, HangUp) and frame.reason:
        if frame.reason not in PAGE_REASONS:
            raise FrameError("A hangup's reason is 'stopped' or 'failed', or none.")
        return {"reason": frame.reason}
    return {}


def _description(value: dict[str, Any]) -> dict[str, str]:
    kind, sdp = value.get("type"), value.get("sdp", "")
    if kind not in SDP_TYPES or not isinstance(sdp, str):
        raise FrameError("That is not a WebRTC session description (it needs a type and an sdp).")
    if len(sdp) > MAX_SDP_CHARS:
        raise FrameError(
            f"That session description is too large ({len(sdp)} characters; the limit is {MAX_SDP_CHARS})."
        )
    return {"type": kind, "sdp": sdp}


def _candidate(value: dict[str, Any]) -> dict[str, Any]:
    text = value.get("candidate")
    if not isinstance(text, str):
        raise FrameError("That is not an ICE candidate (it needs a candidate string).")
    if len(text) > MAX_CANDIDATE_CHARS:
        raise FrameError(
            f"That ICE candidate is too large ({len(text)} characters; the limit is {MAX_CANDIDATE_CHARS})."
        )
    mid, index, fragment = value.get("sdpMid"), value.get("sdpMLineIndex"), value.get("usernameFragment")
    if not _short_text_or_none(mid) or not _short_text_or_none(fragment):
        raise FrameError("The ICE candidate's sdpMid and usernameFragment must be short strings.")
    if index is not None and (type(index) is not int or not 0 <= index < 1024):
        raise FrameError("The ICE candidate's sdpMLineIndex must be a small whole number.")
    return {"candidate": text, "sdpMid": mid, "sdpMLineIndex": index, "usernameFragment": fragment}


def _short_text_or_none(value: object) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= MAX_TOKEN_CHARS)


def _encode(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))
