"""Who a user is in the room: the identity from their session plus their live state."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import msgspec

Camera = Literal["off", "on", "nsfw"]
SESSION_LIFETIME_SECONDS = 12 * 3600  # a session cookie, and a revoked session's entry, last this long
# What the host site's JWT `rules` claim may forbid (the 2025 BareRTC's names), enforced in chat/rules.py.
KNOWN_RULES = ("redcam", "nobroadcast", "novideo", "noimage", "nodvd")


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
    nick: str = ""  # JWT `nick`: a display name shown beside the username
    vip: bool = False
    emoji: str = ""
    gender: str = ""  # "m", "f", "o" (other) or "" (not said): colours the name's button
    rules: tuple[str, ...] = ()  # JWT `rules`, known ones only (KNOWN_RULES)

    def to_session(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)

    @classmethod
    def from_session(cls, data: object) -> Identity | None:
        """The identity a session cookie holds, or None if it holds none (or an old shape)."""
        try:
            return msgspec.convert(data, cls)
        except msgspec.ValidationError:
            return None


class Ref(msgspec.Struct, frozen=True, array_like=True):
    """Whom a mute or block is aimed at: a site member by name (`sid` empty), or one guest's
    sign-in (a later guest who takes the same name is someone else)."""

    name: str
    sid: str = ""

    def points_at(self, member: Member) -> bool:
        if self.name != member.name:
            return False
        return self.sid == member.sid if self.sid else member.signed_in

    @classmethod
    def to(cls, member: Member) -> Ref:
        return cls(member.name, "" if member.signed_in else member.sid)


class SiteClaims(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What the host site says about a member beyond their name: their token's claims, or a
    newer token's the site gave them while they were here (`/api/amend-jwt`)."""

    op: bool = False
    img: str = ""
    url: str = ""
    nick: str = ""
    vip: bool = False
    emoji: str = ""
    gender: str = ""
    rules: tuple[str, ...] = ()  # the site's `rules` (settings.toml may add more: Member.rules)

    @classmethod
    def of(cls, identity: Identity) -> SiteClaims:
        return cls(
            op=identity.op,
            img=identity.img,
            url=identity.url,
            nick=identity.nick,
            vip=identity.vip,
            emoji=identity.emoji,
            gender=identity.gender,
            rules=identity.rules,
        )

    def onto(self, member: Member) -> Member:
        """`member` with these claims (an operator made with /op stays one)."""
        return member.with_changes(
            op=self.op or (member.op and not member.jwt_op),
            jwt_op=self.op,
            img=self.img,
            url=self.url,
            nick=self.nick,
            vip=self.vip,
            emoji=self.emoji,
            gender=self.gender,
            site_rules=self.rules,
        )


class SessionState(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What one sign-in keeps across its reconnects, on every process: whom it muted and
    blocked, its chosen status, whether it takes new conversations, and (for a member of the
    site) the site's claims as they are now."""

    mutes: tuple[Ref, ...] = ()
    blocks: tuple[Ref, ...] = ()
    status: str = "online"
    dnd: bool = False  # "Ignore unsolicited messages"
    claims: SiteClaims | None = None


class Member(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A user present in the room, as every process sees them."""

    name: str
    sid: str
    signed_in: bool = False
    op: bool = False
    jwt_op: bool = False  # operator by the host site's token (outranks /op)
    img: str = ""
    url: str = ""
    nick: str = ""
    vip: bool = False
    emoji: str = ""
    gender: str = ""
    rules: tuple[str, ...] = ()  # what applies: the site's, and settings.toml's [[ModerationRule]]
    site_rules: tuple[str, ...] = ()  # the site's alone (its token's `rules`)
    camera: Camera = "off"
    # While the camera is on (docs/protocol.md, `me`): what everyone sees in the who list ...
    muted: bool = False  # the microphone is muted
    paused: bool = False  # the camera is turned off while live: no picture, the sound carries on
    mutual: bool = False  # only people on camera may watch
    # ... and what only the relay reads: who may watch even so (chat/webcam_rules.py).
    invited: tuple[str, ...] = ()
    status: str = "online"  # chosen: online, away or a configured chat status
    idle: bool = False  # no input for a while: shown as Away while the status is online
    dnd: bool = False
    mutes: tuple[Ref, ...] = ()
    blocks: tuple[Ref, ...] = ()
    since: float = 0.0
    process: str = ""
    conn: str = ""  # the connection that holds the name right now
    address: str = ""  # where they came from, for the per-address limits; never shown to anyone

    @property
    def key(self) -> str:
        return dom_key(self.name)

    @property
    def shown_status(self) -> str:
        """The status others see: Away while idle, unless another status was chosen."""
        return "away" if self.idle and self.status == "online" else self.status

    @property
    def display_name(self) -> str:
        return self.nick or self.name

    @property
    def state(self) -> SessionState:
        return SessionState(mutes=self.mutes, blocks=self.blocks, status=self.status, dnd=self.dnd, claims=self.claims)

    @property
    def claims(self) -> SiteClaims | None:
        """The site's claims about this member, as they are now (None for a guest)."""
        if not self.signed_in:
            return None
        return SiteClaims(
            op=self.jwt_op,
            img=self.img,
            url=self.url,
            nick=self.nick,
            vip=self.vip,
            emoji=self.emoji,
            gender=self.gender,
            rules=self.site_rules,
        )

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
            nick=identity.nick,
            vip=identity.vip,
            emoji=identity.emoji,
            gender=identity.gender,
            rules=identity.rules,
            site_rules=identity.rules,
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


_state_decoder = msgspec.json.Decoder(SessionState)


def state_to_json(state: SessionState) -> str:
    return _member_json.encode(state).decode()


def state_from_json(text: str | bytes) -> SessionState:
    return _state_decoder.decode(text)
