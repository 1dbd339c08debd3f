"""Who keeps out of whose way among the people present: mutes and blocks, and conversations.

Each member carries the mutes and blocks of their sign-in (`Member.mutes`, `Member.blocks`:
`Ref`s, see chat/model.py), so every process learns them with the presence events it already
gets. `Relations` turns them into the pairs that matter among the people present right now:

- a **block** hides two people from each other completely (who list, messages, DMs, cameras),
  whichever of them placed it; an operator cannot be blocked unless `BlockableAdmins`;
- a **mute** is one way: the muter no longer gets the muted person's messages and DMs, and the
  muted person no longer sees the muter's camera (an operator still does).

`put` and `drop` keep the pairs in step with the roster and say what changed (`Change`), so
the room can send row-level diffs to the few people concerned. `Conversations` remembers who
has exchanged DMs, for "Ignore unsolicited messages".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from app.chat.model import Member, Ref

Pair = tuple[str, str]  # (a, b): a block between a and b in name order; a mute (muter, muted)


@dataclass
class Change:
    """What one `put` changed between the person put and everyone else present."""

    hidden: set[Pair] = field(default_factory=set)  # blocked pairs that now hide each other
    shown: set[Pair] = field(default_factory=set)  # pairs that see each other again
    muted: set[Pair] = field(default_factory=set)  # (muter, muted) now in effect
    unmuted: set[Pair] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.hidden or self.shown or self.muted or self.unmuted)


@dataclass(frozen=True)
class View:
    """What one person's view of the room differs by."""

    hidden: Collection[str] = ()  # blocked with them: not in their list at all
    mutes: Collection[str] = ()  # they muted: marked in their list
    muters: Collection[str] = ()  # muted them: their camera not shown (unless they are an operator)


class Relations:
    def __init__(self, blockable_admins: bool = False) -> None:
        self.blockable_admins = blockable_admins
        self.hidden: dict[str, set[str]] = {}  # name -> present people blocked with them
        self.mutes: dict[str, set[str]] = {}  # muter -> present people they muted
        self.muted_by: dict[str, set[str]] = {}  # muted -> present people who muted them
        self.affected: set[str] = set()  # everyone whose view of the room differs from the common one
        self._named: dict[str, set[str]] = {}  # a name -> present people whose mutes or blocks name it
        self._names: dict[str, set[str]] = {}  # a present person -> the names their mutes and blocks name

    # --- questions ------------------------------------------------------------------

    def hides(self, viewer: str, other: str) -> bool:
        """`viewer` and `other` are blocked from each other."""
        return other in self.hidden.get(viewer, ())

    def muting(self, muter: str, muted: str) -> bool:
        return muted in self.mutes.get(muter, ())

    def deaf_to(self, sender: str) -> set[str]:
        """Who must not get `sender`'s messages: people blocked with them, and their muters."""
        hidden, muters = self.hidden.get(sender), self.muted_by.get(sender)
        if not hidden and not muters:
            return _NOBODY
        return (hidden or set()) | (muters or set())

    def blockable(self, member: Member) -> bool:
        return self.blockable_admins or not member.op

    def table_sizes(self) -> dict[str, int]:
        return {
            "blocked pairs": len(self.hidden),
            "mutes": len(self.mutes),
            "muted by": len(self.muted_by),
            "affected": len(self.affected),
            "names in mutes and blocks": len(self._named) + len(self._names),
        }

    # --- keeping in step with the roster --------------------------------------------

    def view_of(self, name: str) -> View:
        """A present person's view."""
        return View(self.hidden.get(name, ()), self.mutes.get(name, ()), self.muted_by.get(name, ()))

    def view_for(self, member: Member, roster: Mapping[str, Member]) -> View:
        """The view `member` would have among `roster`, present or not (a page being loaded)."""
        named_by = [roster[owner] for owner in self._named.get(member.name, ()) if owner in roster]
        named_by = [owner for owner in named_by if owner.name != member.name]
        blocks = {t.name for t in _targets(member.blocks, roster, member.name) if self.blockable(t)}
        if self.blockable(member):
            blocks |= {owner.name for owner in named_by if _aims(owner.blocks, member)}
        mutes = {t.name for t in _targets(member.mutes, roster, member.name)}
        muters = {owner.name for owner in named_by if _aims(owner.mutes, member)}
        return View(blocks, mutes, muters)

    def put(self, member: Member, roster: Mapping[str, Member]) -> Change:
        """`member` is present (newly or with a new state): recompute their pairs."""
        name = member.name
        self._index(name, {ref.name for ref in (*member.mutes, *member.blocks)})
        view = self.view_for(member, roster)
        change = Change()
        self._set_blocks(name, set(view.hidden), change)
        self._set_mutes(name, set(view.mutes), change)
        self._set_muters(name, set(view.muters), change)
        return change

    def drop(self, name: str) -> None:
        """`name` left: forget every pair they were part of."""
        self._index(name, set())
        change = Change()
        self._set_blocks(name, set(), change)
        self._set_mutes(name, set(), change)
        self._set_muters(name, set(), change)

    def _index(self, name: str, names: set[str]) -> None:
        old = self._names.pop(name, set())
        for gone in old - names:
            owners = self._named.get(gone)
            if owners is not None:
                owners.discard(name)
                if not owners:
                    del self._named[gone]
        for new in names - old:
            self._named.setdefault(new, set()).add(name)
        if names:
            self._names[name] = names

    def _set_blocks(self, name: str, now: set[str], change: Change) -> None:
        before = set(self.hidden.get(name, ()))
        for other in now - before:
            _link(self.hidden, name, other)
            _link(self.hidden, other, name)
            change.hidden.add(_pair(name, other))
        for other in before - now:
            _unlink(self.hidden, name, other)
            _unlink(self.hidden, other, name)
            change.shown.add(_pair(name, other))
        self._touch(name, *(now ^ before))

    def _set_mutes(self, muter: str, now: set[str], change: Change) -> None:
        before = set(self.mutes.get(muter, ()))
        for muted in now - before:
            _link(self.mutes, muter, muted)
            _link(self.muted_by, muted, muter)
            change.muted.add((muter, muted))
        for muted in before - now:
            _unlink(self.mutes, muter, muted)
            _unlink(self.muted_by, muted, muter)
            change.unmuted.add((muter, muted))
        self._touch(muter, *(now ^ before))

    def _set_muters(self, muted: str, now: set[str], change: Change) -> None:
        before = set(self.muted_by.get(muted, ()))
        for muter in now - before:
            _link(self.muted_by, muted, muter)
            _link(self.mutes, muter, muted)
            change.muted.add((muter, muted))
        for muter in before - now:
            _unlink(self.muted_by, muted, muter)
            _unlink(self.mutes, muter, muted)
            change.unmuted.add((muter, muted))
        self._touch(muted, *(now ^ before))

    def _touch(self, *names: str) -> None:
        for name in names:
            if self.hidden.get(name) or self.mutes.get(name) or self.muted_by.get(name):
                self.affected.add(name)
            else:
                self.affected.discard(name)


_NOBODY: set[str] = set()


def _targets(refs: Iterable[Ref], roster: Mapping[str, Member], owner: str) -> list[Member]:
    """The present members `refs` point at (never the owner themselves)."""
    found = []
    for ref in refs:
        member = roster.get(ref.name)
        if member is not None and ref.name != owner and ref.points_at(member):
            found.append(member)
    return found


def _aims(refs: Iterable[Ref], member: Member) -> bool:
    return any(ref.points_at(member) for ref in refs)


def _pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def _link(table: dict[str, set[str]], key: str, value: str) -> None:
    table.setdefault(key, set()).add(value)


def _unlink(table: dict[str, set[str]], key: str, value: str) -> None:
    values = table.get(key)
    if values is not None:
        values.discard(value)
        if not values:
            del table[key]


class Conversations:
    """Who has exchanged DMs with whom, among people present: "Ignore unsolicited messages"
    lets through only these (and operators). Every process records each DM it sees pass."""

    def __init__(self) -> None:
        self._partners: dict[str, set[str]] = {}

    def add(self, a: str, b: str) -> None:
        _link(self._partners, a, b)
        _link(self._partners, b, a)

    def between(self, a: str, b: str) -> bool:
        return b in self._partners.get(a, ())

    def size(self) -> int:
        return len(self._partners)

    def forget(self, name: str, *, present: Mapping[str, Member], guest: bool) -> None:
        """`name` left. A guest's conversations end with them (their threads close); a site
        member's stay while the other person is here (their threads stay open)."""
        for other in list(self._partners.get(name, ())):
            if guest or other not in present:
                _unlink(self._partners, name, other)
                _unlink(self._partners, other, name)
