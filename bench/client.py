"""A lean browser stand-in: sign in over HTTP, then a hand-rolled WebSocket client.

The bench must not be the limiting factor, so the socket is an `asyncio.Protocol` that parses
frames itself and only looks for what it counts: bench messages (`bench:RUN:SENDER:SEQ:T_NS`)
and who-list rows. Frames it sends are masked as RFC 6455 requires of a client.

With `--compression deflate` it does what a browser does: it offers permessage-deflate as
Chromium does (`permessage-deflate; client_max_window_bits`), and when the server accepts,
inflates what it receives and compresses what it sends, honouring the parameters the server
answered with (RFC 7692).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from bench.tally import Tally

CLOSE_ABNORMAL = 1006


@dataclass(frozen=True)
class Target:
    """Where the server is, from `--url`."""

    host: str
    port: int
    deflate: bool = False  # offer permessage-deflate, as browsers do

    @classmethod
    def from_url(cls, url: str, deflate: bool = False) -> Target:
        parts = urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 80, deflate)

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"


class SignInFailed(Exception):
    pass


def source_address(target: Target, index: int) -> str:
    """The loopback address client `index` connects from ("" for the default). A thousand browsers
    are a thousand addresses, and the chat limits what one address may take (`Limits.
    SignInsPerMinute`, `NamesPerAddress`, `SocketsPerAddress`): spread over `SOURCES` addresses
    of 127.0.0.0/8 (all loopback on Linux), the crowd stays within the default limits."""
    if not target.host.startswith("127."):
        return ""
    return f"127.1.{index % SOURCES // 250}.{index % SOURCES % 250 + 1}"


SOURCES = 200


async def http_request(
    target: Target,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    source: str = "",
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request on its own connection; returns status, headers (lowercased), body."""
    reader, writer = await asyncio.open_connection(target.host, target.port, local_addr=(source, 0) if source else None)
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {target.host}:{target.port}",
        "Connection: close",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    try:
        raw = await reader.read(-1)
    finally:
        writer.close()
    head, _, content = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found: dict[str, str] = {}
    for line in header_lines:
        key, _, value = line.partition(":")
        found.setdefault(key.strip().lower(), value.strip())
    return int(status_line.split()[1]), found, content


async def sign_in(target: Target, username: str, source: str = "") -> str:
    """POST /login as a guest (from the address `source`); returns the session cookie's value."""
    body = urlencode({"username": username}).encode()
    status, headers, content = await http_request(
        target, "POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"}, source
    )
    cookie = re.search(r"barertc_session=([^;]+)", headers.get("set-cookie", ""))
    if status != 302 or cookie is None:
        raise SignInFailed(f"sign-in as {username!r}: HTTP {status} {content[:200]!r}")
    return cookie.group(1)


async def statistics(target: Target) -> dict[str, object]:
    status, _, content = await http_request(target, "GET", "/api/statistics")
    if status != 200:
        raise RuntimeError(f"/api/statistics: HTTP {status}")
    result: dict[str, object] = json.loads(content)
    return result


def mask(payload: bytes, key: bytes) -> bytes:
    """XOR with the 4-byte key, done as one big-integer operation (no per-byte Python loop)."""
    n = len(payload)
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(stream, "little")).to_bytes(n, "little")


def client_frame(opcode: int, payload: bytes, rsv1: bool = False) -> bytes:
    key = os.urandom(4)
    n = len(payload)
    first = 0x80 | (0x40 if rsv1 else 0) | opcode
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 65536:
        head = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + key + mask(payload, key)


CHROMIUM_OFFER = "permessage-deflate; client_max_window_bits"
TAIL = b"\x00\x00\xff\xff"


@dataclass
class Deflate:
    """permessage-deflate as the server accepted it (RFC 7692)."""

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    client_bits: int = 15
    server_bits: int = 15
    _inflater: zlib._Decompress | None = None
    _deflater: zlib._Compress | None = None

    @classmethod
    def from_response(cls, head: bytes) -> Deflate | None:
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() != "sec-websocket-extensions":
                continue
            params = [p.strip() for p in value.split(";")]
            if params[0] != "permessage-deflate":
                continue
            deflate = cls()
            for param in params[1:]:
                key, _, number = param.partition("=")
                if key == "server_no_context_takeover":
                    deflate.server_no_context_takeover = True
                elif key == "client_no_context_takeover":
                    deflate.client_no_context_takeover = True
                elif key == "client_max_window_bits" and number:
                    deflate.client_bits = int(number)
                elif key == "server_max_window_bits" and number:
                    deflate.server_bits = int(number)
            return deflate
        return None

    def inflate(self, payload: bytes) -> bytes:
        if self._inflater is None:
            self._inflater = zlib.decompressobj(-self.server_bits)
        data = self._inflater.decompress(payload + TAIL)
        if self.server_no_context_takeover:
            self._inflater = None
        return data

    def deflate(self, payload: bytes) -> bytes:
        if self._deflater is None:
            self._deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -self.client_bits)
        data = self._deflater.compress(payload) + self._deflater.flush(zlib.Z_SYNC_FLUSH)
        if self.client_no_context_takeover:
            self._deflater = None
        return data[:-4]


@dataclass
class _Parser:
    """Server frames are unmasked; continuation frames are joined; compressed messages inflated."""

    buffer: bytearray = field(default_factory=bytearray)
    partial: bytearray = field(default_factory=bytearray)
    deflate: Deflate | None = None
    partial_compressed: bool = False

    def frames(self, data: bytes) -> list[tuple[int, bytes]]:
        buf = self.buffer
        buf += data
        out: list[tuple[int, bytes]] = []
        start = 0
        while len(buf) - start >= 2:
            b0, b1 = buf[start], buf[start + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if len(buf) - start < 4:
                    break
                length, head = int.from_bytes(buf[start + 2 : start + 4], "big"), 4
            elif length == 127:
                if len(buf) - start < 10:
                    break
                length, head = int.from_bytes(buf[start + 2 : start + 10], "big"), 10
            end = start + head + length
            if len(buf) < end:
                break
            payload = bytes(buf[start + head : end])
            start = end
            opcode = b0 & 0x0F
            compressed = bool(b0 & 0x40)
            if opcode == 0 or not b0 & 0x80:
                if opcode:
                    self.partial_compressed = compressed
                self.partial += payload
                if not b0 & 0x80:
                    continue
                opcode, payload, compressed = (1, bytes(self.partial), self.partial_compressed)
                self.partial.clear()
            if compressed and self.deflate is not None:
                payload = self.deflate.inflate(payload)
            out.append((opcode, payload))
        if start:
            del buf[:start]
        return out


class BenchSocket(asyncio.Protocol):
    """One user's /ws connection; everything it receives goes through its `Tally`."""

    def __init__(self, target: Target, cookie: str, tally: Tally) -> None:
        self.target = target
        self.cookie = cookie
        self.tally = tally
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._head = b""
        self._parser = _Parser()

    # --- opening ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        offer = f"Sec-WebSocket-Extensions: {CHROMIUM_OFFER}\r\n" if self.target.deflate else ""
        request = (
            f"GET /ws HTTP/1.1\r\nHost: {self.target.host}:{self.target.port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {self.target.origin}\r\n{offer}"
            f"Cookie: barertc_session={self.cookie}\r\n\r\n"
        )
        transport.write(request.encode())

    def _handshake(self, data: bytes) -> bytes:
        self._head += data
        head, sep, rest = self._head.partition(b"\r\n\r\n")
        if not sep:
            return b""
        self._head = b""
        if self.target.deflate:
            self._parser.deflate = Deflate.from_response(head)
        if not head.startswith(b"HTTP/1.1 101"):
            self.opened.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode("latin-1")))
            assert self.transport is not None
            self.transport.close()
            return b""
        self.opened.set_result(None)
        return rest

    # --- receiving ----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if not self.opened.done():
            data = self._handshake(data)
            if not data:
                return
        now = time.monotonic_ns()
        self.tally.totals.wire_bytes += len(data)
        for opcode, payload in self._parser.frames(data):
            if opcode == 1:
                self.tally.on_text(payload, now)
            elif opcode == 9:
                self._write(10, payload)
            elif opcode == 8:
                self._on_close(payload)

    def _on_close(self, payload: bytes) -> None:
        code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
        if not self.closed.done():
            self.closed.set_result(code)
        self._write(8, payload[:2])
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(CLOSE_ABNORMAL)

    # --- sending ------------------------------------------------------------------------

    def _write(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(opcode, payload))

    @property
    def deflate(self) -> Deflate | None:
        """permessage-deflate, if the server accepted it."""
        return self._parser.deflate

    def send_json(self, fields: dict[str, object]) -> None:
        """A frame as hx-ws sends a form: the form's values plus `headers` (compressed, as a browser
        compresses it, when permessage-deflate was negotiated)."""
        payload = json.dumps({**fields, "headers": {"HX-Request": "true"}}).encode()
        deflate = self._parser.deflate
        if deflate is None:
            self._write(1, payload)
        elif self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(1, deflate.deflate(payload), rsv1=True))

    def say(self, text: str, channel: str = "lobby") -> None:
        self.send_json({"action": "message", "channel": channel, "text": text})

    def pause(self) -> None:
        """Stop reading: the server's writes back up in TCP, as with a stalled browser."""
        if self.transport is not None:
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def leave(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._write(8, (1000).to_bytes(2, "big"))
            self.transport.close()


async def open_socket(
    target: Target, cookie: str, tally: Tally, *, receive_buffer: int = 0, timeout: float = 30.0, source: str = ""
) -> BenchSocket:
    """Open /ws with the session cookie and our own Origin (from the address `source`).
    `receive_buffer` shrinks SO_RCVBUF."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    if source:
        sock.bind((source, 0))
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    try:
        await loop.sock_connect(sock, (target.host, target.port))
    except OSError:
        sock.close()
        raise
    _, protocol = await loop.create_connection(lambda: BenchSocket(target, cookie, tally), sock=sock)
    await asyncio.wait_for(asyncio.shield(protocol.opened), timeout)
    return protocol
