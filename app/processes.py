"""How the chat's processes are run: Hypercorn's configuration, and how many of them.

Without Redis, the room lives in one process's memory: two workers would be two rooms that
cannot see each other. So asking for more than one worker with no `[Redis] URL` stops start-up
with a message that says what to configure: `python -m app --workers N` checks its option, and
`create_app()` checks the Hypercorn configuration that is loading it
(`hypercorn 'app:create_app()' --workers N`, or `workers` in a Hypercorn config file).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType

from hypercorn.config import Config, Sockets

from app.settings import Settings


class ChatConfig(Config):
    """Hypercorn's config, with a capped kernel send buffer on the listening sockets.

    Linux copies SO_SNDBUF to every accepted socket. Without a cap the kernel grows a
    stalled client's buffer to megabytes (net.ipv4.tcp_wmem), and the send queue only
    notices the client stopped reading after all that has filled.
    """

    send_buffer = 0

    def create_sockets(self) -> Sockets:
        sockets = super().create_sockets()
        for sock in [*sockets.insecure_sockets, *sockets.secure_sockets]:
            if self.send_buffer and sock.type == socket.SOCK_STREAM:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer)
        return sockets


def hypercorn_config(settings: Settings, host: str, port: int) -> ChatConfig:
    config = ChatConfig()
    config.send_buffer = settings.limits.socket_send_buffer
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.accesslog = None
    config.websocket_ping_interval = settings.limits.ping_interval_seconds or None
    config.websocket_max_message_size = max(settings.limits.max_frame_bytes * 4, 1 << 20)
    config.graceful_timeout = 3.0
    return config


def needs_redis_message(workers: int) -> str:
    return (f"{workers} worker processes asked for, but no Redis is configured: each worker would hold "
            "a separate chat room. Set [Redis] URL in settings.toml (or the BARERTC_REDIS_URL environment "
            "variable) to a redis://host:port/db URL so the workers form one chat, or run one worker.")


def single_room_problem(settings: Settings, workers: int) -> str | None:
    """Why this many workers cannot run with these settings, or None when they can."""
    if workers > 1 and not settings.redis.url:
        return needs_redis_message(workers)
    return None


@dataclass(frozen=True)
class Worker:
    """What this process knows of the Hypercorn worker setup that is loading the app."""

    count: int = 1
    shutdown: EventType | None = None  # set by Hypercorn's main process to stop its workers


def hypercorn_worker() -> Worker:
    """The Hypercorn worker setup loading the app; `Worker()` when none is.

    Hypercorn's worker function loads the application with its `Config` and the workers'
    shutdown event in local variables; that configuration (from the command line or a config
    file) is the only place the count is known inside a worker process.
    """
    frame = sys._getframe(1)
    while frame is not None:
        config = frame.f_locals.get("config")
        if isinstance(config, Config):
            shutdown = frame.f_locals.get("shutdown_event")
            return Worker(int(config.workers), shutdown if isinstance(shutdown, EventType) else None)
        frame = frame.f_back  # type: ignore[assignment]
    return Worker()


def stop_on_sigterm(shutdown: EventType) -> None:
    """In a Hypercorn worker: take SIGTERM as the signal to stop gracefully.

    Hypercorn's main process sets the shared event on SIGTERM, but as soon as the first worker
    has finished it terminates the others with SIGTERM, which a worker does not handle: one still
    closing its sockets would die with them half-closed (browsers see 1006, not 1012). Setting
    the event instead lets that worker finish the same way as the first."""
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, shutdown.set)


async def wait_for_shutdown(shutdown: EventType) -> None:
    """Return once Hypercorn's main process tells its workers to stop (it polls the same way)."""
    while not shutdown.is_set():
        await asyncio.sleep(0.1)
