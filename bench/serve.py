"""`python -m bench serve`: the chat server with the settings the bench needs.

Everything stays at its default except what the slow scenario's 16 KB messages need:
`Limits.MaxMessageLength = 20000` (the frame carrying one is under the default 64 KiB
`MaxFrameBytes`), and JWT on (not strict) with the bench's own key, so that the dm scenario's
users are members; `--history` turns DM history on (SQLite beside the settings file). The
default rate limits stay (the bench uses enough senders instead), and so do the per-address
limits: the crowd connects from 200 loopback addresses (`bench.client.source_address`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

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


def serve(port: int, settings: Path | None, *, history: bool = False) -> None:
    """Replace this process with `python -m app` on 127.0.0.1:PORT (so --pid is the server)."""
    if settings is None:
        settings = Path(tempfile.mkdtemp(prefix="barertc-bench-")) / "settings.toml"
    if not settings.exists():
        write_bench_settings(settings, history=history)
    print(f"bench server on http://127.0.0.1:{port} (settings {settings}, pid {os.getpid()})", file=sys.stderr)
    sys.stderr.flush()
    os.execv(
        sys.executable, [sys.executable, "-m", "app", "--address", f"127.0.0.1:{port}", "--settings", str(settings)]
    )


@asynccontextmanager
async def fresh_server(
    port: int, startup: float = 30.0, *, history: bool = False
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bench serve --port PORT` in a child process, until the block ends."""
    if await _answers(port):
        raise RuntimeError(f"port {port} is taken: --fresh starts its own server there")
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench",
        "serve",
        "--port",
        str(port),
        *(["--history"] if history else []),
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await _until_listening(port, child, startup)
        yield child
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(child.wait(), 20)
            except TimeoutError:
                child.kill()
                await child.wait()


async def _until_listening(port: int, child: asyncio.subprocess.Process, startup: float) -> None:
    deadline = asyncio.get_running_loop().time() + startup
    while True:
        if child.returncode is not None:
            raise RuntimeError(f"the bench server exited with status {child.returncode} (is port {port} free?)")
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
