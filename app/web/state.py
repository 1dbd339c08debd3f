"""What the application holds while it serves, in one typed object, and its lifecycle.

`create_app()` puts a `ChatState` in `app.extensions["barertc"]`; everything in `app/web/`
reaches it through `chat_state()`, never through string keys of its own. It owns:

- the room and its broker, the DM history's store (when it is on), the one Jinja environment,
  the pacing clock, the send watchdog and the threads that decode uploaded pictures;
- the background tasks (`BackgroundTasks`): started when serving starts, cancelled and awaited
  when it stops; one that dies early is logged at once with its traceback;
- the shutdown path, the same for every way the chat is run: when asked to stop (SIGTERM under
  `python -m app`, Hypercorn's shutdown event under its workers), every socket is closed with
  1012 after what is queued for it, and the writers are awaited, not slept on. A restart
  (`/shutdown`, `/api/shutdown`: `restart`) takes the same path and then exits with status 1,
  as the Go BareRTC does, for the supervisor to start the chat again;
- the live reload of the settings (`/reconfigure`): `apply_settings` is the web layer's part
  of it (this state's settings, the pages' template globals, socket limits, webhooks).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from jinja2 import Environment
from quart import current_app

from app.broker import Broker
from app.chat.close_codes import Close
from app.chat.room import Room
from app.imaging import PictureWork
from app.settings import Settings
from app.web.limits import FailureCounts, SocketCounts
from app.web.send_queue import PacingClock, Watchdog
from app.webhooks import WebhookSender

if TYPE_CHECKING:
    from app.history.store import SqlHistory  # imported only with history on (app/history/)

log = logging.getLogger("app")
EXTENSION = "barertc"
CLOSE_SECONDS = 3.0  # how long the shutdown waits for the writers to send their last frames
RESTART_DELAY = 0.5  # a restart waits this long, so the answer to whoever asked goes out first
RESTART_STATUS = 1  # the exit status after a restart was asked for (the Go BareRTC's)
# Where a worker of `python -m app --workers` says it restarts: Hypercorn's main process may exit
# with 0 whatever its workers' statuses, so the command line learns it from this file.
RESTART_MARKER = "BARERTC_RESTART_MARKER"


class Closing(Protocol):
    """A connection, as the shutdown sees it: it can be waited for."""

    async def finished(self) -> None: ...


class BackgroundTasks:
    """Tasks that live as long as the server does, each with a name, none left unowned."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._lasting: set[asyncio.Task[None]] = set()  # meant to run until the server stops
        self._stopping = False

    def start(self, name: str, work: Coroutine[Any, Any, None], *, lasting: bool = True) -> asyncio.Task[None]:
        """Run `work` as a task named `name`; `lasting` ones ending before the server stops is an error."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        if lasting:
            self._lasting.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        lasting = task in self._lasting
        self._lasting.discard(task)
        if self._stopping or task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("background task %s died", task.get_name(), exc_info=error)
        elif lasting:
            log.error("background task %s ended before the server stopped", task.get_name())

    def discard_current(self) -> None:
        """The calling task is no longer one of these: stopping them will not cancel it."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.discard(task)
            self._lasting.discard(task)

    async def stop(self) -> None:
        self._stopping = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)


@dataclass
class ChatState:
    settings: Settings
    broker: Broker
    room: Room
    templates: Environment
    pacing: PacingClock
    watchdog: Watchdog = field(default_factory=Watchdog)
    tasks: BackgroundTasks = field(default_factory=BackgroundTasks)
    connections: set[Closing] = field(default_factory=set)
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    sockets_closed: asyncio.Event = field(default_factory=asyncio.Event)
    process_lock: IO[bytes] | None = None
    in_worker: bool = False  # a Hypercorn worker process: a restart ends the process itself
    restart_requested: bool = False
    history: SqlHistory | None = None  # saved DMs, with [DirectMessageHistory] Enabled
    webhooks: WebhookSender | None = None  # calls to the host website ([[WebhookURLs]])
    sockets: SocketCounts = field(init=False)  # open sockets by address, from the settings' limits
    api_failures: FailureCounts = field(default_factory=FailureCounts)  # wrong APIKeys by address
    uploads: FailureCounts = field(default_factory=FailureCounts)  # picture uploads by person, this minute
    picture_work: PictureWork = field(default_factory=PictureWork)  # decoding uploads, off the event loop

    def __post_init__(self) -> None:
        self.sockets = SocketCounts(self.settings.limits)
        self.room.operations.stop = self.restart
        self.room.operations.listeners.append(self.apply_settings)

    def apply_settings(self, settings: Settings) -> None:
        """The web layer's part of a live reload: pages, sockets and webhooks use `settings`."""
        self.settings = settings
        self.templates.globals["settings"] = settings
        self.sockets.reconfigure(settings.limits)
        if self.webhooks is not None:
            self.webhooks.settings = settings

    async def start(self, stop_signal: Callable[[], Awaitable[None]] | None = None) -> None:
        """Serving begins: the DM history's schema brought up to date (if its database answers),
        the room joined, the watchdog, the history's writer and the stop watcher started."""
        if self.history is not None:
            await self.history.start()
            self.tasks.start("dm-history", self.history.run())
        await self.room.start()
        if self.webhooks is not None:
            self.tasks.start("webhooks", self.webhooks.run())
        self.tasks.start("send-watchdog", self.watchdog.run())
        self.tasks.start("shutdown-watcher", self._close_on_stop(stop_signal), lasting=False)

    def request_stop(self) -> None:
        """Begin the shutdown: close every socket with 1012 (idempotent)."""
        self.stop_requested.set()

    def restart(self) -> None:
        """Shut down for the supervisor to start the chat again: in a moment, every socket is
        closed with 1012 and the process exits with status 1."""
        if not self.restart_requested:
            self.restart_requested = True
            self.tasks.start("restart", self._restart_soon(), lasting=False)

    async def _restart_soon(self) -> None:
        await asyncio.sleep(RESTART_DELAY)
        self.request_stop()

    async def _close_on_stop(self, stop_signal: Callable[[], Awaitable[None]] | None) -> None:
        waits: list[asyncio.Future[object]] = [asyncio.ensure_future(self.stop_requested.wait())]
        if stop_signal is not None:
            waits.append(asyncio.ensure_future(stop_signal()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        log.info("shutting down: closing sockets with 1012")
        await self.close_sockets()
        if self.restart_requested and self.in_worker:
            await self._end_worker()

    async def _end_worker(self) -> None:
        """A worker asked to restart exits on its own with RESTART_STATUS: Hypercorn's main
        process then stops the other workers and exits too, for the supervisor (a worker that
        ended with 0 would only be replaced, and the shared stop event would stop them all for
        good). Hypercorn's main process may exit with 0 even so; `python -m app --workers` learns
        of the restart from RESTART_MARKER and exits with RESTART_STATUS."""
        self.tasks.discard_current()
        await self.stop()
        if marker := os.environ.get(RESTART_MARKER):  # `python -m app --workers`: tell the main process
            with suppress(OSError):
                Path(marker).touch()
        logging.shutdown()
        os._exit(RESTART_STATUS)

    async def close_sockets(self) -> None:
        """Close every socket with 1012, after what is queued for it; wait for the writers."""
        self.room.close_connections(Close.RESTART)
        pending = [asyncio.ensure_future(connection.finished()) for connection in list(self.connections)]
        if pending:
            _, late = await asyncio.wait(pending, timeout=CLOSE_SECONDS)
            for wait in late:
                wait.cancel()
            if late:
                log.warning("%d sockets did not close within %.0fs", len(late), CLOSE_SECONDS)
        self.sockets_closed.set()

    async def stop(self) -> None:
        """Serving ends: sockets closed (if not yet), background tasks stopped, broker closed."""
        if not self.sockets_closed.is_set():
            await self.close_sockets()
        await self.tasks.stop()
        self.picture_work.close()
        await self.room.close()
        if self.history is not None:
            await self.history.close()
        if self.webhooks is not None:
            await self.webhooks.close()


def chat_state() -> ChatState:
    """The state of the application handling the current request or socket."""
    state: ChatState = current_app.extensions[EXTENSION]
    return state
