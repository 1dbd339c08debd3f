"""The room: who is here, and what happens when they join, talk, leave or signal.

One `Room` per process. Its roster mirrors everyone present on every process (kept by the
bus's events); its outlets are this process's own connections. Actions publish events;
`apply` turns each event into fragments, rendered once, and hands them to local outlets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from jinja2 import Environment

from app.chat import commands, rules
from app.chat.close_codes import REASONS, Close, name_taken
from app.chat.dm_history import DirectHistory
from app.chat.emoji import EmojiTable
from app.chat.events import (
    ChannelPost,
    DirectPost,
    Disconnect,
    Event,
    Joined,
    Left,
    MessageRemoved,
    Notice,
    ReactionsChanged,
    Reconfigured,
    ShuttingDown,
    Signal,
    Typing,
    Updated,
)
from app.chat.filters import MessageFilters, Screening
from app.chat.frames import (
    ClearHistory,
    Frame,
    Inbound,
    ListPartners,
    OpenThread,
    PostMessage,
    React,
    ReportMessage,
    SetCamera,
    ShowHistory,
    ShowTyping,
    TakeBack,
    VideoInvite,
)
from app.chat.history import History
from app.chat.markdown import Rendered, render_message
from app.chat.model import SESSION_LIFETIME_SECONDS, Identity, Member
from app.chat.names import look_alike
from app.chat.operations import Operations, channel_changes
from app.chat.outlet import Delivery, Outlet
from app.chat.people import People
from app.chat.pictures import KeptNowhere, SharedPictures
from app.chat.ports import EventBus, MessageHistory, MessageStore, PictureStore, Registry, Webhooks
from app.chat.posts import DIRECT_RING, LatestVersions
from app.chat.present_names import PresentNames
from app.chat.profiles import ProfileLookups
from app.chat.protocol import FrameError
from app.chat.reactions import Reactions
from app.chat.relations import Conversations, Relations
from app.chat.render import SERVER_NAME, Renderer, template_environment
from app.chat.reports import Reports
from app.chat.separations import send_separations
from app.chat.signaling import SIGNALS, SignalRelay
from app.chat.takeback import TakeBacks
from app.chat.threads import Threads
from app.chat.typing import TypingIndicator
from app.chat.webcam_rules import affects_watching
from app.chat.webcams import Webcams
from app.chat.website import Report
from app.chat.who import Placed, WhoList
from app.settings import Channel, Settings
from app.settings.live import ReloadPlan

log = logging.getLogger("app.room")
# Said to a sender while the processes cannot reach each other (Redis away); not queued for later.
CUT_OFF = "The chat servers have lost touch with each other for a moment (they reconnect by themselves)."

F = TypeVar("F", bound=Frame)
E = TypeVar("E", bound=Event)
Handler = Callable[[Outlet, Any], Awaitable[None]]
Applier = Callable[[Any], None]

__all__ = ["Outlet", "Room"]


class Room:
    """One per process. Implements `commands.Moderation` for the operator commands."""

    def __init__(
        self,
        settings: Settings,
        bus: EventBus,
        registry: Registry,
        messages: MessageStore,
        templates: Environment | None = None,
        emoji: EmojiTable | None = None,
        saved_dms: MessageHistory | None = None,
        webhooks: Webhooks | None = None,
        pictures: PictureStore | None = None,
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.registry = registry
        self.render = Renderer(templates or template_environment(), settings)
        self.emoji = emoji or EmojiTable(extra=settings.reactions.emoji)
        self.who = WhoList(self.render, Relations(settings.blockable_admins))  # roster, rows, who hides from whom
        self.roster: dict[str, Member] = self.who.roster
        self.names = PresentNames(self.who.sorted)  # the roster's names: look-alikes, letter case, addresses
        self.conversations = Conversations()
        self.people = People(self)
        vip_channels = frozenset(channel.id for channel in settings.public_channels if channel.vip)
        self.delivery = Delivery(self.who.relations, self.roster, vip_channels)
        self.outlets = self.delivery.outlets  # this process's connections in the room, by username
        self.connections: dict[str, Outlet] = {}  # every local connection, by connection id
        self._echo: dict[str, list[str]] = {}  # connection id -> recent messages, until it is in
        self._parting: dict[str, str] = {}  # connection id -> "kicked"/"banned", until it has left
        self.signals = SignalRelay(
            self.roster,
            bus.publish,
            self.connections,
            self.who.relations,
            rings_per_minute=settings.limits.rings_per_minute,
        )
        self.webcams = Webcams(self)
        self.history = History(settings, messages, self.render)
        self.saved_dms = DirectHistory(
            settings, saved_dms, self.render, self.roster, bus.publish, lambda text: self._render_text(text).html
        )
        self.threads = Threads(
            self.render, self.roster, self.who.relations, self.connections, self.outlets, self.people, self.saved_dms
        )
        versions = LatestVersions()
        self.pictures = SharedPictures(self, KeptNowhere() if pictures is None else pictures)
        self.takebacks = TakeBacks(
            messages,
            self.roster,
            self.render,
            self.delivery,
            versions,
            bus.publish,
            self.saved_dms.take_back,
            self.pictures.forget,
        )
        self.reactions = Reactions(
            settings.reactions, self.emoji, messages, self.roster, self.render, self.delivery, versions, bus.publish
        )
        self.typing = TypingIndicator(settings, self.roster, self.render, self.delivery, bus.publish)
        self.reports = Reports(webhooks, messages, self.roster, self.render)
        self.profiles = ProfileLookups(webhooks, self.render)
        self.render.report_button = self.reports.enabled
        self.screening = Screening(settings.message_filters, self.reports, self.render)
        self._handlers: dict[type[Frame], Handler] = {}
        self._appliers: dict[type, Applier] = {}
        self.on(PostMessage, self._on_message)
        self.on(OpenThread, self.threads.handle)
        self.on(SetCamera, self.webcams.on_me)
        self.on(VideoInvite, self.webcams.on_invite)
        self.on(TakeBack, self.takebacks.handle)
        self.on(React, self.reactions.handle)
        self.on(ShowTyping, self.typing.handle)
        self.on(ReportMessage, self.reports.handle)
        self.on_event(MessageRemoved, self.takebacks.apply)
        self.on_event(ReactionsChanged, self.reactions.apply)
        self.on_event(Typing, self.typing.apply)
        self.operations = Operations(self)
        self.on_event(ShuttingDown, self.operations.on_shutting_down)
        self.on_event(Reconfigured, self.operations.on_reconfigured)
        for kind in SIGNALS:
            self.on(kind, self.signals.relay)
        self.on(ShowHistory, self.saved_dms.on_show)
        self.on(ListPartners, self.saved_dms.on_partners)
        self.on(ClearHistory, self.saved_dms.on_clear)
        for frame_type, handler in self.people.handlers().items():
            self.on(frame_type, handler)

    def on(self, kind: type[F], handler: Callable[[Outlet, F], Awaitable[None]]) -> None:
        """Handle inbound frames of type `kind` with `handler`."""
        self._handlers[kind] = handler

    def on_event(self, kind: type[E], applier: Callable[[E], None]) -> None:
        """Apply events of type `kind` from the bus (every process's) with `applier`."""
        self._appliers[kind] = applier

    async def start(self) -> None:
        await self.bus.start(self.apply)
        for member in await self.registry.members():
            self._roster_put(member)

    def close_connections(self, code: Close = Close.RESTART, reason: str = REASONS[Close.RESTART]) -> None:
        """Ask every local connection to close (each sends what it has queued first)."""
        for outlet in list(self.connections.values()):
            outlet.close(code, reason)

    async def close(self) -> None:
        """Close every local connection and let go of the bus."""
        self.close_connections()
        await self.operations.close()
        self.profiles.close()
        self.typing.close()
        self.saved_dms.close()
        await self.bus.close()

    # --- entering and leaving -----------------------------------------------------

    async def enter(self, outlet: Outlet, address: str = "") -> bool:
        """Bring a freshly opened connection (from `address`) into the room; False if it was
        turned away."""
        identity = outlet.identity
        self.connections[outlet.conn_id] = outlet
        if (until := await self.banned_until(identity.name)) is not None:
            outlet.close(
                Close.BANNED,
                f"You are banned from this chat for another {commands.duration_words(until - time.time())}.",
            )
            return False
        if await self.registry.revoked(identity.sid):
            outlet.close(Close.SIGNED_OUT, "You signed out or were removed from the chat. Please sign in again.")
            return False
        member = await self._newcomer(identity, conn=outlet.conn_id, address=address)
        if not identity.signed_in and (other := self._look_alike_present(identity.name)) is not None:
            outlet.close(Close.NAME_TAKEN, self._look_alike_refusal(identity.name, other))
            return False
        holder = self.roster.get(identity.name)
        same_person = holder is not None and (identity.signed_in or holder.sid == identity.sid)
        replacing = holder.conn if holder is not None and same_person else ""
        if not replacing and self.too_many_from(address):
            outlet.close(Close.LIMITED, self.names_refusal(address))
            return False
        refused = await self.registry.claim(member, replacing=replacing)
        if refused is not None:
            outlet.close(Close.NAME_TAKEN, name_taken(identity.name))
            return False
        if holder is not None:
            reason = (
                "You opened the chat in another tab or window."
                if holder.sid == member.sid or (identity.signed_in and holder.signed_in)
                else "A member of the site signed in with this name."
            )
            await self.bus.publish(Disconnect(holder.name, Close.REPLACED, reason, holder.conn))
            member = member.with_changes(op=holder.op or member.op) if holder.sid == member.sid else member
        self.outlets[identity.name] = outlet
        self._echo[outlet.conn_id] = await self.history.for_newcomer(
            self.who.unheard_by(member), self.channels_for(member)
        )
        if identity.signed_in:
            await self._displace_look_alike_guests(identity.name)
        await self.bus.publish(Joined(member) if holder is None else Updated(member))
        if holder is not None:
            self._send_initial(outlet)
        return True

    async def viewer(self, identity: Identity) -> Member:
        """Who `identity` is in the room: their member when this sign-in is here, else the
        member they would be (with their sign-in's saved state), for the page they load."""
        present = self.roster.get(identity.name)
        if present is not None and present.sid == identity.sid:
            return present
        return await self._newcomer(identity)

    async def _newcomer(self, identity: Identity, conn: str = "", address: str = "") -> Member:
        """A new connection's member: camera off, with what its sign-in keeps (mutes, blocks,
        status, do-not-disturb) from any earlier connection, on any process."""
        state = await self.people.state_for(identity)
        member = Member.from_identity(
            identity, since=time.time(), process=self.bus.process_id, conn=conn, address=address
        )
        if state.claims is not None and identity.signed_in:  # the site's claims, as amended since
            member = state.claims.onto(member)
        return member.with_changes(
            mutes=state.mutes,
            blocks=state.blocks,
            status=state.status,
            dnd=state.dnd,
            rules=self.rules_of(member),
        )

    async def change_claims(self, changed: Member) -> None:
        """A member's claims or rules changed while they are here (`/api/amend-jwt`, a reload):
        everyone sees the new row, and a camera the rules no longer allow goes off."""
        final = rules.restricted(changed)
        await self.update_member(final)
        if changed.camera != "off" and final.camera == "off":
            await self.signals.cut(final.name, SERVER_NAME)
            await self.notify(final.name, rules.NO_BROADCAST)

    async def apply_rules_again(self) -> None:
        """After a reload: the members connected here under the `[[ModerationRule]]`s as they are now."""
        for name, outlet in list(self.outlets.items()):
            member = self.roster.get(name)
            if member is not None and member.conn == outlet.conn_id and self.rules_of(member) != member.rules:
                await self.change_claims(member.with_changes(rules=self.rules_of(member)))

    def rules_of(self, member: Member) -> tuple[str, ...]:
        """The rules that apply to `member`: the site's and settings.toml's for their name."""
        return rules.combined(member.site_rules, self.settings.moderation_rules_for(member.name))

    def too_many_from(self, address: str) -> bool:
        """`address` already has `Limits.NamesPerAddress` people in the room."""
        limit = self.settings.limits.names_per_address
        return bool(limit and address and self.names.count_from(address) >= limit)

    def names_refusal(self, address: str) -> str:
        count = self.names.count_from(address)
        return f"{count} people are already in the chat from your network, the most it allows. Please try again later."

    async def banned_until(self, name: str) -> float | None:
        """When the ban on `name`, or on a name that looks like it, ends (epoch seconds); None
        if there is none."""
        ends = [until for banned, until in (await self.registry.bans()).items() if look_alike(banned, name)]
        return max(ends) if ends else None

    def _look_alike_refusal(self, name: str, other: Member) -> str:
        if other.signed_in:
            return f"A member of the site is here as {other.name}. Please sign in again with another name."
        return f"Someone here is already called {other.name}, which looks like {name}. Please sign in again."

    def _look_alike_present(self, name: str) -> Member | None:
        """Someone present under another name that looks like `name` (the same name is the
        registry's to settle: a second tab of one person replaces the first)."""
        for other in self.names.like(name):
            if other != name:
                return self.roster[other]
        return None

    async def _displace_look_alike_guests(self, name: str) -> None:
        """A site member arrived: guests under names that look like theirs make way."""
        for other in self.names.like(name):
            guest = self.roster[other]
            if other != name and not guest.signed_in:
                reason = f"A member of the site signed in as {name}, which looks like your name."
                await self.bus.publish(Disconnect(other, Close.REPLACED, reason, guest.conn))

    async def leave(self, outlet: Outlet) -> None:
        name = outlet.identity.name
        self.connections.pop(outlet.conn_id, None)
        self._echo.pop(outlet.conn_id, None)
        if self.outlets.get(name) is outlet:
            del self.outlets[name]
        await self.signals.forget(outlet)
        self.saved_dms.forget(outlet)
        self.profiles.forget(outlet.conn_id)
        self.threads.forget(outlet)
        how = self._parting.pop(outlet.conn_id, "exited")
        if await self.registry.release(name, outlet.conn_id):
            await self.bus.publish(Left(name, outlet.conn_id, how))

    def _send_initial(self, outlet: Outlet) -> None:
        name = outlet.identity.name
        for part in self.render.who_list(self.who.rows_for(name)):
            outlet.send_html(part)
        member = self.roster.get(name)
        welcome = self.render.welcome(self.channels_for(member))
        mine = self.render.my_relations(member.mutes, member.blocks) if member is not None else ""
        outlet.send_html(self.who.counts(name) + welcome + mine)
        for part in self._echo.pop(outlet.conn_id, []):
            outlet.send_html(part)

    def channels_for(self, member: Member | Identity | None) -> list[Channel]:
        """The channels `member` may see: VIP channels only for VIP members and operators."""
        vip = member is not None and (member.vip or member.op)
        return [channel for channel in self.settings.public_channels if vip or not channel.vip]

    # --- inbound frames -----------------------------------------------------------

    async def handle(self, outlet: Outlet, frame: Inbound) -> None:
        await self._handlers[type(frame)](outlet, frame)

    def tell(self, outlet: Outlet, text: str, level: str = "error") -> None:
        outlet.send_html(self.render.notice(text, level))

    def tell_everyone(self, text: str) -> None:
        """An information notice for everyone on this process."""
        self.delivery.everyone(self.render.notice(text, "info"))

    async def publish(self, event: Event) -> None:
        await self.bus.publish(event)

    def reconfigure(self, settings: Settings) -> None:
        """Run with reloaded settings (`operations.py`): every part of the room takes them, and
        the people here get what changed on their page."""
        before = self.settings
        self.settings = settings
        self.render.reconfigure(settings)
        self.history.settings = settings
        self.typing.settings = settings
        self.reactions.settings = settings.reactions
        self.saved_dms.disclaimer = settings.direct_message_history.disclaimer_message
        self.signals.rings_per_minute = settings.limits.rings_per_minute
        self.screening.filters = MessageFilters(settings.message_filters)
        self.who.relations.blockable_admins = settings.blockable_admins
        self.delivery.vip_channels = frozenset(channel.id for channel in settings.public_channels if channel.vip)
        self.render.report_button = self.reports.enabled
        if before.public_channels != settings.public_channels:
            self._show_channels(before.public_channels)

    def _show_channels(self, before: tuple[Channel, ...]) -> None:
        """The channels after a reload, on the pages here (`operations.channel_changes`)."""
        changes = channel_changes(self.render, before, self.settings.public_channels)
        for name, outlet in self.outlets.items():
            if html := changes[self.delivery.sees_vip(name)]:
                outlet.send_html(html)

    async def _on_message(self, outlet: Outlet, frame: PostMessage) -> None:
        text = frame.text.strip()
        if not text:
            return
        limit = self.settings.limits.max_message_length
        if len(text) > limit:
            raise FrameError(f"Your message is {len(text)} characters long; the limit is {limit}. It was not sent.")
        sender = self.roster.get(outlet.identity.name)
        if sender is None:
            raise FrameError("You are not in the room any more.")
        if text.startswith("//"):
            text = text[1:]  # "//shrug" posts "/shrug", as in IRC clients
        elif text.startswith("/"):
            reply = await commands.run(self, sender, text)
            self.tell(outlet, reply.text, reply.level)
            return
        channel = frame.channel
        if channel.startswith("@"):
            await self._direct(outlet, sender, channel[1:], text)
            return
        found = self.settings.channel(channel)
        if found is None or found not in self.channels_for(sender):
            raise FrameError(f"There is no channel {channel[:40]!r}.")
        verdict = self.screening.check(sender, text)
        rendered = render_message(verdict.text if verdict else text, self.names.spelled, self.emoji)
        post = self.render.new_post(sender, rendered.html, ring=channel, mentions=rendered.mentions)
        html = self.render.append(self.render.channel_log(channel), self.render.post(post))
        await self.typing.stopped(sender.name, channel)
        if verdict is not None and verdict.held_back:
            outlet.send_html(html)  # only its sender sees it
        else:
            await self.history.record(post)
            await self.bus.publish(ChannelPost(html, sender=sender.name, vip=found.vip))
            if not self.bus.everywhere:
                self.tell(outlet, CUT_OFF + " Your message reached only the people connected to this server.")
        if verdict is not None:
            await self.screening.follow_up(outlet, sender, verdict, text, channel, post)

    async def _direct(self, outlet: Outlet, sender: Member, other: str, text: str) -> None:
        if other == sender.name:
            raise FrameError("You cannot send a direct message to yourself.")
        if other not in self.roster:
            if other in outlet.threads:
                outlet.send_html(
                    self.render.server_line(
                        self.render.thread_log(other), f"{other} has left the room; your message was not sent."
                    )
                )
            raise FrameError(f"{other} is not in the room; your message was not sent.")
        recipient = self.people.check_write(sender, other)
        verdict = self.screening.check(sender, text, recipient)
        shown = verdict.text if verdict else text
        rendered = self._render_text(shown)
        post = self.render.new_post(
            sender, rendered.html, ring=DIRECT_RING, recipient=other, mentions=rendered.mentions
        )
        item = self.render.post(post)
        held_back = verdict is not None and verdict.held_back  # then only its sender sees it
        if not held_back:
            await self.history.record(post)
        self.threads.deliver(outlet, other, item, post.id)
        await self.typing.stopped(sender.name, "@" + other)
        if verdict is not None:
            await self.screening.follow_up(outlet, sender, verdict, text, "@" + other, post)
        if held_back or self.who.relations.muting(other, sender.name):
            return  # (muted: they muted the sender, who is not told)
        await self.bus.publish(DirectPost(sender.name, other, item, post.id))
        await self.saved_dms.record(sender, other, post.id, shown, post.ts)
        if not self.bus.everywhere and other not in self.outlets:
            self.tell(outlet, f"{CUT_OFF} Your message may not have reached {other}.")

    def _render_text(self, text: str) -> Rendered:
        return render_message(text, self.names.spelled, self.emoji)

    def deliver_direct(self, outlet: Outlet, other: str, item: str, message_id: str) -> None:
        """Put a DM into `outlet`'s thread with `other` (chat/pictures.py)."""
        self.threads.deliver(outlet, other, item, message_id)

    # --- what commands may do (commands.Moderation) --------------------------------

    async def update_member(self, member: Member) -> None:
        """Record a member's new state (camera, operator) and update every who list."""
        await self._update(member)

    async def _update(self, member: Member) -> None:
        await self.registry.store(member)
        await self.bus.publish(Updated(member))

    async def cut_camera(self, member: Member, operator: str) -> None:
        await self.webcams.cut(member, operator)

    async def disconnect(self, member: Member, code: Close, reason: str, *, presence: str | None = None) -> None:
        """Close `member`'s socket; the others read that they exited, were kicked or banned
        (`presence`: by default what `code` says)."""
        if code in (Close.KICKED, Close.BANNED):  # their cookie opens no socket again
            await self.revoke_session(member.sid)
        how = presence or {Close.KICKED: "kicked", Close.BANNED: "banned"}.get(code, "exited")
        await self.bus.publish(Disconnect(member.name, code, reason, member.conn, how))

    async def remove(self, names: list[str], message: str, *, kicked: bool) -> int:
        """The host site's `/api/disconnect/now`: those of `names` present leave, told
        `message`; the others read that they were kicked, or that they exited. How many left."""
        removed = 0
        reason = message or (
            "You have been kicked from the chat." if kicked else "You have been signed out of the chat."
        )
        for name in dict.fromkeys(names):
            member = self.roster.get(name)
            if member is not None:
                await self.disconnect(member, Close.KICKED, reason, presence="kicked" if kicked else "exited")
                removed += 1
        return removed

    # --- sessions -------------------------------------------------------------------

    async def revoke_session(self, sid: str) -> None:
        """Refuse this session's cookie from now on, on every process."""
        await self.registry.revoke(sid, time.time() + SESSION_LIFETIME_SECONDS)

    async def session_revoked(self, sid: str) -> bool:
        return await self.registry.revoked(sid)

    async def sign_out(self, identity: Identity) -> None:
        """The person signed out: their session is revoked and its socket, if open, closed."""
        await self.revoke_session(identity.sid)
        member = self.roster.get(identity.name)
        if member is not None and member.sid == identity.sid:
            await self.bus.publish(Disconnect(member.name, Close.SIGNED_OUT, "You signed out.", member.conn))

    async def notify(self, name: str, text: str) -> None:
        await self.bus.publish(Notice((name,), self.render.notice(text, "info")))

    async def ban(self, name: str, until: float) -> None:
        await self.registry.ban(name, until)

    async def unban(self, name: str) -> bool:
        """Lift the bans on `name` and on names that look like it."""
        lifted = False
        for banned in [banned for banned in await self.registry.bans() if look_alike(banned, name)]:
            lifted = await self.registry.unban(banned) or lifted
        return lifted

    async def bans(self) -> dict[str, float]:
        return await self.registry.bans()

    def report(self, report: Report) -> None:
        self.reports.send(report)

    async def shut_down(self, by: str) -> None:
        await self.operations.shut_down(by)

    async def reload_settings(self) -> ReloadPlan:
        return await self.operations.reload()

    # --- events from the bus ------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Update the roster mirror and deliver the event's fragments to local outlets."""
        applier = self._appliers.get(type(event))
        if applier is not None:
            applier(event)
            return
        match event:
            case Joined(member):
                self._on_joined(member)
            case Updated(member):
                self._on_updated(member)
            case Left(name, conn, how):
                self._on_left(name, conn, how)
            case ChannelPost(html, sender, vip):
                self.delivery.post(html, sender, vip=vip)
            case DirectPost(sender, recipient, item, message_id):
                self.conversations.add(sender, recipient)
                outlet = self.outlets.get(recipient)
                if outlet is not None and recipient not in self.who.relations.deaf_to(sender):
                    self.threads.deliver(outlet, sender, item, message_id)
            case Notice(names, html):
                self.delivery.people(names, html)
            case Signal():
                self.signals.deliver(self.outlets.get(event.recipient), event)
            case Disconnect(name, code, reason, conn, how):
                outlet = self.connections.get(conn) if conn else self.outlets.get(name)
                if outlet is not None:
                    if how != "exited":
                        self._parting[outlet.conn_id] = how
                    if self.outlets.get(name) is outlet:
                        del self.outlets[name]
                    outlet.close(code, reason)

    def broadcast(self, html: str, *, skip: str = "") -> None:
        self.delivery.everyone(html, skip=skip)

    def _on_joined(self, member: Member) -> None:
        self._roster_put(member)
        presence = self.render.presence(self.settings.default_channel, member.name, joined=True)
        self.who.send_joined(member, self.outlets, presence)
        self.threads.arrived(member)
        outlet = self.outlets.get(member.name)
        if outlet is not None and outlet.conn_id == member.conn:
            self._send_initial(outlet)
            outlet.send_html(presence)

    def _on_updated(self, member: Member) -> None:
        before = self.roster.get(member.name)
        if before is None:
            self._on_joined(member)
            return
        _, row_changed, change = self._roster_put(member)
        if row_changed:  # an invitation, say, changes nobody's who list
            camera_counted = (before.camera == "off") != (member.camera == "off")
            self.who.send_updated(member, self.outlets, counts=camera_counted)
        if change:
            send_separations(change, self.outlets, self.who, self.render)
        if affects_watching(before, member):
            self.signals.recheck(member.name)
        if (before.shown_status, before.img, before.display_name) != (
            member.shown_status,
            member.img,
            member.display_name,
        ):
            self.threads.heads_changed(member)
        outlet = self.outlets.get(member.name)
        if outlet is None:
            return
        if (before.mutes, before.blocks) != (member.mutes, member.blocks):
            outlet.send_html(self.render.my_relations(member.mutes, member.blocks))
        if before.op != member.op or before.vip != member.vip:
            self._vip_channels_changed(outlet, before, member)

    def _vip_channels_changed(self, outlet: Outlet, old: Member, member: Member) -> None:
        before, after = self.channels_for(old), self.channels_for(member)
        for channel in self.settings.public_channels:
            if (channel in before) != (channel in after):
                outlet.send_html(self.render.channel_access(channel, granted=channel in after))

    def _on_left(self, name: str, conn: str, how: str = "exited") -> None:
        member = self.roster.get(name)
        if member is None or member.conn != conn:
            return
        never_saw = set(self.who.relations.hidden.get(name, ()))
        self._roster_drop(name)
        self.typing.forget(name)
        presence = self.render.presence(self.settings.default_channel, name, joined=False, how=how)
        self.who.send_left(name, self.outlets, presence, never_saw)
        self.conversations.forget(name, present=self.roster, guest=not member.signed_in)
        self.threads.partner_left(member)

    # --- the roster mirror (its order, rows and relations: chat/who.py) ------------

    def _roster_put(self, member: Member) -> Placed:
        """Add or replace a member (and keep the indexes of the names present)."""
        self.names.put(member, self.roster.get(member.name))
        return self.who.put(member)

    def _roster_drop(self, name: str) -> None:
        if (member := self.roster.get(name)) is not None:
            self.names.drop(member)
        self.who.drop(name)

    def table_sizes(self) -> dict[str, int]:
        """How many entries each of the room's tables holds: all 0 once everyone has left.

        A feature that keeps a table per person or per connection adds it here, so the seams
        test (tests/inprocess/test_seams.py) sees it."""
        return {
            "roster": len(self.roster),
            "outlets": len(self.outlets),
            "connections": len(self.connections),
            "signal links": self.signals.connection_count(),
            **self.names.table_sizes(),
            **self.threads.table_sizes(),
            "history pending": len(self._echo),
            "parting": len(self._parting),
            "profile lookups": self.profiles.table_size(),
            "typing": self.typing.table_size(),
            **self.saved_dms.table_sizes(),
            **self.who.table_sizes(),
            "conversations": self.conversations.size(),
        }

    def members(self) -> list[Member]:
        """Everyone present, in display order."""
        return self.who.members()
