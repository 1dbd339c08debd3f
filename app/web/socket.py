"""The /ws endpoint: one socket per tab, one reader and one writer per socket.

The reader parses and limits what the browser sends and hands each frame to the room; the
writer drains the connection's bounded send queue. Both run in one TaskGroup: when either
ends, the other is cancelled, and the room is told the connection left.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import suppress

from quart import Blueprint, session, websocket

from app.auth import session_identity
from app.chat.close_codes import REASONS, Close
from app.chat.frames import PostMessage, React
from app.chat.model import Identity
from app.chat.protocol import FrameError, RateLimiter, parse_frame
from app.chat.room import Room
from app.settings import Limits
from app.web.client_ip import client_ip
from app.web.security import origin_allowed
from app.web.send_queue import DATA, HTML, PacingClock, QueueFull, SendQueue
from app.web.state import ChatState, chat_state

log = logging.getLogger("app.socket")
CLOSE_WAIT_SECONDS = 1.0
blueprint = Blueprint("socket", __name__)


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


@blueprint.websocket("/ws")
async def chat_socket() -> None:
    state = chat_state()
    settings = state.settings
    origin = websocket.headers.get("Origin")
    if not origin_allowed(origin, websocket.host, settings.cors_hosts):
        log.warning("refused socket from %s: origin %r", client_ip(websocket, settings), origin)
        await websocket.close(1008, "Origin not allowed")  # before accept: an HTTP 403
        return
    identity = session_identity(session.get("identity"), settings)
    address = client_ip(websocket, settings)
    refusal = state.sockets.admit(address)
    if refusal is not None:
        await websocket.accept()
        await _close(state.room, Close.LIMITED, refusal)
        return
    try:
        await websocket.accept()
        if identity is None:
            await websocket.close(Close.SIGNED_OUT, REASONS[Close.SIGNED_OUT])
            return
        log.info("socket open %s as %r", address, identity.name)
        await _open(state, Connection(identity, settings.limits, state.pacing), address)
    finally:
        state.sockets.release(address)


async def _open(state: ChatState, connection: Connection, address: str) -> None:
    state.connections.add(connection)
    state.watchdog.queues.add(connection.queue)
    try:
        await _serve(state, connection, address)
    finally:
        state.watchdog.queues.discard(connection.queue)
        await _leave(state, connection)
    if connection.queue.overflowed:
        log.warning("cut off %r: stopped reading (send queue full)", connection.identity.name)
        # The close frame waits behind what the kernel still holds: a client that reads again
        # gets it; one that never does is not waited for.
        with suppress(TimeoutError):
            await asyncio.wait_for(websocket.close(Close.TOO_SLOW, REASONS[Close.TOO_SLOW]), CLOSE_WAIT_SECONDS)


async def _leave(state: ChatState, connection: Connection) -> None:
    """Let the room forget the connection. Quart cancels this handler when the client goes, which
    may be while the room is still busy with it (a kicked client answers the close at once): the
    leave then runs on to its end, and only then does the connection count as finished."""
    leaving = asyncio.ensure_future(state.room.leave(connection))
    leaving.add_done_callback(lambda done: _finished(state, connection, done))
    await asyncio.shield(leaving)


def _finished(state: ChatState, connection: Connection, leaving: asyncio.Future[None]) -> None:
    if not leaving.cancelled() and (error := leaving.exception()) is not None:
        log.error("the room failed to let %r go", connection.identity.name, exc_info=error)
    state.connections.discard(connection)
    connection.finish()
    log.info("socket closed for %r", connection.identity.name)


async def _serve(state: ChatState, connection: Connection, address: str) -> None:
    room = state.room
    if not await room.enter(connection, address):
        code, reason = connection.queue.closing or (Close.SIGNED_OUT, "")
        await _close(room, code, reason)
        return
    async with asyncio.TaskGroup() as group:
        reader = group.create_task(_read(room, connection))
        writer = connection.writer = group.create_task(_write(room, connection))
        writer.add_done_callback(lambda _: reader.cancel())
        reader.add_done_callback(lambda _: writer.cancel())


async def _write(room: Room, connection: Connection) -> None:
    try:
        code, reason = await connection.queue.drain(websocket.send)
    except QueueFull:
        return  # chat_socket closes it, once the room has let it go
    await _close(room, code, reason)


async def _close(room: Room, code: int, reason: str) -> None:
    if code >= 4000:
        # The browser's close event does not reach htmx with its reason: say it in the page.
        await websocket.send(room.render.closed_banner(reason))
    await websocket.close(code, reason[:120])


async def _read(room: Room, connection: Connection) -> None:
    limits = room.settings.limits
    frames = RateLimiter(limits.frames_per_second, limits.frame_burst)
    messages = RateLimiter(limits.messages_per_second, limits.message_burst)
    reactions = RateLimiter(limits.reactions_per_second, limits.reaction_burst)
    while True:
        raw = await websocket.receive()
        try:
            if not frames.allow():
                raise FrameError("You are sending too fast; slow down a little.")
            frame = parse_frame(raw, max_bytes=limits.max_frame_bytes)
            if isinstance(frame, PostMessage) and not messages.allow():
                raise FrameError("You are sending messages too fast; that one was not sent.")
            if isinstance(frame, React) and not reactions.allow():
                raise FrameError("You are reacting too fast; slow down a little.")
            await room.handle(connection, frame)
        except FrameError as error:
            room.tell(connection, str(error))
        except Exception:
            log.exception("error handling a frame from %r", connection.identity.name)
            room.tell(connection, "Something went wrong on the server with that; please try again.")
