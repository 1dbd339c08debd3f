"""Who may watch whose camera: the rules the signalling relay keeps (chat/signaling.py).

`refusal(broadcaster, viewer)` is asked when a viewer sends `open`, and again for every link
still open whenever either person's state changes (the camera goes off, mutual cameras turned
on, the viewer's own camera stops). A link the rules no longer allow is ended on the server,
so the sentence returned here is also why a feed closed. Other rules (mute, block) belong
here too: the relay only asks this module.
"""

from __future__ import annotations

from app.chat.model import Member

MAX_INVITES = 200  # names one broadcaster may invite during a visit (bounds the Member)


def refusal(broadcaster: Member, viewer: Member) -> str | None:
    """Why `viewer` may not watch `broadcaster`'s camera right now, or None if they may."""
    name = broadcaster.name
    if broadcaster.camera == "off":
        return f"{name} is not sharing a camera right now."
    if broadcaster.mutual and viewer.camera == "off" and viewer.name not in broadcaster.invited:
        return (
            f"{name} shows their camera only to people who are on camera too: "
            f"start your webcam to watch, or wait for {name} to invite you."
        )
    return None


def affects_watching(before: Member, after: Member) -> bool:
    """Whether a change of state can change what `refusal` answers."""
    return (before.camera, before.mutual, before.invited) != (after.camera, after.mutual, after.invited)
