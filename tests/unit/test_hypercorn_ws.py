"""The module that reaches below Hypercorn's ASGI interface (app/web/hypercorn_ws.py): this
Hypercorn has the shape it relies on, a real Hypercorn connection gets the bounded buffer,
the bounded inflater and the direct frame writer, and the shared frames are what a client
decodes. These fail when a Hypercorn upgrade changes what the module relies on."""

from __future__ import annotations

import asyncio
import socket
import zlib
from typing import Any

import pytest
import websockets
from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.protocol.ws_stream import WSStream

from app.web import hypercorn_ws, ws_frames
from app.web.hypercorn_ws import BoundedBuffer, BoundedDeflate, Budget, HypercornChanged


def test_this_hypercorn_has_the_shape_the_module_relies_on() -> None:
    hypercorn_ws.install()
    from hypercorn.protocol import ws_stream

    assert getattr(ws_stream, "PerMessageDeflate") is BoundedDeflate  # noqa: B009 - not exported


def test_a_changed_hypercorn_is_refused_with_a_message_that_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    async def reads_without_a_buffer(self: Any) -> None:
        return None

    monkeypatch.setattr(WSStream, "_handle_events", reads_without_a_buffer)
    with pytest.raises(HypercornChanged, match="reads messages through its buffer"):
        hypercorn_ws.check()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_a_real_hypercorn_socket_is_guarded_and_written_to_directly() -> None:
    hypercorn_ws.install()
    found: dict[str, object] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        guarded = hypercorn_ws.guard(send, hold=100, cap=400, on_trip=lambda: found.update(tripped=True))
        found["guarded"] = guarded
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        assert guarded is not None and guarded.writer is not None
        await guarded.writer.send_text("<p>hello</p>")
        found["ready"] = guarded.writer.ready()
        guarded.writer.write_now("<p>at once</p>")  # the send queue's path while its writer is idle
        found["echo"] = await receive()
        found["oversized"] = await receive()
        await receive()

    config = Config()
    port = free_port()
    config.bind = [f"127.0.0.1:{port}"]
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    try:
        for _ in range(100):
            try:
                client = await websockets.connect(f"ws://127.0.0.1:{port}/ws")
                break
            except OSError:
                await asyncio.sleep(0.05)
        async with client:
            assert client.protocol.extensions, "permessage-deflate was negotiated"
            assert await client.recv() == "<p>hello</p>"  # a shared frame, deflated, decoded by a client
            assert await client.recv() == "<p>at once</p>"
            await client.send("x" * 50)
            await client.send("y" * 150)  # over hold: counted, not held
            await client.send("z" * 500)  # over the cap: closed with 1009
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await client.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    finally:
        stop.set()
        await server
    guarded = found["guarded"]
    assert isinstance(guarded, hypercorn_ws.Guarded) and guarded.budget.deflate
    assert found["echo"] == {"type": "websocket.receive", "text": "x" * 50, "bytes": None}
    assert found["oversized"] == {"type": "websocket.receive", "text": None, "bytes": None, hypercorn_ws.OVERSIZED: 150}
    assert found["tripped"] is True
    assert found["ready"] is True


def test_a_text_compresses_once_to_the_bytes_every_socket_gets() -> None:
    cache = ws_frames.FrameCache()
    text = "<li>row</li>" * 50
    first, again = cache.frame(text, True), cache.frame(text, True)
    assert first is again and cache.built == 1
    assert first[0] == ws_frames.FIN_TEXT_DEFLATED
    payload = first[4:] if first[1] == 126 else first[2:]
    assert zlib.decompressobj(-15).decompress(payload + ws_frames.DEFLATE_TAIL) == text.encode()
    assert cache.frame(text, False) == ws_frames.frame_header(ws_frames.FIN_TEXT, len(text)) + text.encode()


def test_the_inflater_stops_at_the_cap_and_a_smaller_server_window_is_declined() -> None:
    budget = Budget(hold=10, cap=1000)
    deflate = BoundedDeflate()
    deflate.budget = budget
    assert deflate.accept("permessage-deflate; server_max_window_bits=10") is None
    deflate._decompressor = zlib.decompressobj(-15)
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = bomb.compress(b"a" * 10_000_000) + bomb.flush(zlib.Z_SYNC_FLUSH)
    assert deflate._inflate(data) == b""
    assert budget.tripped and budget.inflated == 1001


def test_the_buffer_holds_nothing_past_the_frame_limit() -> None:
    from wsproto.events import TextMessage

    budget = Budget(hold=10, cap=100)
    buffer = BoundedBuffer(budget)
    for _ in range(5):
        buffer.extend(TextMessage(data="abcdefghij", message_finished=False))
    assert buffer.parts == [] and buffer.length == 50 and not budget.tripped
    buffer.extend(TextMessage(data="x" * 60))
    assert budget.tripped and buffer.parts == []
