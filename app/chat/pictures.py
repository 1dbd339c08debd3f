"""Shared pictures, the room's side: who may share where, and the message that carries one.

The bytes never come near the socket: the browser POSTs the file (`app/web/pictures.py`), the
server cleans and shrinks it (`app/imaging.py`) and keeps two renditions in the `PictureStore`;
then `share` posts a message whose `Post.picture` says where they are and how large, rendered
once per audience like any message. So a picture shown to a thousand people costs the socket
about what a line of text does, and each browser fetches the preview over HTTP (and caches it).

Where one may share (`refusal`, asked before the upload is decoded and again when it is shared):
a channel with `PermitPhotos`, a DM when `[Photos] PermitInDMs` (and the other person would take
a message from them: `People.check_write`), never with the `noimage` rule (`rules.picture_refusal`).
Mute, block and VIP channels apply as to any message (`Delivery.post`, `DirectPost`). A picture's
message is taken back, reported and hidden as a message is; taking it back forgets the picture.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Protocol

import msgspec

from app.chat import rules
from app.chat.events import ChannelPost, DirectPost
from app.chat.history import History
from app.chat.model import Member
from app.chat.outlet import Outlet
from app.chat.people import People
from app.chat.ports import EventBus, PictureStore, StoreUnavailable
from app.chat.posts import DIRECT_RING, Picture, Post
from app.chat.protocol import FrameError
from app.chat.render import Renderer
from app.settings import Channel, Settings

PREVIEW = ":p"  # the preview's store key is the picture's token and this
NOT_HERE = "You are not in the room any more; your picture was not shared."


class PictureRoom(Protocol):
    """What this module needs of the room."""

    @property
    def settings(self) -> Settings: ...
    @property
    def roster(self) -> Mapping[str, Member]: ...
    @property
    def outlets(self) -> Mapping[str, Outlet]: ...
    @property
    def render(self) -> Renderer: ...
    @property
    def history(self) -> History: ...
    @property
    def people(self) -> People: ...
    @property
    def bus(self) -> EventBus: ...

    def channels_for(self, member: Member | None) -> list[Channel]: ...
    def deliver_direct(self, outlet: Outlet, other: str, item: str, message_id: str) -> None: ...


class KeptNowhere:
    """The `PictureStore` of a room built without one (some tests): nothing can be shared."""

    async def put(self, key: str, content_type: str, data: bytes, ttl_seconds: float) -> None:
        raise StoreUnavailable("no picture store")

    async def get(self, key: str) -> tuple[str, bytes, float] | None:
        return None

    async def remove(self, key: str) -> None:
        return None


def new_token() -> str:
    """The unguessable part of a picture's URLs (192 random bits)."""
    return secrets.token_urlsafe(24)


class SharedPictures:
    def __init__(self, room: PictureRoom, store: PictureStore) -> None:
        self.room = room
        self.store = store

    def refusal(self, name: str, target: str) -> str | None:
        """Why `name` may not share a picture in `target` (a channel id, or `@username`), or None."""
        try:
            self._check(name, target)
        except FrameError as error:
            return str(error)
        return None

    def _check(self, name: str, target: str) -> tuple[Member, Channel | None]:
        room = self.room
        sender = room.roster.get(name)
        if sender is None:
            raise FrameError(NOT_HERE)
        if (refusal := rules.picture_refusal(sender)) is not None:
            raise FrameError(refusal)
        if target.startswith("@"):
            other = target[1:]
            if other == name:
                raise FrameError("You cannot send a picture to yourself.")
            if not room.settings.photos.permit_in_dms:
                raise FrameError("Pictures cannot be shared in direct messages on this chat.")
            room.people.check_write(sender, other)
            return sender, None
        channel = room.settings.channel(target)
        if channel is None or channel not in room.channels_for(sender):
            raise FrameError(f"There is no channel {target[:40]!r}.")
        if not channel.permit_photos:
            raise FrameError(f"Pictures cannot be shared in {channel.name}.")
        return sender, channel

    async def keep(self, token: str, large: tuple[str, bytes], preview: tuple[str, bytes]) -> None:
        """Store the two renditions for `[Photos] KeepMinutes` (raises `StoreUnavailable`)."""
        ttl = self.room.settings.photos.keep_minutes * 60
        await self.store.put(token, large[0], large[1], ttl)
        await self.store.put(token + PREVIEW, preview[0], preview[1], ttl)

    def expiry(self) -> int:
        """When a picture stored now is gone, in epoch milliseconds."""
        return int((time.time() + self.room.settings.photos.keep_minutes * 60) * 1000)

    async def share(self, name: str, target: str, picture: Picture) -> Post:
        """Post `picture` (already kept) from `name` in `target`; FrameError if they may not."""
        sender, channel = self._check(name, target)
        room = self.room
        post = room.render.new_post(
            sender, "", ring=channel.id if channel else DIRECT_RING, recipient="" if channel else target[1:]
        )
        post = msgspec.structs.replace(post, picture=picture)
        item = room.render.post(post)
        await room.history.record(post)
        if channel is not None:
            html = room.render.append(room.render.channel_log(channel.id), item)
            await room.bus.publish(ChannelPost(html, sender=sender.name, vip=channel.vip))
            return post
        other = target[1:]
        outlet = room.outlets.get(name)
        if outlet is not None:
            room.deliver_direct(outlet, other, item, post.id)
        else:  # their socket is on another process: their own copy goes there
            await room.bus.publish(DirectPost(other, name, item, post.id))
        if not room.people.relations.muting(other, name):
            await room.bus.publish(DirectPost(name, other, item, post.id))
        return post

    async def forget(self, post: Post) -> None:
        """A picture's message was taken back: its renditions go too."""
        if post.picture is not None:
            await self.store.remove(post.picture.token)
            await self.store.remove(post.picture.token + PREVIEW)
