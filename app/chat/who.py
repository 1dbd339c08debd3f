"""The who list as each person sees it, sent as row-level diffs rendered once per variant.

The roster is kept in name order with each member's row rendered once per change. Most people
see the same list; a few see it differently (`Relations.affected`): someone blocked is not in
it, a person I muted carries a "muted" mark and an Unmute button, and the camera of someone who
muted me is not shown. Those are audiences and variants, never a render per recipient:

- a row goes to everyone except the people blocked with its member (`skip`);
- each of a member's rows exists in at most four variants (muted by the viewer or not, camera
  hidden from the viewer or not), each rendered at most once per change;
- a viewer with a different view gets, besides their variant, their own counts and the place
  of the row in their own list (the next row they can see): small, and memoised per event, so
  a join costs one render for the common case plus one per distinct variant.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Hashable, Mapping
from typing import NamedTuple, Protocol, TypeVar

from app.chat.model import Member
from app.chat.relations import Change, Relations, View
from app.chat.render import Renderer

Variant = tuple[bool, bool]  # (the viewer muted this member, this member's camera is hidden from the viewer)
PLAIN: Variant = (False, False)
Counts = tuple[int, int]  # (people, cameras) in one viewer's list
K = TypeVar("K", bound=Hashable)


class Viewer(Protocol):
    """Somewhere to send a viewer's fragments (a room's `Outlet`)."""

    def send_html(self, html: str) -> bool: ...


class Placed(NamedTuple):
    """What `WhoList.put` changed."""

    old: Member | None  # who they were before (None: they just arrived)
    row_changed: bool  # their row reads differently now
    change: Change  # between them and the others


class WhoList:
    """Everyone present in display order, with their rows; one per room."""

    def __init__(self, render: Renderer, relations: Relations) -> None:
        self.render = render
        self.relations = relations
        self.roster: dict[str, Member] = {}
        self.sorted: list[tuple[str, str]] = []  # (casefolded, name) in display order
        self.cameras = 0  # members whose camera is on
        self._rows: dict[str, str] = {}  # each member's row as most people see it
        self._variants: dict[str, dict[Variant, str]] = {}

    # --- the roster -----------------------------------------------------------------

    def put(self, member: Member) -> Placed:
        """Add or replace a member, render their row, and update the relations."""
        name = member.name
        old = self.roster.get(name)
        if old is None:
            bisect.insort(self.sorted, (name.casefold(), name))
        self.cameras += (member.camera != "off") - (old is not None and old.camera != "off")
        self.roster[name] = member
        previous = self._rows.get(name)
        row = self._rows[name] = self.render.who_row(member)
        if row != previous:
            self._variants.pop(name, None)
        return Placed(old, row != previous, self.relations.put(member, self.roster))

    def drop(self, name: str) -> Member | None:
        member = self.roster.pop(name, None)
        if member is None:
            return None
        self.cameras -= member.camera != "off"
        self._rows.pop(name, None)
        self._variants.pop(name, None)
        index = bisect.bisect_left(self.sorted, (name.casefold(), name))
        if index < len(self.sorted) and self.sorted[index][1] == name:
            del self.sorted[index]
        self.relations.drop(name)
        return member

    def members(self) -> list[Member]:
        return [self.roster[name] for _, name in self.sorted]

    def table_sizes(self) -> dict[str, int]:
        """The who list's tables and the relations' (all 0 once everyone has left)."""
        return {
            "sorted": len(self.sorted),
            "rows": len(self._rows),
            "row variants": len(self._variants),
            **self.relations.table_sizes(),
        }

    def visible_to(self, viewer: Member) -> list[Member]:
        """Everyone `viewer` can see (present or not yet), in display order; a camera hidden from
        them (someone who muted them) counts as off."""
        if self.roster.get(viewer.name) == viewer:
            view = self.relations.view_of(viewer.name)
        else:
            view = self.relations.view_for(viewer, self.roster)
        members = []
        for _, name in self.sorted:
            if name in view.hidden:
                continue
            member = self.roster[name]
            if not viewer.op and name in view.muters and member.camera != "off":
                member = member.with_changes(camera="off")
            members.append(member)
        return members

    def unheard_by(self, member: Member) -> set[str]:
        """Whose messages `member` does not get, present or not yet: the people blocked with
        them, and the names in their own mutes and blocks (for what was said before they came)."""
        view = self.relations.view_for(member, self.roster)
        return {*view.hidden, *view.mutes, *(ref.name for ref in (*member.mutes, *member.blocks))}

    def page_view(self, member: Member) -> tuple[list[str], Counts]:
        """The rows and counts of `member`'s list, whether they are present yet or not (the
        page they are loading shows the same list the socket will send)."""
        if self.roster.get(member.name) == member:
            return self.rows_for(member.name), self.counts_for(member.name)
        view = self.relations.view_for(member, self.roster)
        return self._rows_in(view, member.op), self._counts_in(view, member.op)

    # --- one viewer's view ----------------------------------------------------------

    def variant(self, member: Member, viewer: str) -> Variant:
        """Which of `member`'s rows a present `viewer` gets (on the fan-out's path: lean)."""
        mutes = self.relations.mutes
        mine = mutes.get(viewer)
        muted = mine is not None and member.name in mine
        if member.camera == "off":
            return (muted, False)
        theirs = mutes.get(member.name)
        return (muted, theirs is not None and viewer in theirs and not self._is_op(viewer))

    def row(self, member: Member, viewer: str) -> str:
        """`member`'s row as `viewer` sees it."""
        return self._row_variant(member, self.variant(member, viewer))

    def replaced(self, member: Member, viewer: str) -> str:
        """`member`'s row for `viewer`, replacing the one in their list."""
        muted, hidden_camera = self.variant(member, viewer)
        return self.render.who_row(member, "outerHTML", muted=muted, camera_hidden=hidden_camera)

    def inserted(self, member: Member, viewer: str) -> str:
        """`member`'s row placed in `viewer`'s list."""
        return self.render.who_insert(self.row(member, viewer), self.next_after(member.name, viewer))

    def rows_for(self, viewer: str | None) -> list[str]:
        """The rows of a present `viewer`'s list, in order (everyone's, for the common view)."""
        if viewer is None or viewer not in self.relations.affected:
            return [self._rows[name] for _, name in self.sorted]
        return self._rows_in(self.relations.view_of(viewer), self._is_op(viewer))

    def counts_for(self, viewer: str | None) -> Counts:
        """(people, cameras) in a present `viewer`'s list (on the fan-out's path: lean)."""
        relations = self.relations
        if viewer is None or viewer not in relations.affected:
            return len(self.roster), self.cameras
        people, cameras = len(self.roster), self.cameras
        hidden = relations.hidden.get(viewer)
        if hidden:  # the people kept apart from someone are always present
            people -= len(hidden)
            cameras -= self._on_camera_among(hidden)
        muters = relations.muted_by.get(viewer)
        if muters and not self._is_op(viewer):
            cameras -= self._on_camera_among(muters - hidden if hidden else muters)
        return people, cameras

    def _on_camera_among(self, names: Collection[str]) -> int:
        roster = self.roster
        return sum(1 for name in names if roster[name].camera != "off")

    def _rows_in(self, view: View, op: bool) -> list[str]:
        rows = []
        for _, name in self.sorted:
            if name in view.hidden:
                continue
            member = self.roster[name]
            hidden_camera = not op and member.camera != "off" and name in view.muters
            rows.append(self._row_variant(member, (name in view.mutes, hidden_camera)))
        return rows

    def _counts_in(self, view: View, op: bool) -> Counts:
        on_camera = self.on_camera
        cameras = self.cameras - sum(1 for name in view.hidden if on_camera(name))
        if not op:
            cameras -= sum(1 for name in view.muters if name not in view.hidden and on_camera(name))
        return len(self.roster) - sum(1 for name in view.hidden if name in self.roster), cameras

    def on_camera(self, name: str) -> bool:
        member = self.roster.get(name)
        return member is not None and member.camera != "off"

    def _is_op(self, name: str) -> bool:
        member = self.roster.get(name)
        return member is not None and member.op

    def next_after(self, name: str, viewer: str | None = None) -> Member | None:
        """The member listed after `name` in `viewer`'s list (or in everyone's)."""
        hidden = self.relations.hidden.get(viewer or "", ())
        index = bisect.bisect_right(self.sorted, (name.casefold(), name))
        while index < len(self.sorted):
            following = self.sorted[index][1]
            if following not in hidden:
                return self.roster[following]
            index += 1
        return None

    def counts(self, viewer: str | None = None) -> str:
        return self.render.who_counts(*self.counts_for(viewer))

    # --- diffs for everyone ---------------------------------------------------------

    def send_joined(self, member: Member, viewers: Mapping[str, Viewer], presence: str) -> None:
        """A newcomer's row, placed in name order, with the counts and the presence line."""
        name = member.name
        hidden_from = self.relations.hidden
        after = self._next_name(name, None)

        def key_of(viewer: str) -> tuple[Variant, str | None, Counts]:
            hidden = hidden_from.get(viewer)
            following = self._next_name(name, viewer) if hidden and after in hidden else after
            return (self.variant(member, viewer), following, self.counts_for(viewer))

        def render(key: tuple[Variant, str | None, Counts]) -> str:
            variant, before, counts = key
            row = self._row_variant(member, variant)
            following = self.roster.get(before) if before is not None else None
            return self.render.who_insert(row, following) + self.render.who_counts(*counts) + presence

        skip = {name, *self.relations.hidden.get(name, ())}
        common: tuple[Variant, str | None, Counts] = (PLAIN, after, self.counts_for(None))
        self._fan_out(viewers, common, key_of, render, skip)

    def send_updated(self, member: Member, viewers: Mapping[str, Viewer], *, counts: bool) -> None:
        """A member's new row (and the counts, when a camera went on or off)."""

        def key_of(viewer: str) -> tuple[Variant, Counts | None]:
            return (self.variant(member, viewer), self.counts_for(viewer) if counts else None)

        def render(key: tuple[Variant, Counts | None]) -> str:
            variant, numbers = key
            row = self.render.who_row(member, "outerHTML", muted=variant[0], camera_hidden=variant[1])
            return row + self.render.who_counts(*numbers) if numbers else row

        common: tuple[Variant, Counts | None] = (PLAIN, self.counts_for(None) if counts else None)
        self._fan_out(viewers, common, key_of, render, self.relations.hidden.get(member.name, ()))

    def send_left(self, name: str, viewers: Mapping[str, Viewer], presence: str, skip: Collection[str]) -> None:
        """A row removed, with the counts and the presence line (`skip`: who never saw them)."""
        removal = self.render.who_remove(name)

        def render(key: Counts) -> str:
            return removal + self.render.who_counts(*key) + presence

        self._fan_out(viewers, self.counts_for(None), self.counts_for, render, skip)

    def _fan_out(
        self,
        viewers: Mapping[str, Viewer],
        common: K,
        key_of: Callable[[str], K],
        render: Callable[[K], str],
        skip: Collection[str],
    ) -> None:
        """One loop of enqueues: the common fragment to everyone whose view is the common one;
        for the few others, a key says what differs, and each distinct key is rendered once."""
        affected = self.relations.affected
        rendered = {common: render(common)}
        html = rendered[common]
        for name, viewer in viewers.items():
            if name in skip:
                continue
            if name in affected:
                key = key_of(name)
                own = rendered.get(key)
                if own is None:
                    own = rendered[key] = render(key)
                viewer.send_html(own)
            else:
                viewer.send_html(html)

    def _row_variant(self, member: Member, variant: Variant) -> str:
        if variant == PLAIN:
            return self._rows[member.name]
        rendered = self._variants.setdefault(member.name, {})
        if variant not in rendered:
            rendered[variant] = self.render.who_row(member, muted=variant[0], camera_hidden=variant[1])
        return rendered[variant]

    def _next_name(self, name: str, viewer: str | None) -> str | None:
        following = self.next_after(name, viewer)
        return following.name if following is not None else None
