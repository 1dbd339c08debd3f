"""Who a user is in the room: the identity from their session plus their live state."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import msgspec

Camera = Literal["off", "on", "nsfw"]
SESSION_LIFETIME_SECONDS = 12 * 3600  # a session cookie, and a revoked session's entry, last this long


def dom_key(name: str) -> str:
    """A short, HTML-id-safe key for a username (usernames may hold any character)."""
    return hashlib.blake2b(name.encode(), digest_size=6).hexdigest()


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """Who the signed session says a browser is. Never built from what a socket sends."""

    name: str
    sid: str  # random per sign-in: tells two guests of the same name apart
    signed_in: bool = False  # came with a valid JWT
    op: bool = False
    img: str = ""
    url: str = ""
    iss: str = ""

    def to_session(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)

    @classmethod
    def from_session(cls, data: object) -> Identity | None:
        """The identity a session cookie holds, or None if it holds none (or an old shape)."""
        try:
            return msgspec.convert(data, cls)
        except msgspec.ValidationError:
            return None


class Member(msgspec.Struct, frozen=True, kw_only=True):
    """A user present in the room, as every process sees them."""

    name: str
    sid: str
    signed_in: bool = False
    op: bool = False
    jwt_op: bool = False  # operator by the host site's token (outranks /op)
    img: str = ""
    url: str = ""
    camera: Camera = "off"
    # While the camera is on (docs/protocol.md, `me`): what everyone sees in the who list ...
    muted: bool = False  # the microphone is muted
    paused: bool = False  # the camera is turned off while live: no picture, the sound carries on
    mutual: bool = False  # only people on camera may watch
    # ... and what only the relay reads: who may watch even so (chat/webcam_rules.py).
    invited: tuple[str, ...] = ()
    since: float = 0.0
    process: str = ""
    conn: str = ""  # the connection that holds the name right now
    address: str = ""  # where they came from, for the per-address limits; never shown to anyone

    @property
    def key(self) -> str:
        return dom_key(self.name)

    @classmethod
    def from_identity(cls, identity: Identity, *, since: float, process: str, conn: str, address: str = "") -> Member:
        return cls(
            name=identity.name,
            sid=identity.sid,
            signed_in=identity.signed_in,
            op=identity.op,
            jwt_op=identity.op,
            img=identity.img,
            url=identity.url,
            since=since,
            process=process,
            conn=conn,
            address=address,
        )

    def with_changes(self, **changes: Any) -> Member:
        return msgspec.structs.replace(self, **changes)


_member_json = msgspec.json.Encoder()
_member_decoder = msgspec.json.Decoder(Member)


def member_to_json(member: Member) -> str:
    """A member as the JSON the Redis registry keeps."""
    return _member_json.encode(member).decode()


def member_from_json(text: str | bytes) -> Member:
    return _member_decoder.decode(text)
