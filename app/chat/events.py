"""What travels through the broker between processes: small frozen, JSON-able events.

Chat events are rendered to HTML once, by the process where they happen; the broker carries
the fragment, and every process hands the same text to each of its local connections.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from app.chat.model import Member


@dataclass(frozen=True)
class Joined:
    member: Member


@dataclass(frozen=True)
class Left:
    name: str
    conn: str
    reason: str = "exited"


@dataclass(frozen=True)
class Updated:
    member: Member


@dataclass(frozen=True)
class ChannelPost:
    """A fragment for everyone: a channel message."""

    html: str


@dataclass(frozen=True)
class DirectPost:
    """A DM's `<article>`, already rendered; where it goes depends on the recipient's threads."""

    sender: str
    recipient: str
    item: str


@dataclass(frozen=True)
class Notice:
    """A fragment for some named users only."""

    names: tuple[str, ...]
    html: str


@dataclass(frozen=True)
class Signal:
    """A data-only JSON frame for one user's webcam module (see chat/signaling.py)."""

    recipient: str
    data: str
    sender: str = ""
    kind: str = ""
    feed: str = ""   # the broadcaster whose camera the frame is about


@dataclass(frozen=True)
class Disconnect:
    """Close a user's socket wherever it is (kick, ban, replaced)."""

    name: str
    code: int
    reason: str
    conn: str = ""


Event = Joined | Left | Updated | ChannelPost | DirectPost | Notice | Signal | Disconnect
EVENT_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (Joined, Left, Updated, ChannelPost, DirectPost, Notice, Signal, Disconnect)
}


def encode_event(event: Event) -> str:
    return json.dumps({"type": type(event).__name__, **asdict(event)}, separators=(",", ":"))


def decode_event(text: str | bytes) -> Event:
    data = json.loads(text)
    cls = EVENT_TYPES[data.pop("type")]
    values: dict[str, Any] = {}
    for item in fields(cls):
        value = data[item.name]
        if item.name == "member":
            value = Member.from_dict(value)
        elif item.name == "names":
            value = tuple(value)
        values[item.name] = value
    return cls(**values)  # type: ignore[no-any-return]
