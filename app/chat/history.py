"""The recent messages: what each channel's ring keeps, and what someone entering sees.

One ring per channel holds its latest `Limits.RecentMessages` posts (or more, if the
channel's `EchoMessagesOnJoin` asks for more), and one ring every direct message's latest
`Limits.RecentDirectMessages`: those are the messages one can still react to or take back.
Someone entering gets each channel's last `EchoMessagesOnJoin` from its ring, with their
reactions as they are now; taken-back ones have left the ring and never come back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from app.chat.ports import MessageStore, StoreUnavailable
from app.chat.posts import DIRECT_RING, Post
from app.chat.render import Renderer
from app.settings import Channel, Settings


class History:
    def __init__(self, settings: Settings, store: MessageStore, render: Renderer) -> None:
        self.settings = settings
        self.store = store
        self.render = render

    def ring_size(self, ring: str) -> int:
        limits = self.settings.limits
        if ring == DIRECT_RING:
            return limits.recent_direct_messages
        channel = self.settings.channel(ring)
        return max(limits.recent_messages, channel.echo_messages_on_join if channel else 0)

    async def record(self, post: Post) -> None:
        await self.store.record(post, self.ring_size(post.ring))

    async def for_newcomer(self, unheard: Collection[str] = (), channels: Iterable[Channel] | None = None) -> list[str]:
        """Each of `channels`' recent messages (every channel's, by default), one fragment per
        channel that echoes any; none by the people in `unheard` (whom the newcomer muted or is
        blocked with)."""
        parts = []
        for channel in self.settings.public_channels if channels is None else channels:
            if channel.echo_messages_on_join <= 0:
                continue
            try:
                posts = await self.store.recent(channel.id, channel.echo_messages_on_join)
            except StoreUnavailable:
                posts = []
            posts = [post for post in posts if post.author.name not in unheard] if unheard else posts
            if posts:
                parts.append(self.render.echo(self.render.channel_log(channel.id), posts))
        return parts
