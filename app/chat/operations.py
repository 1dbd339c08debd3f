"""The chat as a whole, on every process: shut down for a restart, and reload the settings.

Both come from an operator's command (`/shutdown`, `/reconfigure`) or the host site's API
(`/api/shutdown`) in one process, and travel as one event to every process (`ShuttingDown`,
`Reconfigured`), since several processes behind one Redis are one chat.

- **Shutting down**: everyone here is told, then the web layer's `stop` closes every socket
  with 1012 (browsers reconnect by themselves) and the process exits with status 1, as the Go
  BareRTC's does, for its supervisor to start it again.
- **Reloading**: each process reads its own settings file again (`load_settings`, without
  writing it) and runs with what may change live (`settings.live.reload_plan`): first the web
  layer's listeners (the pages' template globals, the webhooks, the socket limits), then the
  room (`Room.reconfigure`), which shows connected people what they would see after a reload
  of the page; then, in a task of its own, the moderation rules of the members here are
  applied again (`Room.apply_rules_again`). A file that does not load changes nothing; the
  operator is told why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from app.chat.events import Event, Reconfigured, ShuttingDown
from app.chat.render import Renderer
from app.settings import Channel, Settings, SettingsError, load_settings
from app.settings.live import ReloadPlan, reload_plan

log = logging.getLogger("app.operations")
RESTARTING = "The chat server is restarting now; you will be reconnected in a moment."

Listener = Callable[[Settings], None]


class Whole(Protocol):
    """What the operations need of the room."""

    @property
    def settings(self) -> Settings: ...
    async def publish(self, event: Event) -> None: ...
    def tell_everyone(self, text: str) -> None: ...
    def reconfigure(self, settings: Settings) -> None: ...
    async def apply_rules_again(self) -> None: ...


class Operations:
    def __init__(self, room: Whole) -> None:
        self.room = room
        self.stop: Callable[[], None] | None = None  # the web layer's: close every socket and exit
        self.listeners: list[Listener] = []  # told the new settings of a reload, before the room
        self._rules: asyncio.Task[None] | None = None  # members' rules after a reload

    # --- shutting down ------------------------------------------------------------------

    async def shut_down(self, by: str) -> None:
        log.warning("shutting down every process of the chat, asked by %s", by)
        await self.room.publish(ShuttingDown(by))

    def on_shutting_down(self, event: ShuttingDown) -> None:
        self.room.tell_everyone(RESTARTING)
        if self.stop is not None:
            self.stop()

    # --- reloading the settings -------------------------------------------------------------

    async def reload(self) -> ReloadPlan:
        """Read the settings file (SettingsError if it is wrong); every process then applies it."""
        plan = reload_plan(self.room.settings, await asyncio.to_thread(self._load))
        await self.room.publish(Reconfigured())
        return plan

    def on_reconfigured(self, event: Reconfigured) -> None:
        try:
            plan = reload_plan(self.room.settings, self._load())
        except SettingsError as error:
            log.error("settings not reloaded: %s", error)
            return
        if not plan.applied:
            return
        for listener in self.listeners:
            listener(plan.settings)
        self.room.reconfigure(plan.settings)
        if self._rules is not None:
            self._rules.cancel()  # a reload before the last one's rules were all applied: start over
        self._rules = asyncio.create_task(self.room.apply_rules_again(), name="rules-after-reload")
        self._rules.add_done_callback(_failed)
        held = f"; waiting for a restart: {', '.join(plan.held)}" if plan.held else ""
        log.info("settings reloaded: %s changed%s", ", ".join(plan.applied), held)

    async def settled(self) -> None:
        """Return once the last reload's moderation rules are applied to the members here."""
        if self._rules is not None:
            await asyncio.gather(self._rules, return_exceptions=True)

    async def close(self) -> None:
        if self._rules is not None:
            self._rules.cancel()
            await asyncio.gather(self._rules, return_exceptions=True)

    def _load(self) -> Settings:
        path = self.room.settings.path
        if not path:
            raise SettingsError("this chat was not started from a settings file")
        return load_settings(path, write=False)


def channel_changes(render: Renderer, before: tuple[Channel, ...], after: tuple[Channel, ...]) -> dict[bool, str]:
    """What a reload changed of the channels, for those who see VIP channels (True) and those
    who do not (False), each rendered once: new channels (tab, log with its welcome messages,
    typing line) added, removed ones taken away, changed welcome messages replaced."""
    changes: dict[bool, str] = {}
    for sees_vip in (False, True):
        old = {channel.id: channel for channel in before if sees_vip or not channel.vip}
        new = {channel.id: channel for channel in after if sees_vip or not channel.vip}
        parts = [render.channel_access(channel, granted=False) for key, channel in old.items() if key not in new]
        for key, channel in new.items():
            if key not in old:
                parts.append(render.channel_access(channel, granted=True))
            elif old[key].welcome_messages != channel.welcome_messages:
                parts.append(render.welcome([channel]))
        changes[sees_vip] = "".join(parts)
    return changes


def _failed(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("applying the moderation rules after a reload failed", exc_info=error)
