"""The /ws endpoint: one socket per tab, one reader and one writer per socket.

Served below Quart's websocket wrapper, as a plain ASGI endpoint of the same application
(`ChatApp` hands it the `/ws` scopes): Quart's `websocket.send` yields to the loop, builds
headers and fires a signal on every frame, and runs a second task per socket to pump what
arrives. Here the handshake checks (`origin_allowed`, `socket_identity`, the per-address admission)
read the socket's headers and session cookie through Quart's own request object and session
interface, and the
transport (`ChatSocket`) writes frames straight to Hypercorn's transport where it can
(app/web/hypercorn_ws.py), through ASGI `send` everywhere else (Quart's test client).

The reader parses and limits what the browser sends and hands each frame to the room; the
writer drains the connection's bounded send queue. Both run in one TaskGroup: when either
ends, the other is cancelled, and the room is told the connection left.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import suppress
from dataclasses import dataclass

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, WebsocketScope
from quart import Quart
from quart.wrappers import Websocket
from werkzeug.datastructures import Headers

from app.auth import session_identity
from app.chat.close_codes import REASONS, Close
from app.chat.frames import PostMessage, React, ReportMessage
from app.chat.model import Identity
from app.chat.protocol import FrameError, RateLimiter, parse_frame, too_large
from app.chat.room import Room
from app.settings import Limits, Settings
from app.web import hypercorn_ws
from app.web.client_ip import client_ip
from app.web.security import origin_allowed
from app.web.send_queue import DATA, HTML, PacingClock, QueueFull, SendQueue
from app.web.state import EXTENSION, ChatState

log = logging.getLogger("app.socket")
SOCKET_PATH = "/ws"
CLOSE_WAIT_SECONDS = 1.0
REPORTS_PER_SECOND = 0.2  # a report a socket may send every five seconds, sustained ...
REPORT_BURST = 6  # ... and this many in a row


def message_cap(limits: Limits) -> int:
    """Characters of one inbound message past which the connection is dropped (1009). Between
    `MaxFrameBytes` and this, the message is counted but not held, and the sender is told."""
    return limits.max_frame_bytes * 4


class Connection:
    """One browser tab's socket, as the room sees it (an `Outlet`)."""

    def __init__(self, identity: Identity, limits: Limits, clock: PacingClock) -> None:
        self.identity = identity
        self.conn_id = uuid.uuid4().hex
        self.threads: set[str] = set()
        self.queue = SendQueue(
            limits.send_queue_frames, limits.send_queue_bytes, limits.send_timeout_seconds, self._cut_off, clock
        )
        self.writer: asyncio.Task[None] | None = None
        self._done = asyncio.Event()

    def send_html(self, html: str) -> bool:
        return self.queue.put(HTML, html)

    def send_data(self, data: str) -> bool:
        return self.queue.put(DATA, data)

    def close(self, code: int, reason: str) -> None:
        self.queue.close(code, reason)

    def _cut_off(self) -> None:
        if self.writer is not None:
            self.writer.cancel()  # it may be blocked in a send that will never return

    def finish(self) -> None:
        """The socket is closed and the room has let the connection go."""
        self._done.set()

    async def finished(self) -> None:
        """Return once `finish` has been called."""
        await self._done.wait()


# --- the handshake: who may open a socket ------------------------------------------------


def handshake_request(app: Quart, scope: WebsocketScope) -> Websocket:
    """Quart's request object for the socket's handshake (headers, cookies, client address),
    built as Quart builds it; it is not used to send or receive."""
    headers = Headers()
    headers["Remote-Addr"] = (scope.get("client") or ["<local>"])[0]
    for name, value in scope["headers"]:
        headers.add(name.decode("latin1").title(), value.decode("latin1"))

    def unused(*_: object) -> None:
        raise RuntimeError("the handshake request does not carry frames")

    return Websocket(
        scope["path"],
        scope["query_string"],
        scope["scheme"],
        headers,
        scope.get("root_path", ""),
        scope.get("http_version", "1.1"),
        list(scope.get("subprotocols", [])),
        unused,
        unused,
        unused,
        unused,
        scope=scope,
    )


async def socket_identity(app: Quart, request: Websocket, settings: Settings) -> Identity | None:
    """Who the signed session cookie says this is (None: no valid session)."""
    session = await app.session_interface.open_session(app, request)
    return session_identity(session.get("identity") if session is not None else None, settings)


# --- the transport ---------------------------------------------------------------------


@dataclass(frozen=True)
class Oversized:
    """A message over `Limits.MaxFrameBytes`: counted, not held."""

    size: int


class ChatSocket:
    """One /ws socket over ASGI, its frames written straight to Hypercorn's transport when
    `hypercorn_ws.guard` finds one, and what the peer sends bounded either way."""

    def __init__(self, scope: WebsocketScope, receive: ASGIReceiveCallable, send: ASGISendCallable, limits: Limits):
        self._receive = receive
        self._send = send
        self.hold = limits.max_frame_bytes
        self.cap = message_cap(limits)
        self.too_big = False  # the peer sent past the cap: the socket is being dropped
        self.reader: asyncio.Task[None] | None = None
        self._closed = False
        guarded = hypercorn_ws.guard(send, self.hold, self.cap, self._tripped)
        self._closes_itself = guarded is not None and guarded.writer is not None  # sends 1009 on its own
        self.direct = guarded.writer if guarded is not None else None  # writes without a task switch
        self.send_text = self.direct.send_text if self.direct is not None else self._send_text

    def _tripped(self) -> None:
        self.too_big = True
        if self._closes_itself:
            self._closed = True
        if self.reader is not None:
            self.reader.cancel()

    async def accept(self) -> None:
        await self._send({"type": "websocket.accept", "subprotocol": None, "headers": []})

    async def _send_text(self, text: str) -> None:
        await self._send({"type": "websocket.send", "bytes": None, "text": text})

    async def close(self, code: int, reason: str) -> None:
        """Close (once); before `accept`, this refuses the handshake (HTTP 403)."""
        if not self._closed:
            self._closed = True
            await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def receive(self) -> str | bytes | Oversized | None:
        """The next message, or None once the peer has gone (or was dropped for sending too much)."""
        if self.too_big:
            return None
        message = await self._receive()
        while message["type"] == "websocket.connect":
            message = await self._receive()
        if message["type"] != "websocket.receive" or self.too_big:
            return None
        if (size := message.get(hypercorn_ws.OVERSIZED)) is not None:
            return Oversized(int(size))  # type: ignore[call-overload]
        data: str | bytes = message.get("bytes") or message.get("text") or ""
        if len(data) > self.cap:
            self._tripped()
            return None
        return data


# --- serving ---------------------------------------------------------------------------


async def serve_socket(app: Quart, scope: WebsocketScope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    """The /ws endpoint, for one socket."""
    state: ChatState = app.extensions[EXTENSION]
    settings = state.settings
    socket = ChatSocket(scope, receive, send, settings.limits)
    request = handshake_request(app, scope)
    origin = request.headers.get("Origin")
    if not origin_allowed(origin, request.host, settings.cors_hosts):
        log.warning("refused socket from %s: origin %r", client_ip(request, settings), origin)
        await socket.close(1008, "Origin not allowed")  # before accept: an HTTP 403
        return
    identity = await socket_identity(app, request, settings)
    address = client_ip(request, settings)
    refusal = state.sockets.admit(address)
    if refusal is not None:
        await socket.accept()
        await _close(state.room, socket, Close.LIMITED, refusal)
        return
    try:
        await socket.accept()
        if identity is None:
            await socket.close(Close.SIGNED_OUT, REASONS[Close.SIGNED_OUT])
            return
        log.info("socket open %s as %r", address, identity.name)
        await _open(state, Connection(identity, settings.limits, state.pacing), socket, address)
    finally:
        state.sockets.release(address)


async def _open(state: ChatState, connection: Connection, socket: ChatSocket, address: str) -> None:
    state.connections.add(connection)
    state.watchdog.queues.add(connection.queue)
    try:
        await _serve(state, connection, socket, address)
    finally:
        state.watchdog.queues.discard(connection.queue)
        await _leave(state, connection)
    await _close_after_leaving(connection, socket)


async def _close_after_leaving(connection: Connection, socket: ChatSocket) -> None:
    """The closes that wait until the room has let the connection go: a client cut off for not
    reading (1013), or for sending far too much (1009)."""
    if socket.too_big:
        log.warning("dropped %r: sent a message over %d characters", connection.identity.name, socket.cap)
        code = Close.TOO_BIG
    elif connection.queue.overflowed:
        log.warning("cut off %r: stopped reading (send queue full)", connection.identity.name)
        code = Close.TOO_SLOW
    else:
        return
    # The close frame waits behind what the kernel still holds: a client that reads again gets
    # it; one that never does is not waited for.
    with suppress(TimeoutError):
        await asyncio.wait_for(socket.close(code, REASONS[code]), CLOSE_WAIT_SECONDS)


async def _leave(state: ChatState, connection: Connection) -> None:
    """Let the room forget the connection. The socket's task may be cancelled when the client
    goes, which may be while the room is still busy with it (a kicked client answers the close at
    once): the leave then runs on to its end, and only then does the connection count as finished."""
    leaving = asyncio.ensure_future(state.room.leave(connection))
    leaving.add_done_callback(lambda done: _finished(state, connection, done))
    await asyncio.shield(leaving)


def _finished(state: ChatState, connection: Connection, leaving: asyncio.Future[None]) -> None:
    if not leaving.cancelled() and (error := leaving.exception()) is not None:
        log.error("the room failed to let %r go", connection.identity.name, exc_info=error)
    state.connections.discard(connection)
    connection.finish()
    log.info("socket closed for %r", connection.identity.name)


async def _serve(state: ChatState, connection: Connection, socket: ChatSocket, address: str) -> None:
    room = state.room
    if not await room.enter(connection, address):
        code, reason = connection.queue.closing or (Close.SIGNED_OUT, "")
        await _close(room, socket, code, reason)
        return
    connection.queue.direct = socket.direct
    async with asyncio.TaskGroup() as group:
        reader = socket.reader = group.create_task(_read(room, connection, socket))
        writer = connection.writer = group.create_task(_write(room, connection, socket))
        writer.add_done_callback(lambda _: reader.cancel())
        reader.add_done_callback(lambda _: writer.cancel())


async def _write(room: Room, connection: Connection, socket: ChatSocket) -> None:
    try:
        code, reason = await connection.queue.drain(socket.send_text)
    except (QueueFull, ConnectionError):
        return  # serve_socket closes it, once the room has let it go
    await _close(room, socket, code, reason)


async def _close(room: Room, socket: ChatSocket, code: int, reason: str) -> None:
    if code >= 4000:
        # The browser's close event does not reach htmx with its reason: say it in the page.
        jwt = room.settings.jwt
        way_back = jwt.landing_page_url if jwt.enabled and jwt.landing_page_url else "/"
        with suppress(ConnectionError):
            await socket.send_text(room.render.closed_banner(reason, way_back))
    await socket.close(code, reason[:120])


async def _read(room: Room, connection: Connection, socket: ChatSocket) -> None:
    limits = room.settings.limits
    frames, messages, reactions = _limiters(limits)
    reports = RateLimiter(REPORTS_PER_SECOND, REPORT_BURST)
    while (raw := await socket.receive()) is not None:
        if room.settings.limits is not limits:  # the settings were reloaded
            limits = room.settings.limits
            frames, messages, reactions = _limiters(limits)
        try:
            if not frames.allow():
                raise FrameError("You are sending too fast; slow down a little.")
            if isinstance(raw, Oversized):
                raise too_large(raw.size, limits.max_frame_bytes)
            frame = parse_frame(raw, max_bytes=limits.max_frame_bytes)
            if isinstance(frame, PostMessage) and not messages.allow():
                raise FrameError("You are sending messages too fast; that one was not sent.")
            if isinstance(frame, React) and not reactions.allow():
                raise FrameError("You are reacting too fast; slow down a little.")
            if isinstance(frame, ReportMessage) and not reports.allow():
                raise FrameError("You are sending reports too fast; wait a little, then send that one again.")
            await room.handle(connection, frame)
        except FrameError as error:
            room.tell(connection, str(error))
        except Exception:
            log.exception("error handling a frame from %r", connection.identity.name)
            room.tell(connection, "Something went wrong on the server with that; please try again.")


def _limiters(limits: Limits) -> tuple[RateLimiter, RateLimiter, RateLimiter]:
    """The per-socket rate limits of frames, messages and reactions."""
    return (
        RateLimiter(limits.frames_per_second, limits.frame_burst),
        RateLimiter(limits.messages_per_second, limits.message_burst),
        RateLimiter(limits.reactions_per_second, limits.reaction_burst),
    )
