"""What a client can make the server hold: a compression bomb and a huge plain frame, against the
real server. Either way the sender is closed with 1009 and dropped (they leave the who list),
the server's memory does not grow by the bomb's size, and everyone else carries on."""

from __future__ import annotations

import asyncio
import base64
import os
import zlib
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support import ChatClient, Server, sign_in

INFLATED = 64 << 20  # what the bomb inflates to: a thousand times the default MaxFrameBytes
PLAIN = 32 << 20
MB = 1 << 20


class RawSocket:
    """A WebSocket client that sends whatever it is told to, and never answers a close."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, deflate: bool) -> None:
        self.reader = reader
        self.writer = writer
        self.deflate = deflate

    @classmethod
    async def open(cls, server: Server, cookie: str, *, deflate: bool) -> RawSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        key = base64.b64encode(os.urandom(16)).decode()
        offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if deflate else ""
        writer.write(
            (
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: {server.url}\r\n{offer}Cookie: barertc_session={cookie}\r\n\r\n"
            ).encode()
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        assert head.startswith("http/1.1 101"), head
        assert ("permessage-deflate" in head) == deflate, head
        return cls(reader, writer, deflate)

    @staticmethod
    def header(length: int, compressed: bool) -> bytes:
        first = 0xC1 if compressed else 0x81  # FIN, [RSV1,] text
        if length < 65536:
            size = bytes((first, 0x80 | 126)) + length.to_bytes(2, "big")
        else:
            size = bytes((first, 0x80 | 127)) + length.to_bytes(8, "big")
        return size + b"\0\0\0\0"  # masked with the key 0: the payload as is

    async def send_bomb(self) -> None:
        """One compressed frame of ~64 KiB that inflates to 64 MiB of JSON text."""
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        opening = b'{"action": "message", "channel": "lobby", "text": "'
        body = deflater.compress(opening) + deflater.compress(b"a" * INFLATED) + deflater.compress(b'"}')
        body += deflater.flush(zlib.Z_SYNC_FLUSH)
        self.writer.write(self.header(len(body) - 4, compressed=True) + body[:-4])
        await self.writer.drain()

    async def send_plain(self) -> None:
        """One uncompressed 32 MiB frame, written a megabyte at a time for as long as the server reads."""
        self.writer.write(self.header(PLAIN, compressed=False))
        chunk = b"a" * MB
        try:
            for _ in range(PLAIN // MB):
                self.writer.write(chunk)
                await asyncio.wait_for(self.writer.drain(), 10)
        except (ConnectionError, TimeoutError):
            pass  # dropped, as it should be

    async def close_code(self) -> int | None:
        """Read frames until the server's close; its code (None if the connection just ended)."""
        while True:
            try:
                head = await self.reader.readexactly(2)
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            length = head[1] & 0x7F
            if length == 126:
                length = int.from_bytes(await self.reader.readexactly(2), "big")
            elif length == 127:
                length = int.from_bytes(await self.reader.readexactly(8), "big")
            payload = await self.reader.readexactly(length)
            if head[0] & 0x0F == 8:
                return int.from_bytes(payload[:2], "big")

    async def dropped(self) -> bool:
        """True once the server has closed the TCP connection, though we never answered its close."""
        try:
            while await self.reader.read(65536):
                pass
        except ConnectionError:
            pass
        return True

    def close(self) -> None:
        self.writer.close()


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def arrived(name: str) -> Callable[[str], bool]:
    return lambda text: f"{name}</strong> has joined the room" in text


def left(name: str) -> Callable[[str], bool]:
    return lambda text: f"{name}</strong> has exited the room" in text


async def test_a_compression_bomb_and_a_huge_frame_are_closed_with_1009_and_dropped(server: Server) -> None:
    assert server.process is not None
    pid = server.process.pid
    alice = await ChatClient.join(server.url, "alice")
    for name, deflate in (("bomber", True), ("flooder", False)):
        cookie, _ = await asyncio.to_thread(sign_in, server.url, name)
        attacker = await RawSocket.open(server, cookie, deflate=deflate)
        await alice.wait_for(arrived(name))
        seen = len(alice.frames)
        reset_peak(pid)
        before = status_kb(pid, "VmRSS")

        closing = asyncio.create_task(attacker.close_code())
        await (attacker.send_bomb() if deflate else attacker.send_plain())
        assert await asyncio.wait_for(closing, 10) == 1009
        assert await asyncio.wait_for(attacker.dropped(), 10)
        attacker.close()

        growth_mb = (status_kb(pid, "VmHWM") - before) / 1024
        assert growth_mb < 16, f"the server's peak memory grew by {growth_mb:.0f} MB for {name}"
        await alice.wait_for(left(name), since=seen)
        async with httpx.AsyncClient(base_url=server.url) as http:
            present = (await http.get("/api/statistics")).json()["Usernames"]
        assert name not in present
    await alice.say("still here")
    await alice.wait_for(lambda text: "still here" in text)
    assert "dropped 'bomber': sent a message over" in server.log()
