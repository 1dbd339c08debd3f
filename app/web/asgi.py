"""The application's ASGI entry: Quart for everything, except the /ws socket.

`ChatApp` is Quart with one change: a websocket scope for `/ws` goes to the socket endpoint
(app/web/socket.py) as plain ASGI, instead of through Quart's websocket wrapper. Hypercorn and
Quart's test client call the application the same way, so both reach the same endpoint.
"""

from __future__ import annotations

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from quart import Quart

from app.web.socket import SOCKET_PATH, serve_socket


class ChatApp(Quart):
    async def asgi_app(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] == "websocket" and scope["path"] == SOCKET_PATH:
            await serve_socket(self, scope, receive, send)
        else:
            await super().asgi_app(scope, receive, send)
