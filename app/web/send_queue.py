"""A connection's bounded send queue and the writer that drains it.

Everything that reaches a socket goes through here: the fan-out puts text on the queue (a
non-blocking append), and one writer task per socket sends it. When the writer falls behind,
the HTML fragments that piled up are joined into one frame (up to `JOIN_LIMIT` characters),
with `PART` between them so that the page swaps them one by one, in order (js/frames.js);
data-only JSON frames for the webcam module are sent on their own.

A client that stops reading is cut off, and nobody else waits for it. The sign of that is a
send that does not return: the socket's kernel buffer is full. While the writer is blocked so,
the queue is full when it holds `max_frames` fragments or `max_chars` characters are held for the
client (queued, or in the blocked send); and a `Watchdog` cuts off a client whose send has been
blocked `send_timeout` seconds, even if nothing more comes for it. Text that piles up while the
writer simply has not had its turn on the event loop yet (a burst being fanned out) is not the
client's doing and does not count against it: that backlog is bounded by the inbound rate
limits, and goes out in few frames when the writer runs.

Writers are woken by one `PacingClock` per process, not by each put: a frame costs about as
much to send whether it carries one message or twenty, so a busy writer wakes at most once
per interval and sends everything that arrived since, in one frame. When no tick is pending,
a writer that was not woken within the last interval is woken at once: a lone message in a
quiet room waits for no tick.

A wake does not always need the writer task: when it is idle and the socket takes a frame
without waiting (`DirectWriter`: Hypercorn's transport under its high-water mark), the wake
writes the queued frames itself, from the tick or the put, and saves a task switch per socket
per tick. The first frame that would have to wait is left, with what follows, to the task,
which drains the socket and is what the slow-client checks watch.

Writers of one audience woken by one tick hold the very same fragments (the room renders
once and puts that string into every queue), so they would build the same joined frame a
thousand times: `PacingClock.joined` builds it once per tick and hands every one of them the
same string, whose encoded frame is then shared too (app/web/ws_frames.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

HTML = 0
DATA = 1
JOIN_LIMIT = 64 * 1024  # characters of HTML joined into one frame, at most
# Between joined fragments; js/frames.js swaps them one by one. Markup nobody else can write:
# user text never reaches a page with a raw "<".
PART = "<!--|-->"
MAX_JOINED = 64  # joined frames remembered within one tick (distinct audiences, mostly)
MAX_JOINED_CHARS = 1 << 20  # and their characters


class _Data(str):
    """A data-only frame in the queue. HTML is queued as the very string the room rendered once
    for everyone, so that a put allocates nothing; only the rarer data frames are marked so."""

    __slots__ = ()


class QueueFull(Exception):
    """The client stopped reading."""


class DirectWriter(Protocol):
    """A socket that takes a frame without waiting (app/web/hypercorn_ws.py's `FrameWriter`)."""

    def ready(self) -> bool:
        """Open, and its transport's buffer under the high-water mark."""
        ...

    def write_now(self, text: str) -> None: ...


class PacingClock:
    """Wakes the writers that have something to send, at most once per `interval` seconds."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._due: list[SendQueue] = []
        self._tick: asyncio.Handle | None = None
        # this tick's joined frames, by the identities of their parts (kept alive here, so an
        # id cannot be reused while it is a key)
        self._joined: dict[tuple[int, ...], tuple[list[str], str]] = {}
        self._joined_chars = 0

    def joined(self, parts: list[str]) -> str:
        """`PART.join(parts)`, built once a tick for all the writers holding the same fragments."""
        key = tuple(map(id, parts))
        known = self._joined.get(key)
        if known is not None:
            return known[1]
        text = PART.join(parts)
        if len(self._joined) >= MAX_JOINED or self._joined_chars > MAX_JOINED_CHARS:
            self._joined.clear()
            self._joined_chars = 0
        self._joined[key] = (parts, text)
        self._joined_chars += len(text)
        return text

    def schedule(self, queue: SendQueue) -> None:
        """`queue` has something new: wake its writer now if no tick is pending and it was not
        woken within the last interval (in a quiet room nobody waits), else on the next tick.
        While a tick is pending every writer joins it, so what one socket sees never overtakes
        what was sent before it to another."""
        if not self.interval:
            queue.wake()
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._tick is None and now - queue.woken_at >= self.interval:
            queue.woken_at = now
            queue.wake()
            return
        self._due.append(queue)
        if self._tick is None:
            self._tick = loop.call_at(queue.woken_at + self.interval, self._wake_due)

    def _wake_due(self) -> None:
        self._tick = None
        now = asyncio.get_running_loop().time()
        self._joined.clear()
        self._joined_chars = 0
        due, self._due = self._due, []
        for queue in due:
            queue.woken_at = now
            queue.wake()


IMMEDIATE = PacingClock(0.0)


class SendQueue:
    def __init__(
        self,
        max_frames: int,
        max_chars: int,
        send_timeout: float,
        on_overflow: Callable[[], None] = lambda: None,
        clock: PacingClock = IMMEDIATE,
    ) -> None:
        self.max_frames = max_frames
        self.max_chars = max_chars
        self.send_timeout = send_timeout
        self._on_overflow = on_overflow
        self._clock = clock
        self._scheduled = False  # waiting for the clock to wake the writer
        self.woken_at = -clock.interval  # when the clock last woke the writer (loop time)
        self._items: deque[str] = deque()  # HTML as is, data frames as _Data
        self.pending_chars = 0  # queued, or in a send that has not returned
        self.blocked_since: float | None = None  # when the send in flight started, if one is
        self._wake = asyncio.Event()
        self.closing: tuple[int, str] | None = None
        self.overflowed = False
        self.direct: DirectWriter | None = None  # set once the socket is accepted, if it has one
        self._idle = False  # the writer task is waiting for a wake, not in the middle of sending

    def put(self, kind: int, text: str) -> bool:
        if self.closing is not None or self.overflowed:
            return False
        self.pending_chars += len(text)
        self._items.append(text if kind == HTML else _Data(text))
        if self.blocked_since is not None and (
            len(self._items) > self.max_frames or self.pending_chars > self.max_chars
        ):
            self.cut_off()
            return False
        if not self._scheduled:
            self._scheduled = True
            self._clock.schedule(self)
        return True

    def wake(self) -> None:
        """Send what is queued: at once, from the caller, when the writer is idle and the socket
        takes it without waiting (no task switch for the usual case); else by the writer task."""
        self._scheduled = False
        if self.direct is None or not self._idle or self.overflowed or not self._write_now(self.direct):
            self._wake.set()

    def _write_now(self, direct: DirectWriter) -> bool:
        """Write every queued frame straight to the socket; False, with the rest still queued,
        as soon as it would have to wait (the writer task then drains it, or finds it closed)."""
        due = len(self._items)
        while due and self._items:
            if not direct.ready():
                return False
            frame = self._next_frame(due)
            assert frame is not None
            text, chars, items = frame
            due -= items
            direct.write_now(text)
            self.pending_chars -= chars
        return True

    def cut_off(self) -> None:
        """The client stopped reading: drop what is queued and tell the connection."""
        if not self.overflowed:
            self.overflowed = True
            self._items.clear()
            self._wake.set()
            self._on_overflow()

    def stalled(self, now: float) -> bool:
        """A send has been blocked longer than `send_timeout`."""
        return self.blocked_since is not None and now - self.blocked_since > self.send_timeout

    def close(self, code: int, reason: str) -> None:
        if self.closing is None:
            self.closing = (code, reason)
            self._wake.set()

    def _next_frame(self, due: int) -> tuple[str, int, int] | None:
        """The next frame to send from the first `due` queued items, taken off the queue:
        consecutive HTML fragments joined (with PART between them, up to JOIN_LIMIT characters of
        fragments), or one data frame; with the characters of queued text it carries and the
        number of items. Built one at a time, so a writer that wakes to a long backlog holds one
        joined frame, not the whole backlog joined a second time."""
        if not due or not self._items:
            return None
        text = self._items.popleft()
        if isinstance(text, _Data):
            return str(text), len(text), 1
        html, size = [text], len(text)
        items = self._items
        while len(html) < due and items and not isinstance(items[0], _Data) and size + len(items[0]) <= JOIN_LIMIT:
            text = items.popleft()
            html.append(text)
            size += len(text)
        return (html[0] if len(html) == 1 else self._clock.joined(html)), size, len(html)

    async def drain(self, send: Callable[[str], Awaitable[None]]) -> tuple[int, str]:
        """Send until closed; returns the close code and reason. Raises QueueFull.

        Each wake sends what was queued when it came; what arrives meanwhile waits for the next
        tick of the clock, to go out together."""
        while True:
            self._idle = True
            try:
                await self._wake.wait()
            finally:
                self._idle = False
            self._wake.clear()
            if self.overflowed:
                raise QueueFull()
            due = len(self._items)
            while (frame := self._next_frame(due)) is not None:
                text, chars, items = frame
                due -= items
                self.blocked_since = time.monotonic()
                await send(text)
                self.blocked_since = None
                self.pending_chars -= chars
                if self.overflowed:
                    raise QueueFull()
            if self.closing is not None and not self._items:
                return self.closing


class Watchdog:
    """Cuts off the clients whose send has been blocked too long; one per process."""

    def __init__(self) -> None:
        self.queues: set[SendQueue] = set()

    def check(self, now: float) -> None:
        for queue in [q for q in self.queues if q.stalled(now)]:
            queue.cut_off()

    async def run(self, interval: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval)
            self.check(time.monotonic())
