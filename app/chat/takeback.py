"""Take back: a message removed for everyone who has it, across processes.

Anyone may take back their own message (a picture too: its renditions are forgotten, so its
URLs answer 404); an operator, anyone's (logged, and the message's
place then says "Message taken back by an operator."). Only a message still in its ring can
be taken back; it leaves the ring too, so the history on entry never shows it again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from app.chat.events import Event, MessageRemoved
from app.chat.frames import TakeBack
from app.chat.message_ids import is_message_id
from app.chat.model import Member
from app.chat.outlet import Delivery, Outlet
from app.chat.ports import MessageStore, StoreUnavailable
from app.chat.posts import LatestVersions, Post
from app.chat.protocol import FrameError
from app.chat.render import Renderer

log = logging.getLogger("app.takeback")

NOT_THERE = "That message cannot be taken back: it is no longer here (taken back already, or too old)."
UNAVAILABLE = "The chat cannot change messages right now (it is reconnecting); please try again in a moment."


async def find_post(store: MessageStore, message_id: str, me: Member) -> Post | None:
    """The post `me` may act on: one they can see (any channel post, or a DM of theirs)."""
    if not is_message_id(message_id):
        raise FrameError("That is not a message id.")
    try:
        post = await store.find(message_id)
    except StoreUnavailable:
        raise FrameError(UNAVAILABLE) from None
    if post is None or (post.is_direct and me.name not in post.people):
        return None
    return post


class TakeBacks:
    def __init__(
        self,
        store: MessageStore,
        roster: Mapping[str, Member],
        render: Renderer,
        delivery: Delivery,
        versions: LatestVersions,
        publish: Callable[[Event], Awaitable[None]],
        erase_saved: Callable[[str], Awaitable[None]] | None = None,
        forget_picture: Callable[[Post], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.forget_picture = forget_picture  # a taken-back picture's renditions (chat/pictures.py)
        self.erase_saved = erase_saved  # a taken-back DM's saved copy (chat/dm_history.py)
        self.roster = roster
        self.render = render
        self.delivery = delivery
        self.versions = versions
        self.publish = publish

    async def handle(self, outlet: Outlet, frame: TakeBack) -> None:
        me = self.roster.get(outlet.identity.name)
        if me is None:
            raise FrameError("You are not in the room any more.")
        post = await find_post(self.store, frame.id, me)
        if post is None:
            raise FrameError(NOT_THERE)
        own = post.author.name == me.name
        if not own and not me.op:
            raise FrameError("You can only take back your own messages.")
        try:
            removed = await self.store.remove(post.id)
        except StoreUnavailable:
            raise FrameError(UNAVAILABLE) from None
        if removed is None:
            raise FrameError(NOT_THERE)
        if not own:
            log.info("operator %r took back a message of %r (%s)", me.name, post.author.name, post.id)
        html = self.render.taken_back(post.id, placeholder=not own)
        await self.publish(MessageRemoved(post.id, post.people, html))
        if post.is_direct and self.erase_saved is not None:
            await self.erase_saved(post.id)
        if post.picture is not None and self.forget_picture is not None:
            await self.forget_picture(post)

    def apply(self, event: MessageRemoved) -> None:
        self.versions.gone(event.id)
        self.delivery.audience(event.people, event.html)
