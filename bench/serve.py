"""`python -m bench serve`: the chat server with the settings the bench needs.

Everything stays at its default except what the slow scenario's 16 KB messages need:
`Limits.MaxMessageLength = 20000` (the frame carrying one is under the default 64 KiB
`MaxFrameBytes`), and JWT on (not strict) with the bench's own key, so that the dm scenario's
users are members; `--history` turns DM history on (SQLite beside the settings file). The
default rate limits stay (the bench uses enough senders instead), and so do the per-address
limits: the crowd connects from 200 loopback addresses (`bench.client.source_address`).

With `--workers N` (N > 1) it starts a private `redis-server` on a free port (unless
`--redis URL` names one) and serves `python -m app --workers N` over it: the server process's
tree (main process, workers, Redis) is what the bench meters.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

from app.settings import defaults_document
from bench.dms import BENCH_JWT_SECRET

BENCH_LIMITS: dict[str, int] = {"MaxMessageLength": 20000}


def write_bench_settings(path: Path, *, history: bool = False) -> Path:
    """Bench settings; members may sign in with tokens signed by the bench (the dm scenario), and
    `history` saves their DMs in a SQLite file beside the settings."""
    doc = defaults_document()
    doc["TURN"]["URLs"] = []
    for key, value in BENCH_LIMITS.items():
        doc["Limits"][key] = value
    doc["JWT"]["Enabled"] = True
    doc["JWT"]["Strict"] = False
    doc["JWT"]["SecretKey"] = BENCH_JWT_SECRET
    doc["DirectMessageHistory"]["Enabled"] = history
    path.write_text(doc.as_string(), encoding="utf-8")
    return path


def serve(
    port: int, settings: Path | None, workers: int = 1, redis: str | None = None, *, history: bool = False
) -> None:
    """Replace this process with `python -m app` on 127.0.0.1:PORT (so --pid is the server)."""
    if settings is None:
        settings = Path(tempfile.mkdtemp(prefix="barertc-bench-")) / "settings.toml"
    if not settings.exists():
        write_bench_settings(settings, history=history)
    if workers > 1 and redis is None:
        redis = start_redis(free_port(), settings.parent)
    if redis is not None:
        os.environ["BARERTC_REDIS_URL"] = redis
    print(
        f"bench server on http://127.0.0.1:{port} (settings {settings}, pid {os.getpid()}, "
        f"{workers} worker(s){', redis ' + redis if redis else ''})",
        file=sys.stderr,
    )
    sys.stderr.flush()
    os.execv(
        sys.executable,
        [sys.executable, "-m", "app", "--address", f"127.0.0.1:{port}", "--settings", str(settings)]
        + (["--workers", str(workers)] if workers > 1 else []),
    )


def free_port() -> int:
    """A port nothing listens on now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_redis(port: int, directory: Path) -> str:
    """A private redis-server on 127.0.0.1:PORT, without persistence; it exits with this process
    (it is this process's child, and this process becomes the server)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("bench serve --workers needs redis-server on PATH, or --redis URL")
    redis = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if redis.poll() is not None:  # it could not listen there: never mistake another server for it
            raise SystemExit(f"redis-server exited with status {redis.returncode} (is port {port} free?)")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    raise SystemExit(f"redis-server did not listen on port {port}")


def _die_with_parent() -> None:
    """PR_SET_PDEATHSIG: SIGTERM when the server process (our parent after exec) ends."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


@asynccontextmanager
async def fresh_server(
    port: int, workers: int = 1, startup: float = 30.0, *, history: bool = False
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bench serve --port PORT [--workers N]` in a child process, until the block ends."""
    if await _answers(port):
        raise RuntimeError(f"port {port} is taken: --fresh starts its own server there")
    with tempfile.TemporaryFile() as log:  # the server's stderr, said if it does not start
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench",
            "serve",
            "--port",
            str(port),
            *(["--history"] if history else []),
            "--workers",
            str(workers),
            stderr=log,
        )
        try:
            await _until_listening(port, child, startup, log)
            yield child
        finally:
            if child.returncode is None:
                child.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(child.wait(), 20)
                except TimeoutError:
                    child.kill()
                    await child.wait()


async def _until_listening(port: int, child: asyncio.subprocess.Process, startup: float, log: IO[bytes]) -> None:
    deadline = asyncio.get_running_loop().time() + startup
    while True:
        if child.returncode is not None:
            log.seek(0)
            said = log.read().decode(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(
                "; ".join([f"the bench server exited with status {child.returncode} (is port {port} free?)", *said])
            )
        if await _answers(port):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"the bench server did not listen on port {port} within {startup:g} s")
        await asyncio.sleep(0.1)


async def _answers(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True
