"""Saved direct messages, as the chat sees them: what is stored, and what a read returns.

Only DMs between two signed-in members are stored (`[DirectMessageHistory]`); the database
behind `ports.MessageHistory` lives in `app/history/`, and the chat never sees it.
"""

from __future__ import annotations

from typing import Literal

import msgspec

MESSAGES_PER_PAGE = 20  # as the 2025 BareRTC (DirectMessagePerPage)
PARTNERS_PER_PAGE = 9  # as the 2025 BareRTC's History dialog
PartnerSort = Literal["newest", "oldest", "a-z", "z-a"]
PARTNER_SORTS: tuple[PartnerSort, ...] = ("newest", "oldest", "a-z", "z-a")


class StoredMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One direct message as it is kept."""

    message_id: str  # the id the room gave it (the `<article>`'s id): take-back deletes by it
    sender: str
    recipient: str
    text: str  # Markdown, as typed
    sent_at: int  # epoch milliseconds
    row: int = 0  # the database's row id once stored: the cursor for paging back

    def involves(self, name: str) -> bool:
        return name in (self.sender, self.recipient)

    def pair(self) -> tuple[str, str]:
        """The two people, in a fixed order."""
        low, high = sorted((self.sender, self.recipient))
        return low, high


class HistoryPage(msgspec.Struct, frozen=True):
    """Up to a page of one conversation, oldest first, and how many older ones remain."""

    messages: tuple[StoredMessage, ...]
    remaining: int


class PartnerPage(msgspec.Struct, frozen=True):
    """One page of the people someone has saved conversations with."""

    usernames: tuple[str, ...]
    count: int  # conversations in all
    pages: int  # at least 1


class HistoryUnavailable(Exception):
    """The database could not be reached (or took too long) for a read or an erase."""
