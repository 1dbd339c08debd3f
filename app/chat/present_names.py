"""The names of the people present, looked up the ways the room needs them.

Sign-in asks which names present look like a wanted one (chat/names.py's look-alike keys) and
which name to offer instead (`bob2`); a message's `@Bob` finds `bob` whatever the letter case;
the per-address limit counts the names present from one address. The indexes follow the
roster mirror: the room calls `put` and `drop` with every change to it.
"""

from __future__ import annotations

import bisect

from app.chat.model import Member
from app.chat.names import look_alike_keys


class PresentNames:
    """Indexes of the names in the roster mirror: by look-alike key, by letter case, by address."""

    def __init__(self, in_order: list[tuple[str, str]]) -> None:
        self._in_order = in_order  # (casefolded, name) in display order, kept by chat/who.py
        self._alike: dict[str, set[str]] = {}  # each look-alike key -> the names present that have it
        self._by_address: dict[str, set[str]] = {}  # each address -> the names present from it

    def put(self, member: Member, known: Member | None) -> None:
        """`member` arrived (`known` is None) or replaced `known`, their earlier self."""
        if known is not None and known.address != member.address:
            self._drop_address(known)
        if member.address:
            self._by_address.setdefault(member.address, set()).add(member.name)
        if known is None:
            for key in look_alike_keys(member.name):
                self._alike.setdefault(key, set()).add(member.name)

    def drop(self, member: Member) -> None:
        """`member` left."""
        self._drop_address(member)
        for key in look_alike_keys(member.name):
            names = self._alike.get(key, set())
            names.discard(member.name)
            if not names:
                self._alike.pop(key, None)

    def _drop_address(self, member: Member) -> None:
        names = self._by_address.get(member.address)
        if names is not None:
            names.discard(member.name)
            if not names:
                del self._by_address[member.address]

    def like(self, name: str) -> list[str]:
        """The names present that look like `name` (itself included, if present)."""
        found: set[str] = set()
        for key in look_alike_keys(name):
            found.update(self._alike.get(key, ()))
        return sorted(found)

    def spelled(self, typed: str) -> str | None:
        """The name of someone present that `typed` spells (exactly, else in another letter case)."""
        folded = typed.casefold()
        index = bisect.bisect_left(self._in_order, (folded, ""))  # a look-up, not a scan
        first: str | None = None
        while index < len(self._in_order) and self._in_order[index][0] == folded:
            name = self._in_order[index][1]
            if name == typed:
                return name
            first = first or name
            index += 1
        return first

    def unique(self, wanted: str) -> str:
        """`wanted`, or `wanted2`, `wanted3`... whichever looks like nobody's name here."""
        if not self.like(wanted):
            return wanted
        number = 2
        while self.like(f"{wanted}{number}"):
            number += 1
        return f"{wanted}{number}"

    def count_from(self, address: str) -> int:
        """How many people present came from `address`."""
        return len(self._by_address.get(address, ()))

    def table_sizes(self) -> dict[str, int]:
        return {"look-alike keys": len(self._alike), "addresses": len(self._by_address)}
