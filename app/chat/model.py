"""Who a user is in the room: the identity from their session plus their live state."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Camera = Literal["off", "on", "nsfw"]


def dom_key(name: str) -> str:
    """A short, HTML-id-safe key for a username (usernames may hold any character)."""
    return hashlib.blake2b(name.encode(), digest_size=6).hexdigest()


@dataclass(frozen=True)
class Identity:
    """Who the signed session says a browser is. Never built from what a socket sends."""

    name: str
    sid: str                 # random per sign-in: tells two guests of the same name apart
    signed_in: bool = False  # came with a valid JWT
    op: bool = False
    img: str = ""
    url: str = ""
    iss: str = ""

    def to_session(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_session(cls, data: Any) -> Identity | None:
        if not isinstance(data, dict):
            return None
        try:
            identity = cls(**data)
        except TypeError:
            return None
        if not isinstance(identity.name, str) or not isinstance(identity.sid, str):
            return None
        return identity


@dataclass(frozen=True)
class Member:
    """A user present in the room, as every process sees them."""

    name: str
    sid: str
    signed_in: bool = False
    op: bool = False
    jwt_op: bool = False     # operator by the host site's token (outranks /op)
    img: str = ""
    url: str = ""
    camera: Camera = "off"
    since: float = 0.0
    process: str = ""
    conn: str = ""           # the connection that holds the name right now

    @property
    def key(self) -> str:
        return dom_key(self.name)

    @classmethod
    def from_identity(cls, identity: Identity, *, since: float, process: str, conn: str) -> Member:
        return cls(name=identity.name, sid=identity.sid, signed_in=identity.signed_in,
                   op=identity.op, jwt_op=identity.op, img=identity.img, url=identity.url,
                   since=since, process=process, conn=conn)

    def with_changes(self, **changes: Any) -> Member:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Member:
        return cls(**data)
