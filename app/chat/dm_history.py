"""Saved direct messages in the chat (issue 20): what is saved, and what a member sees of it.

With `[DirectMessageHistory] Enabled`, a DM between two signed-in members is handed to the
store (`ports.MessageHistory`) as it is sent; a guest's never is (a guest name is not an
identity). A thread between members starts with the operator's disclaimer, and its recent
saved messages are read in the background and put above the live ones (those that arrived
live meanwhile are left out, by id). `Load earlier messages` pages back (`history`), the
History dialog lists past partners (`history-partners`), `Clear my DM history` erases
(`history-clear`). When the store loses its database, the two people of each conversation
are told in their threads, once, and again when it is back; live messages never wait for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from app.chat.events import Event, Notice
from app.chat.frames import ClearHistory, ListPartners, ShowHistory
from app.chat.model import Member
from app.chat.outlet import Outlet
from app.chat.ports import MessageHistory
from app.chat.posts import DIRECT_RING, Author, Post
from app.chat.protocol import FrameError
from app.chat.render import PartnerListing, Renderer, SavedThread
from app.chat.stored import PARTNER_SORTS, HistoryPage, HistoryUnavailable, StoredMessage
from app.settings import Settings

log = logging.getLogger("app.history")

MAX_LOADS = 512  # threads whose saved messages are being read at once, per process
MAX_TOLD = 10_000  # conversations told "unavailable" in one outage, per process
UNAVAILABLE = "History is unavailable right now: messages are still delivered, and saved once it is back."
BACK = "History is back: messages are saved again."
UNREADABLE = "History is unavailable right now, so earlier messages cannot be shown. Please try again later."
OFF = "Direct messages are not saved on this chat."
MEMBERS_ONLY = "Saved direct messages are for members of the site."

Publish = Callable[[Event], Awaitable[None]]
Body = Callable[[str], str]  # a message's Markdown -> its sanitized HTML, as the room renders it


class DirectHistory:
    """The room's side of saved DMs, one per room; does nothing when history is off."""

    def __init__(
        self,
        settings: Settings,
        store: MessageHistory | None,
        render: Renderer,
        roster: dict[str, Member],
        publish: Publish,
        body: Body,
    ) -> None:
        self.store = store
        self.render = render
        self.roster = roster
        self.publish = publish
        self.body = body
        self.disclaimer = settings.direct_message_history.disclaimer_message
        self._loads: dict[tuple[str, str], asyncio.Task[None]] = {}  # (connection, other) -> first read
        self._live: dict[tuple[str, str], set[str]] = {}  # ids delivered live while it runs
        self._told: set[tuple[str, str]] = set()  # conversations told history is unavailable
        if store is not None:
            store.watch(self._availability_changed)

    # --- saving ---------------------------------------------------------------------

    def saved(self, owner: Member | None, other: str) -> bool:
        """Are DMs between `owner` and `other` (present) saved?"""
        partner = self.roster.get(other)
        return self.store is not None and owner is not None and owner.signed_in and bool(partner and partner.signed_in)

    async def record(self, sender: Member, recipient: str, message_id: str, text: str, sent_at_ms: int) -> None:
        """Save a DM just delivered, if it is between members (never waits for the database)."""
        if self.store is None or not self.saved(sender, recipient):
            return
        self.store.record(
            StoredMessage(message_id=message_id, sender=sender.name, recipient=recipient, text=text, sent_at=sent_at_ms)
        )
        if not self.store.available:
            await self._tell((sender.name, recipient), UNAVAILABLE)

    async def take_back(self, message_id: str) -> None:
        """A message was taken back: erase its saved copy too (for the take-back handler)."""
        if self.store is not None:
            try:
                await self.store.take_back(message_id)
            except HistoryUnavailable as error:
                log.warning("history: could not erase taken-back message %s: %s", message_id, error)

    # --- threads --------------------------------------------------------------------

    def top(self, owner: Member | None, other: str) -> SavedThread | None:
        """What a new thread with `other` shows above its messages, if it is saved."""
        return SavedThread(self.disclaimer) if self.saved(owner, other) else None

    def opened(self, outlet: Outlet, other: str, first_id: str = "") -> None:
        """A saved thread just opened on `outlet`: read its recent messages in the background."""
        key = (outlet.conn_id, other)
        if self.store is None or key in self._loads or len(self._loads) >= MAX_LOADS:
            return
        self._live[key] = {first_id} if first_id else set()
        task = self._loads[key] = asyncio.create_task(self._first_page(outlet, other), name="history first page")
        task.add_done_callback(_log_failure)

    def delivered(self, outlet: Outlet, other: str, message_id: str) -> None:
        """A live DM reached a thread: the first read, if still running, leaves it out."""
        live = self._live.get((outlet.conn_id, other))
        if live is not None:
            live.add(message_id)

    async def _first_page(self, outlet: Outlet, other: str) -> None:
        key = (outlet.conn_id, other)
        assert self.store is not None
        live = self._live.get(key, set())  # still filling while the read runs
        try:
            page = await self.store.page(outlet.identity.name, other, exclude=frozenset(live))
        except HistoryUnavailable:
            outlet.send_html(self.render.server_line(self.render.thread_log(other), UNREADABLE))
            return
        finally:
            self._loads.pop(key, None)
            self._live.pop(key, None)
        if other in outlet.threads:
            # The read writes what is buffered first, so DMs delivered live after it began are in it too.
            outlet.send_html(self.render.history_page(other, self._saved_page(page, shown=live)))

    def forget(self, outlet: Outlet) -> None:
        """The connection left: stop reading for it."""
        for key in [key for key in self._loads if key[0] == outlet.conn_id]:
            self._loads.pop(key).cancel()
            self._live.pop(key, None)

    def close(self) -> None:
        for task in self._loads.values():
            task.cancel()
        self._loads.clear()
        self._live.clear()

    def _saved_page(self, page: HistoryPage, shown: set[str] | frozenset[str] = frozenset()) -> SavedThread:
        """A page for the thread, leaving out the messages it already `shown` live (paging back
        still starts before the oldest message read)."""
        items = self.render.history_items(
            self._post(stored) for stored in page.messages if stored.message_id not in shown
        )
        before = page.messages[0].row if page.remaining and page.messages else 0
        return SavedThread(self.disclaimer, items=items, before=before, loaded=True)

    def _post(self, stored: StoredMessage) -> Post:
        """A saved message as the post it was (the byline of the sender as they are now)."""
        present = self.roster.get(stored.sender)
        return Post(
            id=stored.message_id,
            ring=DIRECT_RING,
            author=Author.of(present) if present else Author(name=stored.sender),
            body=self.body(stored.text),
            ts=stored.sent_at,
            recipient=stored.recipient,
        )

    # --- the frames -----------------------------------------------------------------

    def _check(self, outlet: Outlet) -> MessageHistory:
        if self.store is None:
            raise FrameError(OFF)
        if not outlet.identity.signed_in:
            raise FrameError(MEMBERS_ONLY)
        return self.store

    async def on_show(self, outlet: Outlet, frame: ShowHistory) -> None:
        """`history`: the newest page (opening the thread) or the page before `before`."""
        store = self._check(outlet)
        other, before = frame.username, whole_number(frame.before, "before")
        if other == outlet.identity.name:
            raise FrameError("That is you: direct messages go to other people.")
        if other in outlet.threads and not before:
            return  # already open, and its first page read when it opened
        present = self.roster.get(other)
        if present is not None and not present.signed_in:
            raise FrameError(f"Messages with {other[:40]} are not saved: they are a guest.")
        try:
            page = await store.page(outlet.identity.name, other, before=before)
        except HistoryUnavailable:
            raise FrameError(UNREADABLE) from None
        saved = self._saved_page(page)
        if other in outlet.threads:
            if not before:
                return  # a DM opened the thread while this read ran, and its own read shows the page
            outlet.send_html(self.render.history_page(other, saved))
        elif page.messages or present is not None:
            outlet.threads.add(other)
            outlet.send_html(self.render.thread(other, saved=saved, partner=present))
        else:
            raise FrameError(f"You have no saved conversation with {other[:40]}.")

    async def on_partners(self, outlet: Outlet, frame: ListPartners) -> None:
        """`history-partners`: one page of past partners for the History dialog."""
        store = self._check(outlet)
        if frame.sort not in PARTNER_SORTS:
            raise FrameError(f"Sort by one of {', '.join(PARTNER_SORTS)}.")
        sort, number = frame.sort, max(1, whole_number(frame.page, "page"))
        try:
            listing = PartnerListing(sort, await store.partners(outlet.identity.name, sort, number), number)
        except HistoryUnavailable:
            listing = PartnerListing(sort, problem="History is unavailable right now. Please try again later.")
        outlet.send_html(self.render.history_partners(listing))

    async def on_clear(self, outlet: Outlet, frame: ClearHistory) -> None:
        """`history-clear`: erase everything I sent or received, and take it out of my threads."""
        store = self._check(outlet)
        name = outlet.identity.name
        try:
            erased = await store.clear(name)
        except HistoryUnavailable:
            raise FrameError(
                "History is unavailable right now, so nothing was erased. Please try again later."
            ) from None
        log.info("history: %r erased their DM history (%d messages)", name, erased)
        outlet.send_html(
            self.render.history_cleared(outlet.threads)
            + self.render.history_partners(PartnerListing())
            + self.render.notice(f"Your DM history is erased ({_messages(erased)}).", "info")
        )

    # --- the database away and back -------------------------------------------------

    async def _availability_changed(self, available: bool, waiting: tuple[StoredMessage, ...]) -> None:
        if available:
            told, self._told = self._told, set()
            for pair in told:
                await self._say(pair, BACK)
            return
        for pair in {message.pair() for message in waiting}:
            await self._tell(pair, UNAVAILABLE)

    async def _tell(self, pair: tuple[str, str], text: str) -> None:
        """Say `text` once in both threads of a conversation, for this outage."""
        key = (min(pair), max(pair))
        if key in self._told or len(self._told) >= MAX_TOLD:
            return
        self._told.add(key)
        await self._say(key, text)

    async def _say(self, pair: tuple[str, str], text: str) -> None:
        one, two = pair
        for name, other in ((one, two), (two, one)):
            await self.publish(Notice((name,), self.render.server_line(self.render.thread_log(other), text)))

    def table_sizes(self) -> dict[str, int]:
        return {"history reads": len(self._loads), "history live ids": len(self._live)}


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("history: reading a thread failed", exc_info=error)


def whole_number(value: int | str, name: str) -> int:
    """A form's number field ("12") or a JSON number, at least 0."""
    try:
        number = int(value)
    except ValueError:
        raise FrameError(f"The field {name!r} must be a whole number.") from None
    if number < 0:
        raise FrameError(f"The field {name!r} must be a whole number.")
    return number


def _messages(count: int) -> str:
    return "1 message" if count == 1 else f"{count} messages"
