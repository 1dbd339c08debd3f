"""Reports to the host website: a person's report of a message, and the chat's own.

The website receives each one through its `report` webhook (`[[WebhookURLs]]`), as the 2025
BareRTC sends it: `{"Action": "report", "APIKey": ..., "Report": {FromUsername, AboutUsername,
Channel, Timestamp, Reason, Message, Comment}}` (`Report`). Where they come from:

- the Report button on a message (`report` frames): a reason from `REASONS`, the 2025
  BareRTC's classifications, and a comment; the message is found by its id among the recent
  ones the reporter can see, and the last few messages around it go along as context (a
  channel's from its ring; a DM's from the one ring of all DMs, those of the two people only);
- a message filter with `ReportMessage` (`filter_report`), with the channel's recent context;
- `/nsfw` (`nsfw_report`), and, with the people feature, the Kick and Ban dialogs.

Sending never waits in the room: `ports.Webhooks.report` queues the call and says later, by
`done`, whether the website took it; the reporter is then told either way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from app.chat.frames import ReportMessage
from app.chat.message_ids import is_message_id
from app.chat.model import Member
from app.chat.outlet import Outlet
from app.chat.ports import MessageStore, StoreUnavailable, Webhooks
from app.chat.posts import DIRECT_RING, Post
from app.chat.protocol import FrameError
from app.chat.render import Renderer
from app.chat.website import REASONS, Report, ReportDone, context_lines, filter_report, post_text, timestamp

log = logging.getLogger("app.reports")

CONTEXT_MESSAGES = 10  # messages of context a report carries
DIRECT_CONTEXT_SCAN = 300  # the latest DMs of everyone searched for one conversation's context
MAX_COMMENT = 1000
NOT_ENABLED = "Reports are not taken on this chat (the website has no report webhook)."
NOT_THERE = "That message cannot be reported: it is no longer here (taken back, or too old)."


class Reports:
    def __init__(
        self,
        webhooks: Webhooks | None,
        store: MessageStore,
        roster: Mapping[str, Member],
        render: Renderer,
    ) -> None:
        self.webhooks = webhooks
        self.store = store
        self.roster = roster
        self.render = render

    @property
    def enabled(self) -> bool:
        """Whether the website takes reports (the Report button shows only then)."""
        return self.webhooks is not None and self.webhooks.enabled("report")

    # --- a person's report of a message ------------------------------------------------

    async def handle(self, outlet: Outlet, frame: ReportMessage) -> None:
        me = self.roster.get(outlet.identity.name)
        if me is None:
            raise FrameError("You are not in the room any more.")
        if not self.enabled:
            raise FrameError(NOT_ENABLED)
        if frame.reason not in REASONS:
            raise FrameError("Please choose one of the reasons offered for a report.")
        comment = frame.comment.strip()
        if len(comment) > MAX_COMMENT:
            raise FrameError(f"Your comment is {len(comment)} characters long; a report takes at most {MAX_COMMENT}.")
        post = await self._reportable(frame.id, me)
        about = post.author.name
        channel = post.ring if not post.is_direct else "@" + (post.recipient if about == me.name else about)
        context = await self.context(post)
        report = Report(
            from_username=me.name,
            about_username=about,
            channel=channel,
            timestamp=timestamp(post.ts),
            reason=frame.reason,
            message=f"{post_text(post)}\n\nRecent message context:\n\n{context_lines(context)}",
            comment=comment,
        )
        log.info("%r reports a message of %r (%s): %s", me.name, about, post.id, frame.reason)
        self.send(report, lambda error: self._tell_reporter(outlet, error))

    async def _reportable(self, message_id: str, me: Member) -> Post:
        if not is_message_id(message_id):
            raise FrameError("That is not a message id.")
        try:
            post = await self.store.find(message_id)
        except StoreUnavailable:
            raise FrameError("The chat cannot find messages right now (it is reconnecting); try again soon.") from None
        if post is None or (post.is_direct and me.name not in post.people):
            raise FrameError(NOT_THERE)
        if post.author.name == me.name:
            raise FrameError("That is your own message: take it back instead.")
        return post

    async def context(self, post: Post) -> list[Post]:
        """The messages before `post` in its channel (or its DM conversation), and `post`."""
        try:
            if post.is_direct:
                pair = set(post.people)
                recent = [p for p in await self.store.recent(DIRECT_RING, DIRECT_CONTEXT_SCAN) if set(p.people) == pair]
            else:
                recent = await self.store.recent(post.ring, CONTEXT_MESSAGES * 3)
        except StoreUnavailable:
            return [post]
        before = [p for p in recent if p.id < post.id]
        return [*before[-(CONTEXT_MESSAGES - 1) :], post]

    def _tell_reporter(self, outlet: Outlet, error: str | None) -> None:
        if error is None:
            outlet.send_html(self.render.notice("Thank you: your report was sent to the website's moderators.", "info"))
        else:
            outlet.send_html(self.render.notice(f"Your report could not be sent: {error}. Please try again later."))

    # --- the chat's own reports ----------------------------------------------------------

    def filtered(self, sender: Member, channel: str, text: str, context: list[Post]) -> None:
        """A message a filter with `ReportMessage` caught, with the conversation before it."""
        self.send(filter_report(sender.name, channel, text, context))

    def send(self, report: Report, done: ReportDone | None = None) -> None:
        """Hand a report to the webhook (queued: never waits); `done` hears how it went."""
        if self.webhooks is None or not self.webhooks.enabled("report"):
            if done is not None:
                done("the website takes no reports")
            return
        self.webhooks.report(report, done)
