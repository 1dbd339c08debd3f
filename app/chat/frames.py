"""What a browser may send on the socket: one frozen struct per `action`.

hx-ws sends a form as `{...form values, "headers": {...}}`; the webcam module sends plain JSON
objects. Both carry an `action`, which picks the struct (a tagged union); fields not declared
here (`headers`, say) are ignored. `chat/protocol.py` turns raw text into one of these, or a
refusal in words; handlers take the typed frame. docs/protocol.md lists every one of them (a
test checks the table against `INBOUND`).

To add an action: a struct here, added to `Inbound`, a handler registered in the room, and a
row in docs/protocol.md.
"""

from __future__ import annotations

from typing import Any

import msgspec


class Frame(msgspec.Struct, frozen=True, tag_field="action"):
    """Base of every inbound frame."""


class PostMessage(Frame, frozen=True, tag="message"):
    """A channel message (`channel` is a channel id) or a DM (`channel` is `@username`)."""

    channel: str
    text: str


class TakeBack(Frame, frozen=True, tag="takeback"):
    """Remove message `id` for everyone who has it (my own; an operator's, anyone's)."""

    id: str


class React(Frame, frozen=True, tag="react"):
    """Toggle my `emoji` reaction on message `id`."""

    id: str
    emoji: str


class ReportMessage(Frame, frozen=True, tag="report"):
    """Report message `id` to the website's moderators: `reason` one of the offered ones
    (`reports.REASONS`), `comment` what I add."""

    id: str
    reason: str
    comment: str = ""


class ShowTyping(Frame, frozen=True, tag="typing"):
    """I am typing in `channel` (a channel id or `@username`), or, with `active` false, stopped."""

    channel: str
    active: bool = True


class OpenThread(Frame, frozen=True, tag="thread"):
    """Open (or show) the DM thread with `username`; `resume`: a page that reconnected still
    shows that thread (it carries on there; nothing is refused out loud)."""

    username: str
    resume: bool = False


Flag = bool | str  # the webcam module sends a boolean; a form checkbox sends "on"


def checked(value: Flag) -> bool:
    """A flag's truth, whether it came as a boolean or as a form checkbox's value."""
    return value is True or (isinstance(value, str) and value.lower() in ("on", "true", "1", "yes"))


class SetCamera(Frame, frozen=True, tag="me"):
    """My camera is `on` or `off`; while on, `nsfw` tags it (where the chat permits), `muted`
    says my microphone is muted, `paused` that I turned the camera off while staying live, and
    `mutual` that only people on camera may watch."""

    camera: str
    nsfw: Flag = False
    muted: Flag = False
    paused: Flag = False
    mutual: Flag = False


class VideoInvite(Frame, frozen=True, tag="video-invite"):
    """Let `username` watch my camera even where the rules would not (mutual cameras).
    `resend`: the page repeats its invitations after a reconnect, and nobody is told again."""

    username: str
    resend: Flag = False


class OpenFeed(Frame, frozen=True, tag="open"):
    """Ask `username` for their camera; they receive `ring`."""

    username: str


class Watching(Frame, frozen=True, tag="watch"):
    """Tell `username` I now see their camera."""

    username: str


class NotWatching(Frame, frozen=True, tag="unwatch"):
    """Tell `username` I no longer watch their camera."""

    username: str


class SessionDescription(Frame, frozen=True, tag="sdp"):
    """Relay a WebRTC session description about `feed`'s camera to `username`."""

    username: str
    feed: str
    description: dict[str, Any]


class IceCandidate(Frame, frozen=True, tag="candidate"):
    """Relay an ICE candidate about `feed`'s camera to `username`."""

    username: str
    feed: str
    candidate: dict[str, Any]


class HangUp(Frame, frozen=True, tag="hangup"):
    """End the link carrying `feed`'s camera between me and `username`; `reason` (optional)
    says why: `stopped` (the broadcaster stopped sending to this viewer) or `failed`."""

    username: str
    feed: str
    reason: str = ""


class ShowHistory(Frame, frozen=True, tag="history"):
    """Show my saved conversation with `username`: the page before row `before` (0: the newest)."""

    username: str
    before: int | str = 0  # a form sends "123"


class ListPartners(Frame, frozen=True, tag="history-partners"):
    """List the people I have saved conversations with: one page, sorted."""

    sort: str = "newest"
    page: int | str = 1


class ClearHistory(Frame, frozen=True, tag="history-clear"):
    """Erase every saved direct message I sent or received (the page asked me to confirm)."""


# --- people (chat/people.py) -----------------------------------------------------------


class ShowProfile(Frame, frozen=True, tag="profile"):
    """Send me `username`'s profile card."""

    username: str


class MutePerson(Frame, frozen=True, tag="mute"):
    """Stop showing me `username`'s messages and DMs, and my camera to them."""

    username: str


class UnmutePerson(Frame, frozen=True, tag="unmute"):
    username: str


class BlockPerson(Frame, frozen=True, tag="block"):
    """Hide `username` and me from each other entirely."""

    username: str


class UnblockPerson(Frame, frozen=True, tag="unblock"):
    username: str


class SetStatus(Frame, frozen=True, tag="status"):
    """My status: online, away, or one of the configured chat statuses."""

    status: str


class SetIdle(Frame, frozen=True, tag="idle"):
    """I have not touched mouse or keyboard for a while (`idle`), or I am back."""

    idle: Flag


class SetDoNotDisturb(Frame, frozen=True, tag="dnd"):
    """Ignore unsolicited messages: only people I already talk to (and operators) may write."""

    on: Flag = False  # a checkbox: "on" when ticked, absent when not

    @property
    def wanted(self) -> bool:
        return checked(self.on)


class KickPerson(Frame, frozen=True, tag="kick"):
    """An operator's Kick dialog: the same as `/kick`, with a reason."""

    username: str
    reason: str = ""


class BanPerson(Frame, frozen=True, tag="ban"):
    """An operator's Ban dialog: the same as `/ban`, with a reason and 1-96 hours."""

    username: str
    hours: float | str  # a number, or the Ban dialog's number field as text
    reason: str = ""


SignalFrame = OpenFeed | Watching | NotWatching | SessionDescription | IceCandidate | HangUp
HistoryFrame = ShowHistory | ListPartners | ClearHistory
PeopleFrame = (
    ShowProfile
    | MutePerson
    | UnmutePerson
    | BlockPerson
    | UnblockPerson
    | SetStatus
    | SetIdle
    | SetDoNotDisturb
    | KickPerson
    | BanPerson
)
Inbound = (
    PostMessage
    | TakeBack
    | React
    | ReportMessage
    | ShowTyping
    | OpenThread
    | SetCamera
    | VideoInvite
    | SignalFrame
    | HistoryFrame
    | PeopleFrame
)

# action -> struct, for error messages and the docs test
INBOUND: dict[str, type[Frame]] = {
    str(cls.__struct_config__.tag): cls
    for cls in (
        PostMessage,
        TakeBack,
        React,
        ReportMessage,
        ShowTyping,
        OpenThread,
        SetCamera,
        VideoInvite,
        OpenFeed,
        Watching,
        NotWatching,
        SessionDescription,
        IceCandidate,
        HangUp,
        ShowHistory,
        ListPartners,
        ClearHistory,
        ShowProfile,
        MutePerson,
        UnmutePerson,
        BlockPerson,
        UnblockPerson,
        SetStatus,
        SetIdle,
        SetDoNotDisturb,
        KickPerson,
        BanPerson,
    )
}
