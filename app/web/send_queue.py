"""A connection's bounded send queue and the writer that drains it.

Everything that reaches a socket goes through here: the fan-out puts text on the queue (a
non-blocking append), and one writer task per socket sends it. When the writer falls behind,
the HTML fragments that piled up are joined into one frame; data-only JSON frames for the
webcam module are sent on their own. A queue that fills up means the client stopped reading:
it is cut off, and nobody else waits for it.

The queue is bounded twice: by frames waiting, and by characters this process still holds for
the client — waiting in the queue, or taken by the writer into a send that has not returned
(a send blocks while the socket's kernel buffer is full). Counting the send in flight keeps the
bound exact however much the writer joined into one frame.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

HTML = 0
DATA = 1


class QueueFull(Exception):
    """The client stopped reading."""


class SendQueue:
    def __init__(self, max_frames: int, max_chars: int, on_overflow: Callable[[], None] = lambda: None) -> None:
        self.max_frames = max_frames
        self.max_chars = max_chars
        self._on_overflow = on_overflow
        self._items: deque[tuple[int, str]] = deque()
        self.pending_chars = 0  # queued, or in a send that has not returned
        self._wake = asyncio.Event()
        self.closing: tuple[int, str] | None = None
        self.overflowed = False

    def put(self, kind: int, text: str) -> bool:
        if self.closing is not None or self.overflowed:
            return False
        size = len(text)
        too_many = len(self._items) >= self.max_frames
        if too_many or (self.pending_chars and self.pending_chars + size > self.max_chars):
            self.overflowed = True
            self._wake.set()
            self._on_overflow()
            return False
        self._items.append((kind, text))
        self.pending_chars += size
        self._wake.set()
        return True

    def close(self, code: int, reason: str) -> None:
        if self.closing is None:
            self.closing = (code, reason)
            self._wake.set()

    def _batches(self) -> list[tuple[int, str]]:
        """Everything queued, with consecutive HTML fragments joined into one frame."""
        batches: list[tuple[int, str]] = []
        html: list[str] = []
        while self._items:
            kind, text = self._items.popleft()
            if kind == HTML:
                html.append(text)
                continue
            if html:
                batches.append((HTML, "".join(html)))
                html = []
            batches.append((kind, text))
        if html:
            batches.append((HTML, "".join(html)))
        return batches

    async def drain(self, send: Callable[[str], Awaitable[None]]) -> tuple[int, str]:
        """Send until closed; returns the close code and reason. Raises QueueFull."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self.overflowed:
                raise QueueFull()
            for _, text in self._batches():
                await send(text)
                self.pending_chars -= len(text)
                if self.overflowed:
                    raise QueueFull()
            if self.closing is not None and not self._items:
                return self.closing
