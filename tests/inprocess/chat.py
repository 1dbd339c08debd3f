"""The in-process test tier: the real application, run in the test's own event loop.

`InProcessChat` starts `create_app(settings)` with its lifespan (the room, its broker, the
background tasks) and opens sockets through Quart's test client: the same pages, session cookie,
`Origin` check, socket handler, send queue and writer as a served chat, without a subprocess or
a TCP connection. It is for protocol and room-over-socket tests; what needs a real process (a
signal, workers, a Redis fault, a kernel socket buffer) stays in tests/integration/.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from quart import Quart
from quart.testing import QuartClient
from quart.testing.connections import TestWebsocketConnection, WebsocketDisconnectError

from app import create_app
from app.settings import Settings
from app.web.state import EXTENSION, ChatState
from tests.support import Received

ORIGIN = "http://localhost"  # the test client's host: the page's own origin


class _Socket(TestWebsocketConnection):
    """Quart's test socket, keeping the reason of the server's close (Quart keeps only the code)."""

    close_reason = ""

    async def _asgi_send(self, message: Any) -> None:
        if message["type"] == "websocket.close":
            self.close_reason = message.get("reason") or ""
        await super()._asgi_send(message)


class _Browser(QuartClient):
    """Quart's test client, opening sockets that keep their close reason."""

    websocket_connection_class = _Socket


class InProcessClient(Received):
    """One tab of one person: their own cookies, one socket."""

    def __init__(self, client: QuartClient, name: str) -> None:
        super().__init__(name)
        self.client = client
        self.socket: _Socket | None = None

    async def connect(self, origin: str = ORIGIN) -> None:
        self.frames, self.closed = [], None
        # ASGI 2.3 and later carry a close reason, as Hypercorn does
        socket = self.client.websocket("/ws", headers={"Origin": origin}, scope_base={"asgi": {"spec_version": "2.4"}})
        assert isinstance(socket, _Socket)
        self.socket = socket
        await socket.__aenter__()
        self._reader = asyncio.create_task(self._read(socket))

    async def _read(self, socket: _Socket) -> None:
        try:
            while True:
                frame = await socket.receive()
                self._received(frame if isinstance(frame, str) else frame.decode())
        except WebsocketDisconnectError as closed:
            code = closed.args[0] if closed.args else 1006
            self._ended(code, socket.close_reason)

    async def send_raw(self, text: str) -> None:
        assert self.socket is not None
        await self.socket.send(text)

    async def leave(self) -> None:
        if self.socket is not None and self.closed is None:
            await self.socket.disconnect()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self.socket is not None:
            await asyncio.gather(self.socket._task, return_exceptions=True)


class InProcessChat:
    """The chat application, started in this event loop."""

    def __init__(self, app: Quart) -> None:
        self.app = app
        self.clients: list[InProcessClient] = []

    @classmethod
    @asynccontextmanager
    async def running(cls, settings: Settings) -> AsyncIterator[InProcessChat]:
        app = create_app(settings)
        app.test_client_class = _Browser  # type: ignore[assignment]  # Quart types it as its protocol
        async with app.test_app():
            chat = cls(app)
            try:
                yield chat
            finally:
                for client in chat.clients:
                    await client.leave()

    @property
    def state(self) -> ChatState:
        state: ChatState = self.app.extensions[EXTENSION]
        return state

    def stranger(self, name: str = "stranger") -> InProcessClient:
        """A tab with no session at all."""
        return InProcessClient(self.browser(), name)

    def browser(self) -> QuartClient:
        """A new browser: a test client with a cookie jar of its own."""
        client = self.app.test_client()
        assert isinstance(client, QuartClient)
        return client

    async def sign_in(self, username: str) -> tuple[QuartClient, str]:
        """A browser signed in as a guest, and the name the chat gave it."""
        browser = self.browser()
        response = await browser.post("/login", form={"username": username})
        assert response.status_code == 302, await response.get_data(as_text=True)
        page = await (await browser.get("/")).get_data(as_text=True)
        match = re.search(r'data-me="([^"]*)"', page)
        assert match, page[:500]
        return browser, match.group(1)

    async def join_with_token(self, token: str) -> InProcessClient:
        """A member arriving from the host site with a token (`GET /?jwt=`), connected."""
        browser = self.browser()
        response = await browser.get("/", query_string={"jwt": token})
        assert response.status_code == 303, await response.get_data(as_text=True)
        page = await (await browser.get("/")).get_data(as_text=True)
        match = re.search(r'data-me="([^"]*)"', page)
        assert match, page[:500]
        client = InProcessClient(browser, match.group(1))
        self.clients.append(client)
        await client.connect()
        await client.wait_for(lambda text: 'id="who-list"' in text)
        return client

    async def join(self, username: str, *, wait: bool = True) -> InProcessClient:
        browser, name = await self.sign_in(username)
        client = InProcessClient(browser, name)
        self.clients.append(client)
        await client.connect()
        if wait:
            await client.wait_for(lambda text: 'id="who-list"' in text)
        return client
