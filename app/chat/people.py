"""People: profile cards, mute, block, do-not-disturb and statuses (`frames.PeopleFrame`), and
the chat-level calls the host site's API builds on.

What a person chooses here belongs to their sign-in, not to one socket: it lives in their
`Member` (so every process knows it from the presence events it already gets) and in the
registry's `SessionState` under the session's id (so a reconnect, on any process, starts from
it; `state_for`). A change is saved to both (`_save`); the room turns the new member into
row-level diffs for the few people concerned (chat/who.py, chat/relations.py).

Targets are resolved only among the people present and visible to the one asking, with the
sender always the session's user; someone blocked is simply "not in the room". Lifting a mute
or a block looks only at the asker's own list, so it works after the other person has left.

For the host site's API (the Go BareRTC's `/api/block/now`, `/api/blocklist` and
`/api/amend-jwt`): `block_between(a, b)` blocks two present people from each other at once;
`blocks_on_sign_in` records a member's website blocklist, placed as blocks when their next
session starts; `amend` gives someone here the claims of a newer token. The card's fields from
the website come from `ProfileLookups` (chat/profiles.py), after the card itself.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

from app.chat import commands
from app.chat.cards import Card, here_for, moderates
from app.chat.frames import (
    BanPerson,
    BlockPerson,
    Frame,
    KickPerson,
    MutePerson,
    SetDoNotDisturb,
    SetIdle,
    SetStatus,
    ShowProfile,
    UnblockPerson,
    UnmutePerson,
    checked,
)
from app.chat.model import Identity, Member, Ref, SessionState, SiteClaims
from app.chat.ports import Registry
from app.chat.profiles import ProfileLookups
from app.chat.protocol import FrameError
from app.chat.relations import Conversations, Relations
from app.chat.render import Renderer
from app.chat.website import ProfileField, ban_report, kick_report
from app.chat.who import WhoList
from app.settings import ONLINE

MAX_RELATIONS = 500  # mutes and blocks one sign-in may keep
MAX_REASON_CHARS = 300
BAN_HOURS = (1.0, 96.0)  # what the Ban dialog offers


class Person(Protocol):
    """A local connection, as far as people.py needs one."""

    @property
    def identity(self) -> Identity: ...
    @property
    def conn_id(self) -> str: ...
    def send_html(self, html: str) -> bool: ...


class Place(commands.Moderation, Protocol):
    """What people.py needs of the room."""

    @property
    def registry(self) -> Registry: ...
    @property
    def render(self) -> Renderer: ...
    @property
    def who(self) -> WhoList: ...
    @property
    def conversations(self) -> Conversations: ...
    @property
    def profiles(self) -> ProfileLookups: ...
    def tell(self, outlet: Any, text: str, level: str = "error") -> None: ...
    def rules_of(self, member: Member) -> tuple[str, ...]: ...
    async def change_claims(self, changed: Member) -> None: ...


Handler = Callable[[Person, Any], Awaitable[None]]


class People:
    def __init__(self, place: Place) -> None:
        self.place = place

    def handlers(self) -> Mapping[type[Frame], Handler]:
        return {
            ShowProfile: self._on_profile,
            MutePerson: self._on_mute,
            UnmutePerson: self._on_unmute,
            BlockPerson: self._on_block,
            UnblockPerson: self._on_unblock,
            SetStatus: self._on_status,
            SetIdle: self._on_idle,
            SetDoNotDisturb: self._on_dnd,
            KickPerson: self._on_kick,
            BanPerson: self._on_ban,
        }

    # --- sessions ---------------------------------------------------------------------

    async def state_for(self, identity: Identity) -> SessionState:
        """What a connection starts from: its sign-in's saved state, or for a new sign-in of a
        site member the blocks of their website blocklist (`blocks_on_sign_in`)."""
        registry = self.place.registry
        state = await registry.session_state(identity.sid)
        if state is not None:
            return state
        if identity.signed_in and (names := await registry.site_blocklist(identity.name)):
            state = SessionState(blocks=tuple(Ref(name) for name in names[:MAX_RELATIONS] if name != identity.name))
            await registry.store_session_state(identity.sid, state)
            return state
        return SessionState()

    async def _save(self, member: Member) -> None:
        await self.place.update_member(member)
        await self.place.registry.store_session_state(member.sid, member.state)

    # --- the host site's calls ---------------------------------------------------------

    async def block_between(self, first: str, second: str) -> bool:
        """Block two present people from each other now, each for their own session (so
        neither alone can lift it). False when either is not here."""
        roster = self.place.roster
        if first == second or first not in roster or second not in roster:
            return False
        for owner, other in ((first, second), (second, first)):
            member, target = roster[owner], roster[other]
            if not _aimed(member.blocks, target):
                await self._save(member.with_changes(blocks=(*member.blocks, Ref.to(target))))
        return True

    async def blocks_on_sign_in(self, name: str, blocked: Iterable[str]) -> None:
        """A site member's website blocklist: placed as blocks when their next session starts."""
        await self.place.registry.store_site_blocklist(name, tuple(blocked)[:MAX_RELATIONS])

    async def amend(self, name: str, identity: Identity) -> None:
        """A new token the site signed for `name`, who is here (`/api/amend-jwt`): its claims
        apply now, on every process, and stay with their sign-in (a reconnect keeps them).
        LookupError when `name` is not here; ValueError for a guest, or another name."""
        member = self.place.roster.get(name)
        if member is None:
            raise LookupError(f"{name} is not in the chat.")
        if not member.signed_in:
            raise ValueError(f"{name} came in as a guest, not with a token from the website.")
        if identity.name != name:
            raise ValueError(
                "The token's sub must be the Username: a new name cannot be given to someone in the chat "
                "(send them to the chat again with a new token instead)."
            )
        changed = SiteClaims.of(identity).onto(member)
        changed = changed.with_changes(rules=self.place.rules_of(changed))
        await self.place.change_claims(changed)
        await self.place.registry.store_session_state(changed.sid, changed.state)

    # --- who may write to whom ---------------------------------------------------------

    def may_write(self, sender: Member, recipient: Member) -> bool:
        """Not held off by the recipient's "Ignore unsolicited messages"."""
        return not recipient.dnd or sender.op or self.place.conversations.between(sender.name, recipient.name)

    def check_write(self, sender: Member, name: str, *, sending: bool = True) -> Member:
        """The recipient of a DM `sender` sends (or a thread they open), or FrameError saying why not."""
        recipient = self.place.roster.get(name)
        not_sent = "; your message was not sent." if sending else "."
        if recipient is None or self.relations.hides(sender.name, name):
            raise FrameError(f"{name[:40]} is not in the room{not_sent}")
        if not self.may_write(sender, recipient):
            raise FrameError(f"{name} is not taking new conversations right now{not_sent}")
        return recipient

    # --- the profile card ---------------------------------------------------------------

    async def _on_profile(self, person: Person, frame: ShowProfile) -> None:
        viewer = self._me(person)
        member = self.place.roster.get(frame.username)
        if member is None or (self.relations.hides(viewer.name, member.name) and not _aimed(viewer.blocks, member)):
            raise FrameError(f"{frame.username[:40]} is not in the room.")
        lookups = self.place.profiles
        pending = lookups.wanted(member)
        person.send_html(self.place.render.profile_card(self.card(viewer, member, fields_pending=pending)))
        if pending:
            lookups.look_up(person, member)

    def card(
        self, viewer: Member, member: Member, fields: tuple[ProfileField, ...] = (), *, fields_pending: bool = False
    ) -> Card:
        """`member` as `viewer` sees them. `fields`: what the host site says about them."""
        own = viewer.name == member.name
        return Card(
            member=member,
            status=self.place.settings.status(member.shown_status) or ONLINE,
            here_for=here_for(time.time() - member.since),
            camera="off" if self.place.who.variant(member, viewer.name)[1] else member.camera,
            own=own,
            muted=self.relations.muting(viewer.name, member.name),
            blocked=self.relations.hides(viewer.name, member.name),
            may_block=not own and self.relations.blockable(member),
            may_write=self.may_write(viewer, member),
            moderates=moderates(viewer, member),
            fields=fields,
            fields_pending=fields_pending,
        )

    def _send_card(self, person: Person, name: str) -> None:
        viewer, member = self._me(person), self.place.roster.get(name)
        if member is not None:
            person.send_html(self.place.render.profile_card(self.card(viewer, member)))

    # --- mute and block -------------------------------------------------------------------

    async def _on_mute(self, person: Person, frame: MutePerson) -> None:
        me = self._me(person)
        target = self._other(me, frame.username, "mute")
        if _aimed(me.mutes, target):
            self.place.tell(person, f"You have already muted {target.name}.", "info")
            return
        self._room_for_one_more(me)
        await self._save(me.with_changes(mutes=(*me.mutes, Ref.to(target))))
        self.place.tell(
            person,
            f"You muted {target.name}: you no longer see their messages, and they no longer see your camera. "
            "They are not told.",
            "info",
        )
        self._send_card(person, target.name)

    async def _on_unmute(self, person: Person, frame: UnmutePerson) -> None:
        me = self._me(person)
        kept = tuple(ref for ref in me.mutes if ref.name != frame.username)
        if len(kept) == len(me.mutes):
            raise FrameError(f"You have not muted {frame.username[:40]}.")
        await self._save(me.with_changes(mutes=kept))
        self.place.tell(person, f"You unmuted {frame.username}.", "info")
        if not self.relations.hides(me.name, frame.username):
            self._send_card(person, frame.username)

    async def _on_block(self, person: Person, frame: BlockPerson) -> None:
        me = self._me(person)
        target = self._other(me, frame.username, "block")
        if not self.relations.blockable(target):
            raise FrameError(f"{target.name} is an operator: operators cannot be blocked on this chat.")
        if _aimed(me.blocks, target):
            self.place.tell(person, f"You have already blocked {target.name}.", "info")
            return
        self._room_for_one_more(me)
        await self._save(me.with_changes(blocks=(*me.blocks, Ref.to(target))))
        self.place.tell(
            person,
            f"You blocked {target.name}: neither of you sees the other now. Settings lists whom you blocked.",
            "info",
        )
        self._send_card(person, target.name)

    async def _on_unblock(self, person: Person, frame: UnblockPerson) -> None:
        me = self._me(person)
        kept = tuple(ref for ref in me.blocks if ref.name != frame.username)
        if len(kept) == len(me.blocks):
            raise FrameError(f"You have not blocked {frame.username[:40]}.")
        await self._save(me.with_changes(blocks=kept))
        self.place.tell(person, f"You unblocked {frame.username}.", "info")

    def _room_for_one_more(self, me: Member) -> None:
        if len(me.mutes) + len(me.blocks) >= MAX_RELATIONS:
            raise FrameError(
                f"You have muted or blocked {MAX_RELATIONS} people, as many as the chat keeps; "
                "unmute or unblock someone first."
            )

    # --- status and do-not-disturb ----------------------------------------------------------

    async def _on_status(self, person: Person, frame: SetStatus) -> None:
        me = self._me(person)
        if self.place.settings.status(frame.status) is None:
            raise FrameError(f"There is no status {frame.status[:40]!r}.")
        if (me.status, me.idle) != (frame.status, False):
            await self._save(me.with_changes(status=frame.status, idle=False))

    async def _on_idle(self, person: Person, frame: SetIdle) -> None:
        me = self._me(person)
        idle = checked(frame.idle)
        if me.idle != idle:
            await self.place.update_member(me.with_changes(idle=idle))

    async def _on_dnd(self, person: Person, frame: SetDoNotDisturb) -> None:
        me = self._me(person)
        if me.dnd != frame.wanted:
            await self._save(me.with_changes(dnd=frame.wanted))
        words = "only people you already talk to" if frame.wanted else "anyone"
        self.place.tell(person, f"Now {words} can send you direct messages.", "info")

    # --- the operator's Kick and Ban dialogs --------------------------------------------------

    async def _on_kick(self, person: Person, frame: KickPerson) -> None:
        call = commands.Call(self.place, self._me(person), "")

        async def kick() -> str:
            target = self._target(call, "kick", frame.username)
            reason = _reason(frame.reason)
            reply = await commands.kick_member(call, target, reason)
            self.place.report(kick_report(call.caller.name, target.name, reason))  # as the Go card does
            return reply

        await self._moderate(person, kick)

    async def _on_ban(self, person: Person, frame: BanPerson) -> None:
        call = commands.Call(self.place, self._me(person), "")
        hours = _ban_hours(frame.hours)

        async def ban() -> str:
            target = self._target(call, "ban", frame.username)
            reason = _reason(frame.reason)
            reply = await commands.ban_member(call, target, hours, reason)
            self.place.report(ban_report(call.caller.name, target.name, hours, reason))
            return reply

        await self._moderate(person, ban)

    def _target(self, call: commands.Call, verb: str, name: str) -> Member:
        self._visible(call.caller, name)
        return commands.target_for(call, verb, name)

    async def _moderate(self, person: Person, act: Callable[[], Awaitable[str]]) -> None:
        try:
            self.place.tell(person, await act(), "info")
        except commands.CommandError as refusal:
            self.place.tell(person, str(refusal))

    # --- looking people up -----------------------------------------------------------------

    @property
    def relations(self) -> Relations:
        return self.place.who.relations

    def _me(self, person: Person) -> Member:
        me = self.place.roster.get(person.identity.name)
        if me is None or me.conn != person.conn_id:
            raise FrameError("You are not in the room any more.")
        return me

    def _visible(self, viewer: Member, name: str) -> Member:
        """Someone present whom `viewer` can see (a blocked person is not in the room for them)."""
        member = self.place.roster.get(name)
        if member is None or self.relations.hides(viewer.name, name):
            raise FrameError(f"{name[:40]} is not in the room.")
        return member

    def _other(self, me: Member, name: str, verb: str) -> Member:
        if name == me.name:
            raise FrameError(f"That is you: you cannot {verb} yourself.")
        return self._visible(me, name)


def _aimed(refs: Iterable[Ref], member: Member) -> bool:
    return any(ref.points_at(member) for ref in refs)


def _reason(text: str) -> str:
    return " ".join(text.split())[:MAX_REASON_CHARS]


def _ban_hours(value: float | str) -> float:
    low, high = BAN_HOURS
    try:
        hours = float(value)
    except ValueError:
        hours = 0.0
    if not low <= hours <= high:
        raise FrameError(f"A ban from the dialog lasts {low:g} to {high:g} hours.")
    return hours
