"""Test support: run the real server in a subprocess, and talk to it as a browser would."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import tomlkit
import websockets
from websockets.asyncio.client import ClientConnection

from app.settings import defaults_document

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_settings(path: Path, **overrides: Any) -> Path:
    """A settings file with defaults, no STUN servers (tests stay on loopback), and overrides.

    Keys are TOML keys; a dict value merges into that table (`JWT={"Enabled": True}`).
    """
    doc = defaults_document()
    doc["TURN"]["URLs"] = []
    # Hypercorn's keep-alive pinger outlives a closed socket until its next tick, and holds up
    # shutdown for the graceful timeout meanwhile: tests that do not test pings turn them off.
    doc["Limits"]["PingIntervalSeconds"] = 0
    # Every test client comes from 127.0.0.1: the per-address limits are off unless a test of
    # them turns them on.
    for limit in ("SignInsPerMinute", "NamesPerAddress", "SocketsPerAddress"):
        doc["Limits"][limit] = 0
    for key, value in overrides.items():
        if isinstance(value, dict):
            for sub_key, sub_value in value.items():
                doc[key][sub_key] = sub_value
        else:
            doc[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


class Server:
    """`python -m app` on a free loopback port."""

    def __init__(self, settings_path: Path, env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings_path = settings_path
        self.log_path = settings_path.with_suffix(f".{self.port}.log")
        self._env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "app",
            "--address",
            f"127.0.0.1:{self.port}",
            "--settings",
            str(self.settings_path),
        ]

    def start(self) -> Server:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT, env=self._env
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not start: {self.log()}")

    def stop(self) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class RedisServer:
    """A private `redis-server` on a free loopback port, with nothing saved to disk."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def running_server(tmp_path: Path, **overrides: Any) -> Iterator[Server]:
    server = Server(write_settings(tmp_path / "settings.toml", **overrides)).start()
    try:
        yield server
    finally:
        server.stop()


def sign_in(base_url: str, username: str) -> tuple[str, str]:
    """Sign in as a guest; returns (session cookie value, the name the server gave)."""
    with httpx.Client(base_url=base_url, follow_redirects=False) as client:
        response = client.post("/login", data={"username": username})
        assert response.status_code == 302, response.text
        cookie = client.cookies["barertc_session"]
        page = client.get("/").text
    match = re.search(r'data-me="([^"]*)"', page)
    assert match, page[:500]
    return cookie, match.group(1)


def sign_in_with_token(base_url: str, token: str, *, post: bool = False) -> tuple[str, str]:
    """Arrive from the host site with a token (GET /?jwt= or POST /); returns (cookie, name)."""
    with httpx.Client(base_url=base_url, follow_redirects=False) as client:
        response = client.post("/", data={"jwt": token}) if post else client.get("/", params={"jwt": token})
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/"
        cookie = client.cookies["barertc_session"]
        page = client.get("/").text
    match = re.search(r'data-me="([^"]*)"', page)
    assert match, page[:500]
    return cookie, match.group(1)


def read_ws_frame(sock: socket.socket) -> tuple[int, bytes]:
    """The next frame a server sends on a raw socket after the handshake: (opcode, payload)."""

    def read_exactly(count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = sock.recv(count - len(data))
            assert chunk, "the server closed the socket"
            data += chunk
        return data

    first, second = read_exactly(2)
    length = second & 0x7F
    if length >= 126:
        length = int.from_bytes(read_exactly(2 if length == 126 else 8), "big")
    return first & 0x0F, read_exactly(length)


class Received:
    """A browser's socket as a test sees it, whatever carries it: what arrived, in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.frames: list[str] = []
        self.closed: tuple[int, str] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()

    def _received(self, frame: str) -> None:
        self.frames.append(frame)
        self._arrived.set()

    def _ended(self, code: int, reason: str) -> None:
        self.closed = (code, reason)
        self._arrived.set()

    async def send_raw(self, text: str) -> None:
        raise NotImplementedError

    async def send(self, **fields: Any) -> None:
        await self.send_raw(json.dumps({**fields, "headers": {"HX-Request": "true"}}))

    async def say(self, text: str, channel: str = "lobby") -> None:
        await self.send(action="message", channel=channel, text=text)

    def text(self) -> str:
        return "".join(self.frames)

    async def wait_for(self, predicate: Callable[[str], object], timeout: float = 5.0, *, since: int = 0) -> str:
        """Wait until some received frame (from index `since` on) satisfies `predicate`."""
        deadline = asyncio.get_running_loop().time() + timeout
        seen = since
        while True:
            for frame in self.frames[seen:]:
                if predicate(frame):
                    return frame
            seen = len(self.frames)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or (self.closed is not None and seen == len(self.frames)):
                raise AssertionError(
                    f"{self.name}: not received in {timeout}s; closed={self.closed}; got: {self.text()[-1500:]}"
                )
            self._arrived.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def wait_closed(self, timeout: float = 5.0) -> tuple[int, str]:
        assert self._reader is not None
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        assert self.closed is not None
        return self.closed

    async def quiet(self, seconds: float = 0.3) -> None:
        """Let in-flight frames arrive."""
        await asyncio.sleep(seconds)


class ChatClient(Received):
    """A browser's socket to a real server over a real WebSocket."""

    opened: ClassVar[list[ChatClient]] = []  # closed after each integration test, even a failed one

    def __init__(self, server_url: str, cookie: str, name: str) -> None:
        super().__init__(name)
        self.server_url = server_url
        self.cookie = cookie
        self.ws: ClientConnection | None = None

    @classmethod
    async def join(cls, server_url: str, username: str, *, wait: bool = True) -> ChatClient:
        cookie, name = await asyncio.to_thread(sign_in, server_url, username)
        client = cls(server_url, cookie, name)
        await client.connect()
        if wait:
            await client.wait_for(lambda text: 'id="who-list"' in text)
        return client

    @classmethod
    async def join_with_token(cls, server_url: str, token: str, *, post: bool = False) -> ChatClient:
        cookie, name = await asyncio.to_thread(sign_in_with_token, server_url, token, post=post)
        client = cls(server_url, cookie, name)
        await client.connect()
        await client.wait_for(lambda text: 'id="who-list"' in text)
        return client

    async def connect(self, origin: str | None = None, headers: dict[str, str] | None = None) -> None:
        ws_url = self.server_url.replace("http://", "ws://") + "/ws"
        self.frames = []
        self.closed = None
        self.ws = await websockets.connect(
            ws_url,
            origin=origin or self.server_url,  # type: ignore[arg-type]
            additional_headers={"Cookie": f"barertc_session={self.cookie}", **(headers or {})},
            max_size=None,
        )
        self._reader = asyncio.create_task(self._read())
        ChatClient.opened.append(self)

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for frame in self.ws:
                self._received(frame if isinstance(frame, str) else frame.decode())
        except websockets.ConnectionClosed:
            pass
        rcvd = self.ws.protocol.close_rcvd
        self._ended(*((rcvd.code, rcvd.reason) if rcvd else (1006, "")))

    async def send_raw(self, text: str) -> None:
        assert self.ws is not None
        await self.ws.send(text)

    async def leave(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader


def postgres_binaries() -> Path | None:
    """Debian's PostgreSQL server programs (package `postgresql`), the newest version installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda path: int(path.parts[-3]))
    return found[-1].parent if found else None


class PostgresServer:
    """A private PostgreSQL cluster on a free loopback port, in a folder of its own, fsync off.

    PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user and
    its programs run through `runuser`. Clients connect over TCP as `barertc`, trusted."""

    USER = "barertc"

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="barertc-pg-"))
        self.data = self.directory / "data"
        self.process: subprocess.Popen[bytes] | None = None
        self._databases = itertools.count(1)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")

    def _as_owner(self, *command: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)

    def start(self) -> PostgresServer:
        if not self.data.exists():
            subprocess.run(
                self._as_owner(
                    str(self.binaries / "initdb"), "-D", str(self.data), "-U", self.USER,
                    "--auth=trust", "-E", "UTF8", "--locale=C",
                ),
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
        self.process = subprocess.Popen(
            self._as_owner(
                str(self.binaries / "postgres"), "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            ),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.process.returncode}")
            ready = subprocess.run(
                [str(self.binaries / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)], check=False
            )
            if ready.returncode == 0:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"postgres did not start on port {self.port}")

    def stop(self) -> None:
        """Stop the server (a fast shutdown: clients are disconnected); the cluster stays."""
        if self.process is not None and self.process.poll() is None:
            # the postmaster itself (runuser does not pass signals on): SIGINT is a fast shutdown
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGINT)
            self.process.wait(timeout=30)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{self.USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = f"test_{os.getpid()}_{next(self._databases)}"
        subprocess.run(
            [str(self.binaries / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.USER, name],
            check=True,
        )
        return self.url(name)


class WebhookReceiver:
    """A real HTTP server on a free loopback port that takes the chat's webhook POSTs.

    It keeps each call's path and JSON body (`calls`) and answers with `status` and `answer`
    (JSON); while `hanging` it holds every request open without answering, until `release()`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.status = 200
        self.answer: dict[str, Any] = {}
        self._open = threading.Event()
        self._open.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"null")
                receiver.calls.append((self.path, body))
                receiver._open.wait(30)
                reply = json.dumps(receiver.answer).encode()
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hang(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for called, body in self.calls if called == path]

    async def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The JSON bodies posted to `path`, once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        while len(self.bodies(path)) < count:
            assert time.monotonic() < deadline, f"{count} calls to {path} expected; got {self.calls}"
            await asyncio.sleep(0.05)
        return self.bodies(path)
