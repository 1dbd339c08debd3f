"""A message as the room keeps it for a while: enough to replay it, react to it, take it back.

A `Post` is what a channel's (or the direct messages') ring of recent messages holds: who
wrote it, its sanitized body, when, whom it mentions, and its reactions with a version that
grows by one at every change. The store (`ports.MessageStore`) is the one place a post's state
lives; every change is made there atomically and the event that tells the other processes
carries the whole new state with its version, so a process that sees two changes out of order
keeps the later one.
"""

from __future__ import annotations

from collections import OrderedDict

import msgspec

from app.chat.model import Member, dom_key

DIRECT_RING = "@"  # the ring of every direct message; channel rings are named by channel id
HERE = "here"  # `@here` in `Post.mentions`: everyone in the channel


class Author(msgspec.Struct, frozen=True, kw_only=True):
    """Who wrote a post, as its byline shows them when it was sent."""

    name: str
    img: str = ""
    op: bool = False
    nick: str = ""  # the JWT `nick` they had then

    @property
    def key(self) -> str:
        return dom_key(self.name)

    @property
    def display_name(self) -> str:
        return self.nick or self.name

    @classmethod
    def of(cls, member: Member) -> Author:
        return cls(name=member.name, img=member.img, op=member.op, nick=member.nick)


class Reaction(msgspec.Struct, frozen=True, array_like=True):
    """One emoji on a post and who chose it, in the order they did."""

    emoji: str
    names: tuple[str, ...]

    @property
    def keys(self) -> str:
        """The reactors' `dom_key`s, space-separated (the page highlights the viewer's own)."""
        return " ".join(dom_key(name) for name in self.names)


class Picture(msgspec.Struct, frozen=True, kw_only=True):
    """A shared picture as its message carries it: where the two renditions the server made
    are served (`app/web/pictures.py`), their sizes, and when they are gone. Never the bytes."""

    token: str  # the unguessable part of both URLs
    width: int  # of the large rendition
    height: int
    preview_width: int
    preview_height: int
    size: int  # bytes of the large rendition
    content_type: str
    expires: int  # epoch milliseconds
    frames: int = 1  # more than one: kept animated

    @property
    def url(self) -> str:
        return f"/pictures/{self.token}"

    @property
    def preview_url(self) -> str:
        return f"/pictures/{self.token}/preview"


class Post(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    ring: str  # a channel id, or DIRECT_RING
    author: Author
    body: str  # HTML from the Markdown sanitizer
    ts: int  # epoch milliseconds
    recipient: str = ""  # a direct message's other person
    mentions: tuple[str, ...] = ()  # dom_keys of the people named, and/or HERE
    reactions: tuple[Reaction, ...] = ()
    version: int = 0
    picture: Picture | None = None  # a shared picture (then `body` is empty)

    @property
    def is_direct(self) -> bool:
        return bool(self.recipient)

    @property
    def people(self) -> tuple[str, ...]:
        """Who may see a direct message: its two people (empty for a channel post: everyone)."""
        return (self.author.name, self.recipient) if self.recipient else ()


class ReactionRefused(Exception):
    """A reaction that would go over the post's limit of different emoji."""


def toggle_reaction(post: Post, emoji: str, name: str, max_distinct: int) -> Post:
    """`post` with `name`'s `emoji` added, or removed if they had chosen it; version + 1."""
    reactions: list[Reaction] = []
    found = False
    for reaction in post.reactions:
        if reaction.emoji != emoji:
            reactions.append(reaction)
            continue
        found = True
        names = tuple(n for n in reaction.names if n != name)
        if len(names) == len(reaction.names):
            names = (*names, name)
        if names:
            reactions.append(Reaction(emoji, names))
    if not found:
        if len(reactions) >= max_distinct:
            raise ReactionRefused(f"That message already has {max_distinct} different reactions.")
        reactions.append(Reaction(emoji, (name,)))
    return msgspec.structs.replace(post, reactions=tuple(reactions), version=post.version + 1)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Post)


def post_to_json(post: Post) -> bytes:
    return _encoder.encode(post)


def post_from_json(data: str | bytes) -> Post:
    return _decoder.decode(data)


class LatestVersions:
    """The latest state version of each recent post this process has shown, so an older
    change that arrives late is dropped; a post taken back admits no change at all. Bounded:
    the oldest entries go first (a change to a post that old is shown as it comes)."""

    GONE = 1 << 62

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._seen: OrderedDict[str, int] = OrderedDict()

    def admit(self, message_id: str, version: int) -> bool:
        """True if `version` is newer than any seen for the post (then it is the latest)."""
        if version <= self._seen.get(message_id, -1):
            return False
        self._seen[message_id] = version
        self._seen.move_to_end(message_id)
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True

    def gone(self, message_id: str) -> None:
        self.admit(message_id, self.GONE)
