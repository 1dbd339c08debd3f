"""What travels through the event bus between processes: small frozen, typed events.

Chat events are rendered to HTML once, by the process where they happen; the bus carries the
fragment, and every process hands the same text to each of its local connections. Each event
is a msgspec struct tagged by its class name, so one encoder and one decoder carry them all
(`encode_event`, `decode_event`).
"""

from __future__ import annotations

import msgspec

from app.chat.model import Member
from app.chat.posts import Reaction


class _Event(msgspec.Struct, frozen=True, tag_field="type", tag=True):
    """Base of every event; `type` is the class name on the wire."""


class Joined(_Event, frozen=True):
    member: Member


class Left(_Event, frozen=True):
    name: str
    conn: str
    reason: str = "exited"  # what the presence line says: "exited", "kicked" or "banned"


class Updated(_Event, frozen=True):
    member: Member


class ChannelPost(_Event, frozen=True):
    """A channel message, for everyone who may read it (chat/room.py `_post`)."""

    html: str
    sender: str = ""  # whoever muted or is blocked with them does not get it
    vip: bool = False  # a VIP channel's: only VIP members and operators get it


class DirectPost(_Event, frozen=True):
    """A DM's `<article>`, already rendered; where it goes depends on the recipient's threads."""

    sender: str
    recipient: str
    item: str
    message_id: str = ""  # the `<article>`'s id (saved history leaves out what arrived live)


class MessageRemoved(_Event, frozen=True):
    """A message taken back: `html` deletes it (or puts a placeholder in its place) for
    `people` (a direct message's two), or for everyone when `people` is empty."""

    id: str
    people: tuple[str, ...]
    html: str


class ReactionsChanged(_Event, frozen=True):
    """A message's reactions at `version`; a process keeps only the latest version it saw."""

    id: str
    version: int
    people: tuple[str, ...]
    html: str
    ring: str = ""  # the post's channel (a VIP channel's reactions reach only who may see it)
    reactions: tuple[Reaction, ...] = ()  # the state `html` shows, for a viewer who must see fewer names


class Typing(_Event, frozen=True):
    """`name` started (`active`) or stopped typing in `channel`, or in a DM to `recipient`."""

    name: str
    active: bool
    channel: str = ""
    recipient: str = ""


class Notice(_Event, frozen=True):
    """A fragment for some named users only."""

    names: tuple[str, ...]
    html: str


class Signal(_Event, frozen=True):
    """A data-only JSON frame for one user's webcam module (see chat/signaling.py)."""

    recipient: str
    data: str
    sender: str = ""
    kind: str = ""
    feed: str = ""  # the broadcaster whose camera the frame is about


class Disconnect(_Event, frozen=True):
    """Close a user's socket wherever it is (kick, ban, replaced)."""

    name: str
    code: int
    reason: str
    conn: str = ""
    presence: str = "exited"  # what the others' presence line will say (`Left.reason`)


class ShuttingDown(_Event, frozen=True):
    """Every process closes its sockets (1012) and exits, for its supervisor to restart it."""

    by: str  # who asked: an operator's name, or "the admin API"


class Reconfigured(_Event, frozen=True):
    """Every process reads its settings file again and applies what may change live."""


Event = (
    Joined
    | Left
    | Updated
    | ChannelPost
    | DirectPost
    | MessageRemoved
    | ReactionsChanged
    | Typing
    | Notice
    | Signal
    | Disconnect
    | ShuttingDown
    | Reconfigured
)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Event)


class MalformedEvent(ValueError):
    """Bytes on the bus that are not an event this version knows."""


def encode_event(event: Event) -> bytes:
    return _encoder.encode(event)


def decode_event(data: str | bytes) -> Event:
    try:
        return _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise MalformedEvent(str(error)) from None
