"""WebSocket close codes, and the standard reason each one gives the person.

One vocabulary for every layer that closes a socket: the room (kick, ban, replaced), the
brokers (a name taken while Redis was away), the socket (fell behind, signed out) and the
command line (restart). Codes below 4000 tell the browser to reconnect; the 4000 range tells
it not to, and the page shows the reason (docs/protocol.md, "Closing").
"""

from __future__ import annotations

from enum import IntEnum


class Close(IntEnum):
    TOO_BIG = 1009  # a frame far over Limits.MaxFrameBytes: the connection is dropped
    RESTART = 1012  # the server is restarting: reconnect
    TOO_SLOW = 1013  # the client stopped reading and its queue filled: reconnect
    KICKED = 4000
    BANNED = 4001
    REPLACED = 4002  # another tab, or a site member arrived under this guest's name
    NAME_TAKEN = 4003
    LIMITED = 4029  # too many from one address, or the process is full (like HTTP 429)
    SIGNED_OUT = 4401  # no valid session

    @property
    def reconnects(self) -> bool:
        """Whether the browser should open a new socket after this close."""
        return self < 4000


REASONS: dict[Close, str] = {
    Close.TOO_BIG: "Message too big",
    Close.RESTART: "The chat server is restarting.",
    Close.TOO_SLOW: "You were disconnected because your connection fell behind.",
    Close.KICKED: "You have been kicked from the chat.",
    Close.BANNED: "You are banned from this chat.",
    Close.REPLACED: "You opened the chat in another tab or window.",
    Close.NAME_TAKEN: "Someone else is now using your name. Please sign in again.",
    Close.LIMITED: "The chat is full right now. Please try again in a few minutes.",
    Close.SIGNED_OUT: "Please sign in.",
}


def name_taken(name: str) -> str:
    """The reason given when a name someone held is now someone else's."""
    return f"Someone else is now using the name {name}. Please sign in again."
