"""The /ws endpoint: one socket per tab, one reader and one writer per socket.

The reader parses and limits what the browser sends and hands each frame to the room; the
writer drains the connection's bounded send queue. Both run in one TaskGroup: when either
ends, the other is cancelled, and the room is told the connection left.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator
from contextlib import suppress
from urllib.parse import urlsplit

from quart import Blueprint, current_app, session, websocket

from app.auth import session_identity
from app.chat.model import Identity
from app.chat.protocol import FrameError, RateLimiter, parse_frame
from app.chat.room import CLOSE_SIGNED_OUT, CLOSE_TOO_SLOW, Room
from app.settings import Limits
from app.web.client_ip import client_ip
from app.web.send_queue import DATA, HTML, PacingClock, QueueFull, SendQueue, Watchdog

log = logging.getLogger("app.socket")
TOO_SLOW = "You were disconnected because your connection fell behind."
CLOSE_WAIT_SECONDS = 1.0
WATCHDOG = "SEND_WATCHDOG"
PACING = "SEND_PACING"
blueprint = Blueprint("socket", __name__)


class Connection:
    """One browser tab's socket, as the room sees it (an `Outlet`)."""

    def __init__(self, identity: Identity, limits: Limits, clock: PacingClock) -> None:
        self.identity = identity
        self.conn_id = uuid.uuid4().hex
        self.threads: set[str] = set()
        self.queue = SendQueue(limits.send_queue_frames, limits.send_queue_bytes, limits.send_timeout_seconds,
                               self._cut_off, clock)
        self.writer: asyncio.Task[None] | None = None

    def send_html(self, html: str) -> bool:
        return self.queue.put(HTML, html)

    def send_data(self, data: str) -> bool:
        return self.queue.put(DATA, data)

    def close(self, code: int, reason: str) -> None:
        self.queue.close(code, reason)

    def _cut_off(self) -> None:
        if self.writer is not None:
            self.writer.cancel()  # it may be blocked in a send that will never return


def origin_allowed(origin: str | None, host: str, cors_hosts: tuple[str, ...]) -> bool:
    """The page's own origin, or one the operator listed in CORSHosts."""
    if not origin:
        return False
    if origin.rstrip("/") in cors_hosts:
        return True
    return urlsplit(origin).netloc.lower() == host.lower()


@blueprint.websocket("/ws")
async def chat_socket() -> None:
    room: Room = current_app.config["ROOM"]
    settings = room.settings
    origin = websocket.headers.get("Origin")
    if not origin_allowed(origin, websocket.host, settings.cors_hosts):
        log.warning("refused socket from %s: origin %r", client_ip(websocket, settings), origin)
        await websocket.close(1008, "Origin not allowed")  # before accept: an HTTP 403
        return
    identity = session_identity(session.get("identity"), settings)
    await websocket.accept()
    if identity is None:
        await websocket.close(CLOSE_SIGNED_OUT, "Please sign in.")
        return
    log.info("socket open %s as %r", client_ip(websocket, settings), identity.name)
    connection = Connection(identity, settings.limits, current_app.config[PACING])
    watchdog: Watchdog | None = current_app.config.get(WATCHDOG)
    if watchdog is not None:
        watchdog.queues.add(connection.queue)
    try:
        await _serve(room, connection)
    finally:
        if watchdog is not None:
            watchdog.queues.discard(connection.queue)
        await asyncio.shield(room.leave(connection))
        log.info("socket closed for %r", identity.name)
    if connection.queue.overflowed:
        log.warning("cut off %r: stopped reading (send queue full)", identity.name)
        # The close frame waits behind what the kernel still holds: a client that reads again
        # gets it; one that never does is not waited for.
        with suppress(TimeoutError):
            await asyncio.wait_for(websocket.close(CLOSE_TOO_SLOW, TOO_SLOW), CLOSE_WAIT_SECONDS)


@blueprint.while_app_serving
async def _watch_sends() -> AsyncGenerator[None, None]:
    room: Room = current_app.config["ROOM"]
    current_app.config[PACING] = PacingClock(room.settings.limits.coalesce_milliseconds / 1000)
    watchdog = current_app.config[WATCHDOG] = Watchdog()
    task = asyncio.create_task(watchdog.run())
    yield
    task.cancel()


async def _serve(room: Room, connection: Connection) -> None:
    if not await room.enter(connection):
        code, reason = connection.queue.closing or (CLOSE_SIGNED_OUT, "")
        await _close(connection, code, reason)
        return
    async with asyncio.TaskGroup() as group:
        reader = group.create_task(_read(room, connection))
        writer = connection.writer = group.create_task(_write(connection))
        writer.add_done_callback(lambda _: reader.cancel())
        reader.add_done_callback(lambda _: writer.cancel())


async def _write(connection: Connection) -> None:
    try:
        code, reason = await connection.queue.drain(websocket.send)
    except QueueFull:
        return  # chat_socket closes it, once the room has let it go
    await _close(connection, code, reason)


async def _close(connection: Connection, code: int, reason: str) -> None:
    if code >= 4000:
        # The browser's close event does not reach htmx with its reason: say it in the page.
        notice = current_app.config["ROOM"].render.closed_banner(reason)
        await websocket.send(notice)
    await websocket.close(code, reason[:120])


async def _read(room: Room, connection: Connection) -> None:
    limits = room.settings.limits
    frames = RateLimiter(limits.frames_per_second, limits.frame_burst)
    messages = RateLimiter(limits.messages_per_second, limits.message_burst)
    while True:
        raw = await websocket.receive()
        try:
            if not frames.allow():
                raise FrameError("You are sending too fast; slow down a little.")
            frame = parse_frame(raw, max_bytes=limits.max_frame_bytes)
            if frame.action == "message" and not messages.allow():
                raise FrameError("You are sending messages too fast; that one was not sent.")
            await room.handle(connection, frame)
        except FrameError as error:
            room.tell(connection, str(error))
        except Exception:
            log.exception("error handling a frame from %r", connection.identity.name)
            room.tell(connection, "Something went wrong on the server with that; please try again.")
