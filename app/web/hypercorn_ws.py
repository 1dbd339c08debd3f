"""The one module that reaches below Hypercorn's ASGI interface, for /ws only.

Hypercorn offers no option to bound what a WebSocket peer makes it inflate or buffer, and no
way to write a frame that is already encoded. This module does both, relying on the shape of
Hypercorn 0.18 and wsproto 1.3 (pinned in pyproject.toml; `check()` verifies it at start-up and
`tests/unit/test_hypercorn_ws.py` fails when an upgrade changes it):

1. `hypercorn.protocol.ws_stream.Handshake.accept` builds the socket's extensions from the
   module global `PerMessageDeflate` each time: `install()` replaces it with `BoundedDeflate`,
   which always answers `server_no_context_takeover` and `client_no_context_takeover` (so the
   server keeps no inflate window between messages, and a text compresses to the same bytes
   for every socket), declines offers that want a smaller server window than 15 bits, and
   inflates at most the frame limit of a message before it stops.
2. The `send` callable Hypercorn hands an ASGI websocket app is the bound `WSStream.app_send`.
   Its `WSStream` reads frames into `buffer` (`extend(event)`, `clear()`, `to_message()`)
   before handing them to the app, and its `closed` says the stream is gone. `guard()`
   replaces the buffer with `BoundedBuffer`: it holds at most `hold` characters of a message
   (the rest is counted and dropped; the app gets an `OVERSIZED` marker with the size), and at
   `cap` it calls the connection's `on_trip`, after which everything the peer sends is dropped
   unread.
3. For HTTP/1.1, the stream's `send` is the bound `H11Protocol.stream_send`, whose `send` is
   the bound `TCPServer.protocol_send`, whose `writer` is the connection's `StreamWriter`.
   `FrameWriter` writes pre-encoded frames (ws_frames.py) straight to that writer's transport
   and waits on `drain()` only when the transport's buffer is over its high-water mark.
   Frames are whole `transport.write` calls, so Hypercorn's own frames (pings, the close) can
   only come between two of ours, which RFC 6455 allows for control frames. Everything else
   (accept, close, receive) still goes through ASGI.

When a socket's `send` is not shaped so (Quart's test client, HTTP/2, another server), the
endpoint uses plain ASGI and enforces the limits on what `receive` hands it.
"""

from __future__ import annotations

import asyncio
import contextvars
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.protocol import ws_stream
from hypercorn.protocol.h11 import H11Protocol
from hypercorn.protocol.ws_stream import ASGIWebsocketState, WSStream
from wsproto.events import CloseConnection, Message, TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason, FrameDecoder, FrameProtocol
from wsproto.utilities import LocalProtocolError

from app.chat.close_codes import REASONS, Close
from app.web.ws_frames import DEFLATE_TAIL, FRAMES, WINDOW_BITS

OVERSIZED = "barertc.oversized"  # key of the size, in the message standing for an oversized one


class HypercornChanged(RuntimeError):
    """Hypercorn is not shaped the way this module relies on."""


@dataclass
class Budget:
    """What one socket may make the server hold, and what to do when it asks for more."""

    hold: int  # characters of one message kept for the app (Limits.MaxFrameBytes)
    cap: int  # characters of one message, inflated, past which the connection is dropped
    on_trip: Callable[[], None] = lambda: None
    tripped: bool = False
    deflate: bool = False  # permessage-deflate was negotiated
    inflated: int = 0  # of the current message

    def trip(self) -> None:
        if not self.tripped:
            self.tripped = True
            self.on_trip()


DEFAULT_CAP = 1 << 20  # a socket served without guard() (no /ws): still bounded
_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("barertc_ws_budget", default=None)


class BoundedDeflate(PerMessageDeflate):
    """permessage-deflate that never inflates more of a message than the socket's budget allows."""

    def __init__(self) -> None:
        super().__init__(client_no_context_takeover=True, server_no_context_takeover=True)
        # Built inside the app's `accept`, in the socket's own task: guard() has set the budget.
        self.budget = _budget.get() or Budget(hold=DEFAULT_CAP, cap=DEFAULT_CAP)

    def accept(self, offer: str) -> bool | str | None:
        _, server_bits = self._parse_params(offer)
        if server_bits is not None and server_bits != WINDOW_BITS:
            return None  # the shared frames are compressed with a 15-bit window
        answer = super().accept(offer)
        self.budget.deflate = bool(answer)
        return answer

    def frame_inbound_payload_data(self, proto: FrameDecoder | FrameProtocol, data: bytes) -> bytes | CloseReason:
        if self.budget.tripped:
            return b""
        if not self._inbound_compressed or not self._inbound_is_compressible:
            return data
        assert self._decompressor is not None
        return self._inflate(bytes(data))

    def frame_inbound_complete(self, proto: FrameDecoder | FrameProtocol, fin: bool) -> bytes | CloseReason | None:
        if not fin:
            return None
        compressed = self._inbound_compressed and self._inbound_is_compressible
        self._inbound_compressed = None
        if not compressed or self.budget.tripped:
            self._decompressor = None
            self.budget.inflated = 0
            return None
        data = self._inflate(DEFLATE_TAIL)
        self._decompressor = None  # client_no_context_takeover: nothing is kept between messages
        self.budget.inflated = 0
        return data

    def _inflate(self, data: bytes) -> bytes | CloseReason:
        """At most what is left of the cap, plus one byte to tell that the cap was passed."""
        assert self._decompressor is not None
        budget = self.budget
        try:
            out = self._decompressor.decompress(data, budget.cap - budget.inflated + 1)
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        budget.inflated += len(out)
        if budget.inflated > budget.cap:
            budget.trip()
            return b""
        return out


class BoundedBuffer:
    """Stands in for Hypercorn's `WebsocketBuffer`: holds at most `budget.hold` characters."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.parts: list[str | bytes] = []
        self.text = True
        self.length = 0

    def extend(self, event: Message[Any]) -> None:
        if self.budget.tripped:
            return
        if not self.length:
            self.text = isinstance(event, TextMessage)
        self.length += len(event.data)
        if self.length > self.budget.cap:
            self.parts = []
            self.budget.trip()
        elif self.length > self.budget.hold:
            self.parts = []  # counted, not held: the app is told the size
        else:
            self.parts.append(event.data)

    def clear(self) -> None:
        self.parts = []
        self.length = 0

    def to_message(self) -> dict[str, object]:
        if self.length > self.budget.hold:
            return {"type": "websocket.receive", "text": None, "bytes": None, OVERSIZED: self.length}
        if self.text:
            return {"type": "websocket.receive", "text": "".join(self.parts), "bytes": None}  # type: ignore[arg-type]
        return {"type": "websocket.receive", "text": None, "bytes": b"".join(self.parts)}  # type: ignore[arg-type]


class FrameWriter:
    """Writes pre-encoded text frames straight to the socket's transport."""

    def __init__(self, stream: WSStream, writer: asyncio.StreamWriter, budget: Budget) -> None:
        self._stream = stream
        self._writer = writer
        self._transport = writer.transport
        self._budget = budget
        self._high_water = self._transport.get_write_buffer_limits()[1]

    async def send_text(self, text: str) -> None:
        transport = self._transport
        if self._stream.closed or transport.is_closing():
            raise ConnectionError("the socket is closed")
        transport.write(FRAMES.frame(text, self._budget.deflate))
        if transport.get_write_buffer_size() > self._high_water:
            await self._writer.drain()

    def ready(self) -> bool:
        """A frame written now goes out without waiting: open, and the buffer under high water."""
        transport = self._transport
        return (
            not self._stream.closed
            and not transport.is_closing()
            and transport.get_write_buffer_size() <= self._high_water
        )

    def write_now(self, text: str) -> None:
        """Write a frame without waiting (after `ready`): the send queue's path when its writer
        task is idle."""
        self._transport.write(FRAMES.frame(text, self._budget.deflate))

    def close_now(self, code: int, reason: str) -> None:
        """Send the close frame at once, as Hypercorn's own close would, and drop the connection
        after `CLOSE_GRACE` seconds whether or not the peer answers or reads."""
        stream = self._stream
        if stream.closed or stream.state is not ASGIWebsocketState.CONNECTED:
            return
        stream.state = ASGIWebsocketState.CLOSED
        try:
            data = stream.connection.send(CloseConnection(code=code, reason=reason))
        except LocalProtocolError:
            return
        self._transport.write(data)
        asyncio.get_running_loop().call_later(CLOSE_GRACE, self._transport.abort)


CLOSE_GRACE = 1.0


@dataclass
class Guarded:
    """What guard() set up behind a socket's `send`."""

    budget: Budget
    writer: FrameWriter | None  # None: not HTTP/1.1 over Hypercorn's TCP server; send through ASGI


def guard(send: Callable[..., Any], hold: int, cap: int, on_trip: Callable[[], None]) -> Guarded | None:
    """Bound what the peer of this socket can make the server hold; None if `send` is not Hypercorn's.

    Call before accepting, in the socket's own task: the permessage-deflate extension is built
    when the socket is accepted, and takes the budget from this task's context. On passing the
    cap, the close (1009) goes out at once (when the transport is at hand) and `on_trip` is
    called, from inside Hypercorn's read."""
    stream = getattr(send, "__self__", None)
    if not _installed or not isinstance(stream, WSStream):
        return None
    budget = Budget(hold=hold, cap=cap)
    writer = _frame_writer(stream, budget)

    def tripped() -> None:
        if writer is not None:
            writer.close_now(Close.TOO_BIG, REASONS[Close.TOO_BIG])
        on_trip()

    budget.on_trip = tripped
    stream.buffer = BoundedBuffer(budget)  # type: ignore[assignment]
    _budget.set(budget)
    return Guarded(budget, writer)


def _frame_writer(stream: WSStream, budget: Budget) -> FrameWriter | None:
    protocol = getattr(stream.send, "__self__", None)
    server = getattr(getattr(protocol, "send", None), "__self__", None)
    writer = getattr(server, "writer", None)
    if isinstance(protocol, H11Protocol) and isinstance(server, TCPServer) and isinstance(writer, asyncio.StreamWriter):
        return FrameWriter(stream, writer, budget)
    return None


_installed = False


def _uses(function: object, *names: str) -> bool:
    code = getattr(function, "__code__", None)
    return code is not None and all(name in code.co_names for name in names)


def check() -> None:
    """Raise `HypercornChanged` unless Hypercorn is shaped as the module docstring says."""
    expected = [
        (
            _uses(getattr(ws_stream.Handshake, "accept", None), "PerMessageDeflate"),
            "Handshake.accept builds PerMessageDeflate()",
        ),
        (
            _uses(getattr(WSStream, "__init__", None), "buffer", "closed", "send", "state"),
            "WSStream has buffer, closed, send and state",
        ),
        (
            _uses(getattr(WSStream, "_handle_events", None), "buffer", "extend", "to_message", "clear"),
            "WSStream reads messages through its buffer",
        ),
        (
            _uses(getattr(WSStream, "app_send", None), "closed", "state", "CLOSED"),
            "WSStream.app_send honours closed and state",
        ),
        (
            _uses(getattr(H11Protocol, "stream_send", None), "send", "RawData"),
            "H11Protocol.stream_send writes RawData through send",
        ),
        (
            _uses(getattr(TCPServer, "protocol_send", None), "writer", "write", "drain"),
            "TCPServer.protocol_send writes to writer",
        ),
        (
            _uses(PerMessageDeflate.frame_inbound_header, "_inbound_compressed", "_inbound_is_compressible")
            and _uses(PerMessageDeflate.frame_inbound_complete, "_decompressor")
            and hasattr(PerMessageDeflate, "_parse_params"),
            "wsproto's PerMessageDeflate keeps its inflate state in _inbound_compressed and _decompressor",
        ),
        (
            hasattr(ASGIWebsocketState, "CONNECTED") and hasattr(ASGIWebsocketState, "CLOSED"),
            "ASGIWebsocketState has CONNECTED and CLOSED",
        ),
    ]
    problems = [what for ok, what in expected if not ok]
    if problems:
        raise HypercornChanged(
            "this Hypercorn is not shaped the way app/web/hypercorn_ws.py relies on (expected: "
            + "; ".join(problems)
            + "). Without it the server cannot bound what a WebSocket client makes it inflate and hold. "
            "Install Hypercorn in the range pyproject.toml pins."
        )


def install() -> None:
    """Check Hypercorn's shape, then put `BoundedDeflate` in place of its PerMessageDeflate."""
    global _installed
    check()
    setattr(ws_stream, "PerMessageDeflate", BoundedDeflate)  # noqa: B010 - the module global Handshake.accept reads
    _installed = True
