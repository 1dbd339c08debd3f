"""A local connection as the room sees it, and the two ways fragments reach people.

Every fragment for people goes out through `Delivery`: to everyone here, or to some people by
name (a direct message's two, a notice's one). Who may receive what (mute and block, later)
is decided in these two paths only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from app.chat.model import Identity


class Outlet(Protocol):
    """A local connection, as the room sees it: somewhere to put bytes, and a way out."""

    identity: Identity
    conn_id: str
    threads: set[str]

    def send_html(self, html: str) -> bool: ...
    def send_data(self, data: str) -> bool: ...
    def close(self, code: int, reason: str) -> None: ...


class Delivery:
    """This process's people in the room, by username, and how fragments reach them."""

    def __init__(self) -> None:
        self.outlets: dict[str, Outlet] = {}

    def everyone(self, html: str, *, skip: str = "") -> None:
        for name, outlet in self.outlets.items():
            if name != skip:
                outlet.send_html(html)

    def everyone_except(self, names: set[str], html: str) -> None:
        for name, outlet in self.outlets.items():
            if name not in names:
                outlet.send_html(html)

    def people(self, names: Iterable[str], html: str) -> None:
        for name in names:
            if (outlet := self.outlets.get(name)) is not None:
                outlet.send_html(html)

    def audience(self, people: tuple[str, ...], html: str) -> None:
        """`people` when there are some (a direct message's two), else everyone."""
        if people:
            self.people(people, html)
        else:
            self.everyone(html)
