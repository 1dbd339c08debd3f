"""The profile card's fields from the host website (its `profile` webhook).

A card opens at once with a place for them ("From the website", loading); this asks the
website in a task of its own and sends the fields (or why there are none) into that place,
`#profile-fields-KEY`, so a late answer about someone else finds no place and changes nothing.
Only members of the site have a profile there: a guest's card asks nothing. One question per
connection at a time: opening another card drops the last one's; a connection that goes drops
its own.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from app.chat.model import Member
from app.chat.ports import Webhooks
from app.chat.render import Renderer
from app.chat.website import WebhookFailed

log = logging.getLogger("app.profiles")


class Asker(Protocol):
    """The connection whose card waits for the fields."""

    @property
    def conn_id(self) -> str: ...
    def send_html(self, html: str) -> bool: ...


class ProfileLookups:
    def __init__(self, webhooks: Webhooks | None, render: Renderer) -> None:
        self.webhooks = webhooks
        self.render = render
        self._asking: dict[str, asyncio.Task[None]] = {}  # connection id -> its question

    def wanted(self, member: Member) -> bool:
        """Whether the website is asked about `member` (a member of the site, a profile webhook)."""
        return member.signed_in and self.webhooks is not None and self.webhooks.enabled("profile")

    def look_up(self, asker: Asker, member: Member) -> None:
        """Ask the website about `member`; the fields go to `asker`'s card when it answers."""
        self.forget(asker.conn_id)
        task = asyncio.create_task(self._ask(asker, member), name="profile-fields")
        self._asking[asker.conn_id] = task
        task.add_done_callback(lambda done: self._done(asker.conn_id, done))

    async def _ask(self, asker: Asker, member: Member) -> None:
        assert self.webhooks is not None
        try:
            fields = await self.webhooks.profile(member.name)
        except WebhookFailed as failure:
            asker.send_html(self.render.profile_fields(member, (), problem=str(failure)))
            return
        asker.send_html(self.render.profile_fields(member, fields))

    def _done(self, conn_id: str, task: asyncio.Task[None]) -> None:
        if self._asking.get(conn_id) is task:
            del self._asking[conn_id]
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("asking the website for a profile failed", exc_info=error)

    def forget(self, conn_id: str) -> None:
        """The connection's question, if any, is no longer wanted."""
        task = self._asking.pop(conn_id, None)
        if task is not None:
            task.cancel()

    def close(self) -> None:
        for conn_id in list(self._asking):
            self.forget(conn_id)

    def table_size(self) -> int:
        return len(self._asking)
