"""What the chat says to the host website and hears back, through its webhooks.

`Report` is the report webhook's `Report` object and `ProfileField` one line of what the
profile webhook returns, with the 2025 BareRTC's field names (`rename="pascal"`: `from_username`
is `FromUsername` on the wire). `ports.Webhooks` sends them; app/webhooks.py implements it.
The reports the chat makes itself are built here, worded as the Go BareRTC words them
(`filter_report`, `nsfw_report`, `kick_report`, `ban_report`); a person's report is chat/reports.py's.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
import nh3

from app.chat.posts import Post

# The 2025 BareRTC's report classifications (src/components/ReportModal.vue), word for word:
# a website may sort reports by them.
REASONS = (
    "It's spam",
    "It's abusive (racist, homophobic, etc.)",
    "It's malicious (e.g. link to a malware website, phishing)",
    "It's illegal (e.g. controlled substances, violence)",
    "It's child abuse (CP, CSAM, pedophilia, etc.)",
    "Other (please describe)",
)
FILTER_REASON = "Server Side Message Filter"  # the Go BareRTC's words for a filter's report
NSFW_REASON = "NSFW Command Issued"

ReportDone = Callable[[str | None], None]
"""Told None when the website took a report, else why not, in words for the reporter."""


class Report(msgspec.Struct, frozen=True, kw_only=True, rename="pascal"):
    """One report, as the website receives it."""

    from_username: str
    about_username: str
    channel: str  # a channel id, "@username" for a DM (the other person, as the reporter saw it), or "n/a"
    timestamp: str  # RFC 3339, UTC
    reason: str
    message: str
    comment: str


class ProfileField(msgspec.Struct, frozen=True, rename="pascal"):
    """One line the website's profile webhook gives about someone: `{"Name": ..., "Value": ...}`."""

    name: str
    value: str


class WebhookFailed(Exception):
    """The website did not take a call; str(error) says why, in words for a person."""


def timestamp(epoch_ms: int | None = None) -> str:
    """RFC 3339 in UTC, to the second: `2025-03-30T12:34:56Z`."""
    when = time.time() if epoch_ms is None else epoch_ms / 1000
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def plain_text(body: str) -> str:
    """A post's sanitized HTML as the text a moderator reads."""
    return html.unescape(nh3.clean(body, tags=set())).strip()


def post_text(post: Post) -> str:
    """What a moderator reads of a post: its text, or where its picture is (while it is kept)."""
    if post.picture is not None:
        return f"(a picture, {post.picture.width} × {post.picture.height}: {post.picture.url})"
    return plain_text(post.body)


def context_lines(posts: list[Post]) -> str:
    """Recent messages, one paragraph each, as the Go BareRTC lays them out."""
    if not posts:
        return "(No recent message history in this channel)"
    return "\n\n".join(
        f"{datetime.fromtimestamp(post.ts / 1000, UTC):%Y-%m-%d %H:%M:%S} [{post.author.name}] {post_text(post)}"
        for post in posts
    )


def filter_report(sender: str, channel: str, text: str, context: list[Post]) -> Report:
    """A message a filter caught, as the Go BareRTC words its automated reports."""
    return Report(
        from_username=sender,
        about_username=sender,
        channel=channel,
        timestamp=timestamp(),
        reason=FILTER_REASON,
        message=text,
        comment=(
            "This is an automated report via server side chat filters.\n\n"
            "The recent context in this channel included the following conversation:\n\n"
            f"{context_lines(context)}"
        ),
    )


def nsfw_report(operator: str, target: str) -> Report:
    """An operator tagged someone's camera NSFW (`/nsfw`)."""
    return Report(
        from_username=operator,
        about_username=target,
        channel="n/a",
        timestamp=timestamp(),
        reason=NSFW_REASON,
        message=f"The admin @{operator} marks the webcam red for user @{target}",
        comment="An admin marked their webcam as explicit.",
    )


def kick_report(operator: str, target: str, reason: str) -> Report:
    """An operator kicked someone from their profile card (worded as the Go BareRTC's card)."""
    return Report(
        from_username=operator,
        about_username=target,
        channel="n/a",
        timestamp=timestamp(),
        reason="User kicked by admin",
        message=f"Kick reason: {reason}",
        comment=f"The chat admin @{operator} has kicked {target} from the room!\n\n"
        f"* Chat admin: {operator}\n* Reason: {reason}",
    )


def ban_report(operator: str, target: str, hours: float, reason: str) -> Report:
    """An operator banned someone from their profile card."""
    return Report(
        from_username=operator,
        about_username=target,
        channel="n/a",
        timestamp=timestamp(),
        reason="User banned by admin",
        message=f"Ban reason: {reason}",
        comment=f"A chat admin has banned {target} from the chat room!\n\n"
        f"* Chat admin: {operator}\n* Reason: {reason}\n* Duration: {hours:g} hours",
    )
