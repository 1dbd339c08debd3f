"""More than one worker process: refused without Redis, one chat with it (issue 8)."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import need, redis_settings
from tests.integration.test_chat import _stalled_socket
from tests.integration.test_redis import row, sees
from tests.support import ROOT, ChatClient, RedisServer, Server, read_ws_frame, sign_in, write_settings


class HypercornServer(Server):
    """`hypercorn 'app:create_app()' --workers N`, as an operator would run it."""

    def __init__(self, settings_path: Path, workers: int) -> None:
        super().__init__(settings_path, env={"BARERTC_SETTINGS": str(settings_path)})
        self.workers = workers

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "hypercorn",
            "app:create_app()",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
        ]


class WorkersServer(Server):
    """`python -m app --workers N`."""

    def __init__(self, settings_path: Path, workers: int) -> None:
        super().__init__(settings_path)
        self.workers = workers

    def command(self) -> list[str]:
        return [*super().command(), "--workers", str(self.workers)]


def test_python_m_app_refuses_two_workers_without_redis(tmp_path: Path) -> None:
    path = write_settings(tmp_path / "settings.toml")
    result = subprocess.run(
        [sys.executable, "-m", "app", "--settings", str(path), "--workers", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "2 worker processes asked for, but no Redis is configured" in result.stderr
    assert "Set [Redis] URL in settings.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_hypercorn_refuses_two_workers_without_redis(tmp_path: Path) -> None:
    server = HypercornServer(write_settings(tmp_path / "settings.toml"), workers=2)
    result = subprocess.run(server.command(), cwd=ROOT, env=server._env, capture_output=True, text=True, timeout=60)
    # It stops instead of serving two rooms. (Hypercorn 0.18's master exits with status 0 even
    # so: its final join of the terminated sibling worker overwrites the failed worker's 1.)
    assert "2 worker processes asked for, but no Redis is configured" in result.stderr
    assert "Set [Redis] URL in settings.toml" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.redis
@pytest.mark.parametrize("kind", [HypercornServer, WorkersServer])
async def test_workers_with_redis_are_one_chat_and_close_sockets_with_1012_on_sigterm(
    kind: type[HypercornServer | WorkersServer], tmp_path: Path, shared_redis: RedisServer
) -> None:
    path = write_settings(tmp_path / "settings.toml", Redis=redis_settings(shared_redis))
    server = kind(path, workers=2).start()
    try:
        names = ["ann", "ben", "cat", "dee", "eve", "fay"]
        clients = [await ChatClient.join(server.url, name) for name in names]
        for client in clients:
            await sees(client, *(row(name) for name in names), timeout=10)
        await clients[0].say("one room for all workers")
        for client in clients:
            await client.wait_for(lambda t: "one room for all workers" in t, timeout=10)
        processes = set(re.findall(r"joined the chat on Redis at \S+ as process (\w+)", server.log()))
        assert len(processes) == 2, server.log()
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)  # browsers reconnect on 1012, to a running worker
        for client in clients:
            assert (await client.wait_closed(timeout=10))[0] == 1012
    finally:
        server.stop()


def seconds_between_pings(server: Server, cookie: str) -> float:
    """Seconds between the server's first two keep-alive pings (other frames skipped)."""
    sock = _stalled_socket(server, cookie)
    sock.settimeout(10)
    pings: list[float] = []
    try:
        while len(pings) < 2:
            if read_ws_frame(sock)[0] == 9:
                pings.append(time.monotonic())
        return pings[1] - pings[0]
    finally:
        sock.close()


def server_send_buffers(port: int) -> set[int]:
    """SO_SNDBUF of the server's side of every connection to `port`, as the kernel reports it."""
    out = subprocess.run(
        ["ss", "-tmnH", "state", "established", f"( sport = :{port} )"], capture_output=True, text=True, check=True
    ).stdout
    return {int(size) for size in re.findall(r"\btb(\d+)", out)}


@pytest.mark.redis
@pytest.mark.parametrize("kind", [HypercornServer, WorkersServer])
async def test_both_launch_paths_apply_the_ping_interval_and_the_send_buffer(
    kind: type[HypercornServer | WorkersServer], tmp_path: Path, shared_redis: RedisServer
) -> None:
    need("ss (iproute2)", shutil.which("ss") is not None)
    limits = {"PingIntervalSeconds": 0.5, "SocketSendBuffer": 48 * 1024}
    path = write_settings(tmp_path / "settings.toml", Redis=redis_settings(shared_redis), Limits=limits)
    server = kind(path, workers=2).start()
    try:
        cookie, _ = await asyncio.to_thread(sign_in, server.url, "pinged")
        seconds = await asyncio.to_thread(seconds_between_pings, server, cookie)
        assert 0.3 < seconds < 3.0  # 0.5 s asked for; Hypercorn's own default is no pings at all
        client = await ChatClient.join(server.url, "buffered")
        assert server_send_buffers(server.port) == {2 * 48 * 1024}  # Linux doubles SO_SNDBUF
        await client.leave()
    finally:
        server.stop()


def test_a_second_process_on_the_in_process_broker_is_refused(tmp_path: Path) -> None:
    path = write_settings(tmp_path / "settings.toml")
    first = Server(path).start()
    try:
        second = Server(path)
        result = subprocess.run(second.command(), cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert result.returncode != 0
        assert f"another process is already serving the chat of {path}" in result.stderr
        assert "Set [Redis] URL in settings.toml" in result.stderr
        assert "Traceback" not in result.stderr
        assert httpx.get(first.url + "/").status_code == 200  # the first one is unharmed
    finally:
        first.stop()


@pytest.mark.redis
@pytest.mark.parametrize("kind", [HypercornServer, WorkersServer])
async def test_a_restart_asked_of_workers_ends_them_all_with_status_1(
    kind: type[HypercornServer | WorkersServer], tmp_path: Path, shared_redis: RedisServer
) -> None:
    key = "restart-key-" + "r" * 32
    path = write_settings(tmp_path / "settings.toml", Redis=redis_settings(shared_redis), AdminAPIKey=key)
    server = kind(path, workers=2).start()
    try:
        clients = [await ChatClient.join(server.url, name) for name in ("gus", "hal", "ida", "jan")]
        answer = await asyncio.to_thread(httpx.post, server.url + "/api/shutdown", json={"APIKey": key})
        assert answer.json() == {"OK": True}
        for client in clients:  # on either worker
            assert (await client.wait_closed(timeout=10))[0] == 1012
        assert server.process is not None
        # Hypercorn's own main process exits with 0 or 1, as its workers' ends fall (0.18: its
        # last join of the workers overwrites the status); `python -m app --workers` says 1.
        expected = {1} if kind is WorkersServer else {0, 1}
        assert await asyncio.to_thread(server.process.wait, 20) in expected, server.log()
        assert server.log().count("shutting down: closing sockets with 1012") == 2  # both workers
    finally:
        server.stop()
