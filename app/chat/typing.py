"""The typing indicator: "alice is typing…" under a log, for the others there.

A page sends `typing` while its person types (at most every few seconds) and `typing` with
`active` false when the box is emptied. This process passes on at most one `Typing` event per
person and log every `REFRESH_SECONDS`, and a stop only for someone it marked as typing;
sending a message stops it too. Every process keeps the marks for its own pages: a mark lasts
`MARK_SECONDS` unless refreshed, and goes when its person sends, stops or leaves.

What a channel's line says depends on who reads it (nobody sees their own name), so it is
rendered once for those not typing and once for each person typing who is here: a few
renders, never one per reader. A direct message's line goes to its one other person.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

from app.chat.events import Event, Typing
from app.chat.frames import ShowTyping
from app.chat.model import Member
from app.chat.outlet import Delivery, Outlet
from app.chat.protocol import FrameError
from app.chat.render import Renderer
from app.settings import Settings

REFRESH_SECONDS = 2.0  # at most one event per person and log this often (the page sends every 3 s)
MARK_SECONDS = 6.0  # a mark not refreshed for this long goes away


class TypingIndicator:
    def __init__(
        self,
        settings: Settings,
        roster: Mapping[str, Member],
        render: Renderer,
        delivery: Delivery,
        publish: Callable[[Event], Awaitable[None]],
    ) -> None:
        self.settings = settings
        self.roster = roster
        self.render = render
        self.delivery = delivery
        self.publish = publish
        self._sent: dict[tuple[str, str], float] = {}  # (name, channel) -> when this process last passed it on
        self._channels: dict[str, dict[str, float]] = {}  # channel -> name -> mark's end, in order of starting
        self._direct: dict[tuple[str, str], float] = {}  # (typist, recipient) -> mark's end
        self._timer: asyncio.TimerHandle | None = None

    # --- frames from this process's pages ---------------------------------------------

    async def handle(self, outlet: Outlet, frame: ShowTyping) -> None:
        me = outlet.identity.name
        channel = frame.channel
        if channel.startswith("@"):
            if channel[1:] == me or channel[1:] not in self.roster:
                return  # nobody there to tell; sending the message will say so
        elif self.settings.channel(channel) is None or (
            channel in self.delivery.vip_channels and not self.delivery.sees_vip(me)
        ):
            raise FrameError(f"There is no channel {channel[:40]!r}.")
        key = (me, channel)
        now = time.monotonic()
        if frame.active:
            if now - self._sent.get(key, -REFRESH_SECONDS) < REFRESH_SECONDS:
                return
            self._sent[key] = now
        elif self._sent.pop(key, None) is None:
            return
        await self.publish(_event(me, channel, frame.active))

    async def stopped(self, name: str, channel: str) -> None:
        """`name` sent a message to `channel`: whoever saw them typing stops seeing it."""
        if self._sent.pop((name, channel), None) is not None:
            await self.publish(_event(name, channel, False))

    # --- events from every process ------------------------------------------------------

    def apply(self, event: Typing) -> None:
        end = time.monotonic() + MARK_SECONDS
        if event.recipient:
            key = (event.name, event.recipient)
            if event.active:
                self._direct[key] = end
            elif self._direct.pop(key, None) is None:
                return
            self._show_direct(event.name, event.recipient, event.active)
        else:
            marks = self._channels.setdefault(event.channel, {})
            was_there = event.name in marks
            if event.active:
                marks[event.name] = end
            else:
                marks.pop(event.name, None)
            if was_there != event.active:
                self._show_channel(event.channel)
        self._schedule()

    def forget(self, name: str) -> None:
        """`name` left: their marks go, and marks shown to them are dropped."""
        for channel, marks in self._channels.items():
            if marks.pop(name, None) is not None:
                self._show_channel(channel)
        for typist, recipient in [key for key in self._direct if name in key]:
            del self._direct[(typist, recipient)]
            if typist == name:
                self._show_direct(typist, recipient, False)
        for key in [key for key in self._sent if key[0] == name]:
            del self._sent[key]

    def table_size(self) -> int:
        """Marks and throttle entries held (all gone once everyone has left)."""
        return len(self._sent) + sum(len(marks) for marks in self._channels.values()) + len(self._direct)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # --- showing ---------------------------------------------------------------------------

    def _show_channel(self, channel: str) -> None:
        names = list(self._channels.get(channel, {}))
        log = self.render.channel_log(channel)
        typing_here = {name for name in names if name in self.delivery.outlets}
        for name in typing_here:
            heard = self.delivery.heard_by(name, [n for n in names if n != name])
            self.delivery.people((name,), self.render.typing(log, heard))
        self.delivery.everyone_except_as_heard(
            typing_here, names, lambda shown: self.render.typing(log, shown), ring=channel
        )

    def _show_direct(self, typist: str, recipient: str, active: bool) -> None:
        outlet = self.delivery.outlets.get(recipient)
        if outlet is not None and typist in outlet.threads and self.delivery.heard_by(recipient, [typist]):
            outlet.send_html(self.render.typing(self.render.thread_log(typist), [typist] if active else []))

    # --- marks running out ---------------------------------------------------------------

    def _schedule(self) -> None:
        ends = [end for marks in self._channels.values() for end in marks.values()] + list(self._direct.values())
        if self._timer is not None or not ends:
            return
        delay = max(0.05, min(ends) - time.monotonic() + 0.05)
        self._timer = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self._timer = None
        now = time.monotonic()
        for channel, marks in self._channels.items():
            ended = [name for name, end in marks.items() if end <= now]
            for name in ended:
                del marks[name]
            if ended:
                self._show_channel(channel)
        for key in [key for key, end in self._direct.items() if end <= now]:
            del self._direct[key]
            self._show_direct(*key, active=False)
        for key in [key for key, sent in self._sent.items() if now - sent > MARK_SECONDS]:
            del self._sent[key]
        self._schedule()


def _event(name: str, channel: str, active: bool) -> Typing:
    if channel.startswith("@"):
        return Typing(name, active, recipient=channel[1:])
    return Typing(name, active, channel=channel)
