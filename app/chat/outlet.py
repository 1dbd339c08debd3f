"""A local connection as the room sees it, and the two ways fragments reach people.

Every fragment for people goes out through `Delivery`: to everyone here, or to some people by
name (a direct message's two, a notice's one). Who may receive what a person said (mute and
block: `post`, `heard_by`; a VIP channel: `post`) is decided here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from app.chat.model import Identity, Member
from app.chat.relations import Relations


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

    def __init__(
        self,
        relations: Relations | None = None,
        roster: Mapping[str, Member] | None = None,
        vip_channels: frozenset[str] = frozenset(),
    ) -> None:
        self.outlets: dict[str, Outlet] = {}
        self.relations = relations or Relations()
        self.roster: Mapping[str, Member] = roster if roster is not None else {}
        self.vip_channels = vip_channels

    def post(self, html: str, sender: str, *, vip: bool = False) -> None:
        """What `sender` said in a channel, to everyone who may read it: not to those blocked
        with them or who muted them; in a VIP channel only to VIP members and operators."""
        deaf = self.relations.deaf_to(sender)
        if not deaf and not vip:
            self.everyone(html)
            return
        for name, outlet in self.outlets.items():
            if name not in deaf and (not vip or self.sees_vip(name)):
                outlet.send_html(html)

    def sees_vip(self, name: str) -> bool:
        """`name` may see the VIP channels: a VIP member or an operator."""
        member = self.roster.get(name)
        return member is not None and (member.vip or member.op)

    def heard_by(self, viewer: str, speakers: Iterable[str]) -> list[str]:
        """Those of `speakers` whose words reach `viewer` (not blocked with them, not muted)."""
        relations = self.relations
        if viewer not in relations.affected:
            return list(speakers)
        return [name for name in speakers if viewer not in relations.deaf_to(name)]

    def everyone_except_as_heard(
        self, names: set[str], speakers: list[str], render: Callable[[list[str]], str], *, ring: str = ""
    ) -> None:
        """`render(speakers)` to everyone but `names` (who may see the channel `ring`); to
        someone who does not hear some of the speakers, `render` of those they do hear (rendered
        once per distinct list)."""
        common = render(speakers)
        affected = self.relations.affected
        vip = ring in self.vip_channels
        rendered: dict[tuple[str, ...], str] = {}
        for name, outlet in self.outlets.items():
            if name in names or (vip and not self.sees_vip(name)):
                continue
            if name in affected:
                heard = tuple(self.heard_by(name, speakers))
                html = rendered.get(heard)
                if html is None:
                    html = rendered[heard] = common if list(heard) == speakers else render(list(heard))
                outlet.send_html(html)
            else:
                outlet.send_html(common)

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

    def audience(
        self,
        people: tuple[str, ...],
        html: str,
        *,
        ring: str = "",
        variant: Callable[[str], str | None] | None = None,
    ) -> None:
        """`people` when there are some (a direct message's two), else everyone (who may see
        the channel `ring`). A viewer whose view of the room differs (`relations.affected`)
        gets `variant(viewer)` instead, when that gives something."""
        affected = self.relations.affected if variant is not None else set()
        names = people if people else self.outlets
        vip = not people and ring in self.vip_channels
        for name in names:
            outlet = self.outlets.get(name)
            if outlet is None or (vip and not self.sees_vip(name)):
                continue
            if name in affected and variant is not None and (seen := variant(name)) is not None:
                outlet.send_html(seen)
            else:
                outlet.send_html(html)
