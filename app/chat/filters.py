"""Message filters (`[[MessageFilters]]`): phrases that censor, hold back, answer or report.

Each enabled filter is a set of regular expressions matched against a message's text as its
sender typed it (before Markdown). The first filter with a match decides, as in the 2025
BareRTC:

- `CensorMessage`: every match becomes as many `*` (escaped, so Markdown shows them as typed);
- `ForwardMessage`: false holds the message back: only its sender sees it (in their own log,
  so they are not tipped off), it is not kept for the history on entry, nor saved;
- `ChatServerResponse`: said to the sender, as a notice;
- `ReportMessage`: the message and the conversation before it go to the report webhook (an
  operator's are not reported; they are told they would have been).

Unlike the Go one, the scope flags hold: `PublicChannels` for channel messages and
`PrivateChannels` for direct messages. A direct message to or from an operator is never
filtered (an operator may need to quote what they are warning about).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.chat.model import Member
from app.chat.outlet import Outlet
from app.chat.posts import Post
from app.chat.render import Renderer
from app.chat.reports import Reports
from app.settings import MessageFilter

CENSORED = "\\*"  # one censored character: an escaped asterisk, which Markdown shows as "*"


@dataclass(frozen=True)
class Verdict:
    """What the filter that matched says about one message."""

    rule: MessageFilter
    text: str  # the text to post: censored when the filter censors

    @property
    def held_back(self) -> bool:
        return not self.rule.forward_message


@dataclass(frozen=True)
class _Compiled:
    rule: MessageFilter
    patterns: tuple[re.Pattern[str], ...]


class MessageFilters:
    """The enabled filters of the settings, compiled once (again on a reload)."""

    def __init__(self, filters: tuple[MessageFilter, ...]) -> None:
        self._filters = tuple(
            _Compiled(rule, tuple(re.compile(phrase) for phrase in rule.keyword_phrases))
            for rule in filters
            if rule.enabled and rule.keyword_phrases
        )

    def __bool__(self) -> bool:
        return bool(self._filters)

    def check(self, text: str, *, direct: bool) -> Verdict | None:
        """The verdict of the first filter (for this kind of message) that matches `text`."""
        for compiled in self._filters:
            if not (compiled.rule.private_channels if direct else compiled.rule.public_channels):
                continue
            matched = [pattern for pattern in compiled.patterns if pattern.search(text)]
            if matched:
                return Verdict(compiled.rule, _censor(text, matched) if compiled.rule.censor_message else text)
        return None


def _censor(text: str, patterns: list[re.Pattern[str]]) -> str:
    for pattern in patterns:
        text = pattern.sub(lambda match: CENSORED * len(match.group(0)), text)
    return text


class Screening:
    """The filters as the room applies them to one message, and what follows a match."""

    def __init__(self, filters: tuple[MessageFilter, ...], reports: Reports, render: Renderer) -> None:
        self.filters = MessageFilters(filters)
        self.reports = reports
        self.render = render

    def check(self, sender: Member, text: str, recipient: Member | None = None) -> Verdict | None:
        """The verdict on a channel message, or (with `recipient`) a direct message."""
        if not self.filters:
            return None
        if recipient is not None and (sender.op or recipient.op):
            return None
        return self.filters.check(text, direct=recipient is not None)

    async def follow_up(
        self, outlet: Outlet, sender: Member, verdict: Verdict, text: str, channel: str, post: Post
    ) -> None:
        """Answer the sender and report the message, as the filter says (`text` as typed)."""
        rule = verdict.rule
        if rule.chat_server_response:
            outlet.send_html(self.render.notice(rule.chat_server_response))
        if not rule.report_message:
            return
        if sender.op:
            outlet.send_html(
                self.render.notice(
                    "That message would have been reported to the website, if you were not an operator.", "info"
                )
            )
            return
        self.reports.filtered(sender, channel, text, await self.reports.context(post))
