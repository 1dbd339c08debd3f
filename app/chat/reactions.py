"""Reactions: toggling an emoji on a message, and every page showing the same counts.

The toggle happens in the message store, atomically (`MessageStore.react`), which returns the
post's whole new state with its version; the event carries that state rendered as the
message's reactions list, and each process shows a version only if it is newer than the last
it showed (`LatestVersions`): two people reacting at once on two processes end with the same
counts everywhere, whatever order the events arrive in. The reaction menu offers the emoji of
`[Reactions] Emoji`; any emoji the chat knows is accepted, up to `Reactions.MaxPerMessage`
different ones per message. The rate is limited by the socket (`Limits.ReactionsPerSecond`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from app.chat.emoji import EmojiTable
from app.chat.events import Event, ReactionsChanged
from app.chat.frames import React
from app.chat.model import Member
from app.chat.outlet import Delivery, Outlet
from app.chat.ports import MessageStore, StoreUnavailable
from app.chat.posts import LatestVersions, Reaction, ReactionRefused
from app.chat.protocol import FrameError
from app.chat.render import Renderer
from app.chat.takeback import UNAVAILABLE, find_post
from app.settings import ReactionSettings

GONE = "That message can no longer be reacted to (it was taken back, or is too old)."


class Reactions:
    def __init__(
        self,
        settings: ReactionSettings,
        emoji: EmojiTable,
        store: MessageStore,
        roster: Mapping[str, Member],
        render: Renderer,
        delivery: Delivery,
        versions: LatestVersions,
        publish: Callable[[Event], Awaitable[None]],
    ) -> None:
        self.settings = settings
        self.emoji = emoji
        self.store = store
        self.roster = roster
        self.render = render
        self.delivery = delivery
        self.versions = versions
        self.publish = publish

    def chosen(self, text: str) -> str:
        """The emoji a frame names, in its canonical spelling, or a refusal."""
        known = self.emoji.canonical(text) if len(text) <= 16 else None
        if known is None:
            raise FrameError("You can react with an emoji only.")
        return known

    async def handle(self, outlet: Outlet, frame: React) -> None:
        me = self.roster.get(outlet.identity.name)
        if me is None:
            raise FrameError("You are not in the room any more.")
        emoji = self.chosen(frame.emoji)
        post = await find_post(self.store, frame.id, me)
        if post is None:
            raise FrameError(GONE)
        try:
            changed = await self.store.react(post.id, emoji, me.name, self.settings.max_per_message)
        except ReactionRefused as refusal:
            raise FrameError(str(refusal)) from None
        except StoreUnavailable:
            raise FrameError(UNAVAILABLE) from None
        if changed is None:
            raise FrameError(GONE)
        html = self.render.reactions(changed.id, changed.reactions)
        await self.publish(
            ReactionsChanged(
                changed.id, changed.version, changed.people, html, ring=changed.ring, reactions=changed.reactions
            )
        )

    def apply(self, event: ReactionsChanged) -> None:
        if self.versions.admit(event.id, event.version):
            self.delivery.audience(event.people, event.html, ring=event.ring, variant=self._as_seen_by(event))

    def _as_seen_by(self, event: ReactionsChanged) -> Callable[[str], str | None]:
        """For a viewer blocked with some of the reactors: the reactions without their names
        (rendered once per distinct list), or None when the viewer sees them all."""
        relations = self.delivery.relations
        rendered: dict[tuple[Reaction, ...], str] = {}

        def variant(viewer: str) -> str | None:
            seen = tuple(
                Reaction(reaction.emoji, names)
                for reaction in event.reactions
                if (names := tuple(name for name in reaction.names if not relations.hides(viewer, name)))
            )
            if seen == event.reactions:
                return None
            if seen not in rendered:
                rendered[seen] = self.render.reactions(event.id, seen)
            return rendered[seen]

        return variant
