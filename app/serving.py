"""How the chat is served: one Hypercorn configuration for both ways of starting it, how a
Hypercorn worker learns what it is, and the refusal to split one room across processes.

Two launch paths, one configuration:

- `python -m app` builds its Hypercorn `Config` with `hypercorn_config()`; with `--workers N`
  it hands it to Hypercorn's worker processes, each of which loads `create_app()`.
- `hypercorn 'app:create_app()' [--workers N]` builds a `Config` from Hypercorn's own options;
  `create_app()`, running in the worker, applies the settings to it (`apply_settings`) and caps
  the send buffer of the listening sockets it was handed.

Either way every setting that concerns serving (`Limits.PingIntervalSeconds`,
`Limits.SocketSendBuffer`, `Limits.MaxFrameBytes`) applies.

Without Redis the room lives in one process's memory: two processes would be two rooms that
cannot see each other. So more than one worker with no `[Redis] URL` stops start-up with a
message that says what to configure, and a second process that starts on the in-process
broker with the same settings file is refused too (`claim_single_process`).
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import multiprocessing
import os
import signal
import socket
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType
from typing import IO

from hypercorn.config import Config, Sockets

from app.settings import Settings

log = logging.getLogger("app.serving")


class ChatConfig(Config):
    """Hypercorn's config, with a capped kernel send buffer on the listening sockets.

    Linux copies SO_SNDBUF to every accepted socket. Without a cap the kernel grows a
    stalled client's buffer to megabytes (net.ipv4.tcp_wmem), and the send queue only
    notices the client stopped reading after all that has filled.
    """

    send_buffer = 0

    def create_sockets(self) -> Sockets:
        sockets = super().create_sockets()
        cap_send_buffer(sockets, self.send_buffer)
        return sockets


def cap_send_buffer(sockets: Sockets, size: int) -> None:
    """Set SO_SNDBUF on every listening TCP socket (accepted sockets inherit it)."""
    for sock in [*sockets.insecure_sockets, *sockets.secure_sockets]:
        if size and sock.type == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


def apply_settings(config: Config, settings: Settings) -> None:
    """What settings.toml says about serving, on a Hypercorn configuration."""
    limits = settings.limits
    config.websocket_ping_interval = limits.ping_interval_seconds or None
    config.websocket_max_message_size = max(limits.max_frame_bytes * 4, 1 << 20)
    if isinstance(config, ChatConfig):
        config.send_buffer = limits.socket_send_buffer


def hypercorn_config(settings: Settings, host: str, port: int, workers: int = 1) -> ChatConfig:
    """The configuration `python -m app` serves with."""
    config = ChatConfig()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.accesslog = None
    config.graceful_timeout = 3.0
    config.workers = workers
    apply_settings(config, settings)
    return config


def needs_redis_message(workers: int) -> str:
    return (
        f"{workers} worker processes asked for, but no Redis is configured: each worker would hold "
        "a separate chat room. Set [Redis] URL in settings.toml (or the BARERTC_REDIS_URL environment "
        "variable) to a redis://host:port/db URL so the workers form one chat, or run one worker."
    )


def single_room_problem(settings: Settings, workers: int) -> str | None:
    """Why this many workers cannot run with these settings, or None when they can."""
    if workers > 1 and not settings.redis.url:
        return needs_redis_message(workers)
    return None


# --- Hypercorn's workers ----------------------------------------------------------------


@dataclass(frozen=True)
class Worker:
    """What this process was given by the Hypercorn that started it; `Worker()` when none did."""

    config: Config | None = None
    sockets: Sockets | None = None
    shutdown: EventType | None = None  # set by Hypercorn's main process to stop its workers

    @property
    def count(self) -> int:
        return int(self.config.workers) if self.config is not None else 1

    def adopt(self, settings: Settings) -> None:
        """Apply the settings to the Hypercorn configuration and sockets this worker serves with."""
        if self.config is not None:
            apply_settings(self.config, settings)
        if self.sockets is not None:
            cap_send_buffer(self.sockets, settings.limits.socket_send_buffer)


def this_worker() -> Worker:
    """The Hypercorn worker this process is, or `Worker()`.

    Hypercorn starts each worker as a `multiprocessing` process whose target receives the
    configuration, the listening sockets and the workers' shutdown event as keyword arguments
    (`hypercorn.run._populate`); the process object keeps them, so this reads them back."""
    arguments = getattr(multiprocessing.current_process(), "_kwargs", None) or {}
    config = arguments.get("config")
    if not isinstance(config, Config):
        return Worker()
    sockets = arguments.get("sockets")
    shutdown = arguments.get("shutdown_event")
    return Worker(
        config, sockets if isinstance(sockets, Sockets) else None, shutdown if isinstance(shutdown, EventType) else None
    )


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


# --- one process per in-process room ---------------------------------------------------


class SecondProcess(Exception):
    """Another process already serves this settings file's chat on the in-process broker."""


def claim_single_process(settings: Settings) -> IO[bytes] | None:
    """Hold a lock on the settings file for as long as this process lives (None: no file).

    The lock is advisory (flock) and goes with the process, however it ends."""
    if not settings.path or not os.path.exists(settings.path):
        return None
    handle = open(settings.path, "rb")  # noqa: SIM115 - held open on purpose, for the process's lifetime
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise SecondProcess(
            f"another process is already serving the chat of {settings.path} with no Redis configured: "
            "a second one would hold a separate chat room. Set [Redis] URL in settings.toml (or the "
            "BARERTC_REDIS_URL environment variable) so the processes form one chat, or run one process."
        ) from None
    return handle


# --- at the file-descriptor limit -----------------------------------------------------

DESCRIPTOR_LOG_SECONDS = 60.0
_ACCEPT_FAILED = "socket.accept() out of system resource"


def log_descriptor_exhaustion_once_a_minute(loop: asyncio.AbstractEventLoop) -> None:
    """At the process's descriptor limit, asyncio's accept loop reports every failed `accept`
    with a traceback, a hundred a second or more; this says it once a minute, in one line.

    Connections already open go on being served meanwhile (asyncio pauses accepting and tries
    again each second), and `Limits.MaxSockets` keeps the chat's own sockets below the limit."""
    last = -DESCRIPTOR_LOG_SECONDS
    failed = 0

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        nonlocal last, failed
        if _late_accept_retry(context):
            return
        if context.get("message") != _ACCEPT_FAILED:
            loop.default_exception_handler(context)
            return
        failed += 1
        now = loop.time()
        if now - last >= DESCRIPTOR_LOG_SECONDS:
            error = context.get("exception")
            log.warning(
                "cannot accept connections: %s (%d refused accepts in the last minute); the users already "
                "connected are still served. Raise the descriptor limit (ulimit -n) or lower Limits.MaxSockets.",
                error if isinstance(error, OSError) else "out of resources",
                failed,
            )
            last, failed = now, 0

    loop.set_exception_handler(handle)


def _late_accept_retry(context: dict[str, object]) -> bool:
    """A retry of `accept` that asyncio scheduled at the limit (one per failed accept: Python
    3.11's accept loop goes on after the first failure), run after the listening socket closed."""
    error = context.get("exception")
    return isinstance(error, ValueError | OSError) and "_start_serving" in repr(context.get("handle"))
