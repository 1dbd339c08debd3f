"""What the room needs from outside this process, in four parts.

- `EventBus`: every event published by any process reaches every process's room, in order.
- `Registry`: the little state the processes share: who holds which name, their current
  state for processes that start later, the ban list, the sessions revoked by sign-out, kick
  or ban, what each sign-in keeps across its reconnects (mutes, blocks, status), and the host
  site's blocklists.
- `MessageStore`: the recent messages, one bounded ring per channel and one for every direct
  message, each post's state (reactions) changed atomically in one place.

- `PictureStore`: shared pictures as the server re-encoded them, each rendition under a key,
  for a while (`[Photos] KeepMinutes`), bounded in bytes; in Redis so any process serves any.

- `MessageHistory`: opt-in saved direct messages between members, kept on disk by
  `app/history/` in SQLite or PostgreSQL (the chat never imports SQLAlchemy).
- `Webhooks`: calls to the host website (`[[WebhookURLs]]`): reports, profile fields;
  app/webhooks.py makes them over HTTP.

`app/broker/` implements the first four, in memory (one process) and on Redis (many); the chat
depends only on these protocols, never on a broker or a database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from app.chat.events import Event
from app.chat.model import Member, SessionState
from app.chat.posts import Post
from app.chat.stored import HistoryPage, PartnerPage, PartnerSort, StoredMessage
from app.chat.website import ProfileField, Report, ReportDone

EventHandler = Callable[[Event], None]


class EventBus(Protocol):
    @property
    def process_id(self) -> str:
        """This process's id: unique among the processes sharing the bus."""
        ...

    @property
    def everywhere(self) -> bool:
        """Whether an event published now reaches every process (False while they are cut off
        from each other: it then reaches only this one)."""
        ...

    async def start(self, on_event: EventHandler) -> None:
        """Begin delivering every published event (this process's own too) to `on_event`."""

    async def publish(self, event: Event) -> None:
        """Send an event to every process, this one included."""

    async def close(self) -> None:
        """Stop delivering and release connections."""


class Registry(Protocol):
    async def claim(self, member: Member, *, replacing: str = "") -> Member | None:
        """Atomically take `member.name` if it is free or held by the connection `replacing`.
        Returns None on success, else the member holding the name."""

    async def store(self, member: Member) -> None:
        """Record the member's current state (camera, op) for processes that start later."""

    async def release(self, name: str, conn: str) -> bool:
        """Free the name if connection `conn` still holds it; True when it did."""

    async def members(self) -> list[Member]:
        """Everyone present, on every process."""

    async def ban(self, name: str, until: float) -> None:
        """Keep `name` out until the epoch time `until`."""

    async def unban(self, name: str) -> bool:
        """Lift a ban; True when there was one."""

    async def bans(self) -> dict[str, float]:
        """Current bans: name -> epoch time they end (expired ones left out)."""

    async def revoke(self, sid: str, until: float) -> None:
        """Refuse the session `sid` from now until the epoch time `until` (its cookie's end)."""

    async def revoked(self, sid: str) -> bool:
        """Whether the session `sid` was revoked (and the revocation has not ended)."""

    async def count_sign_in(self, address: str) -> int:
        """Count a sign-in from `address`; returns how many it made this minute (this one too)."""

    async def session_state(self, sid: str) -> SessionState | None:
        """What the sign-in `sid` keeps across reconnects, if it saved anything."""

    async def store_session_state(self, sid: str, state: SessionState) -> None:
        """Keep `state` for the sign-in `sid` for `SESSION_LIFETIME_SECONDS`."""

    async def site_blocklist(self, name: str) -> tuple[str, ...]:
        """The host site's blocklist for its member `name` (empty when it sent none)."""

    async def store_site_blocklist(self, name: str, blocked: tuple[str, ...]) -> None:
        """Replace the host site's blocklist for its member `name`."""


class StoreUnavailable(Exception):
    """The message store cannot be reached right now (Redis away); try again later."""


class MessageStore(Protocol):
    async def record(self, post: Post, keep: int) -> None:
        """Add `post` to its ring, which then holds at most `keep` posts (the oldest go)."""

    async def recent(self, ring: str, count: int) -> list[Post]:
        """The latest `count` posts of a ring, oldest first."""

    async def find(self, message_id: str) -> Post | None:
        """A post still in its ring, or None."""

    async def remove(self, message_id: str) -> Post | None:
        """Take a post out of its ring; the post, or None when it was no longer there."""

    async def react(self, message_id: str, emoji: str, name: str, max_distinct: int) -> Post | None:
        """Toggle `name`'s `emoji` on a post, atomically; the new post, or None when it is gone.
        Raises `posts.ReactionRefused` when that would be one emoji too many."""


class PictureStore(Protocol):
    async def put(self, key: str, content_type: str, data: bytes, ttl_seconds: float) -> None:
        """Keep `data` under `key` for `ttl_seconds` (the oldest go first past the store's bound).
        Raises `StoreUnavailable` when it cannot be kept (Redis away)."""

    async def get(self, key: str) -> tuple[str, bytes, float] | None:
        """(content type, bytes, seconds left) of a picture still kept, or None."""

    async def remove(self, key: str) -> None:
        """Forget a picture (its message was taken back)."""


AvailabilityListener = Callable[[bool, tuple[StoredMessage, ...]], Awaitable[None]]
"""Told `(available, messages)` when the store loses or regains its database; `messages` are
those waiting to be written when it was lost (so their two people can be told)."""


class MessageHistory(Protocol):
    """Saved direct messages between members (`[DirectMessageHistory]`); `app/history/` keeps them.

    Writes never wait for the database: `record` buffers (bounded) and a writer stores in
    batches. Reads and erasures raise `HistoryUnavailable` when the database does not answer."""

    @property
    def available(self) -> bool:
        """False from a failed write until the database answers again."""
        ...

    def watch(self, listener: AvailabilityListener) -> None:
        """Call `listener` whenever availability changes."""

    def record(self, message: StoredMessage) -> None:
        """Keep `message`; returns at once (a full buffer drops it, counted and logged)."""

    async def page(
        self, owner: str, other: str, *, before: int = 0, exclude: frozenset[str] = frozenset()
    ) -> HistoryPage:
        """The conversation of `owner` and `other`: the page before row `before` (0: the newest),
        leaving out messages whose ids are in `exclude`."""

    async def partners(self, owner: str, sort: PartnerSort = "newest", page: int = 1) -> PartnerPage:
        """The people `owner` has saved conversations with, one page of them."""

    async def clear(self, username: str) -> int:
        """Erase every saved message `username` sent or received; how many there were."""

    async def take_back(self, message_id: str) -> int:
        """Erase the saved message with this id (taken back); how many rows went (0 or 1)."""


class Webhooks(Protocol):
    """The host website's webhooks. Nothing here makes the room wait: a report is queued
    (bounded), and a profile is asked for by a task of its own."""

    def enabled(self, name: str) -> bool:
        """Whether the webhook `name` ("report", "profile") is configured and enabled."""

    def report(self, report: Report, done: ReportDone | None = None) -> None:
        """Queue a report for the website; `done` is told later whether it took it."""

    async def profile(self, username: str) -> tuple[ProfileField, ...]:
        """What the website says about `username`; `website.WebhookFailed` when it will not say."""
