"""Who may watch whose camera: the rules the signalling relay keeps (chat/signaling.py).

`refusal(broadcaster, viewer)` is asked when a viewer sends `open`, and again for every link
still open whenever either person's state changes (the camera goes off, mutual cameras turned
on, the viewer's own camera stops). A link the rules no longer allow is ended on the server,
so the sentence returned here is also why a feed closed. Mutes and blocks (chat/relations.py)
and the host site's `novideo` rule are asked here too: the relay only asks this module.
"""

from __future__ import annotations

from app.chat import rules
from app.chat.model import Member
from app.chat.relations import Relations

MAX_INVITES = 200  # names one broadcaster may invite during a visit (bounds the Member)


def refusal(broadcaster: Member, viewer: Member, apart: Relations | None = None) -> str | None:
    """Why `viewer` may not watch `broadcaster`'s camera right now, or None if they may. Someone
    blocked is not there at all; someone the broadcaster muted is told only what their who list
    shows, a camera that is off (an operator is not held off by a mute)."""
    name = broadcaster.name
    if apart is not None and apart.hides(viewer.name, name):
        return f"{name} is not in the room."
    if (why := rules.watch_refusal(viewer)) is not None:
        return why
    muted = apart is not None and apart.muting(name, viewer.name) and not viewer.op
    if broadcaster.camera == "off" or muted:
        return f"{name} is not sharing a camera right now."
    if broadcaster.mutual and viewer.camera == "off" and viewer.name not in broadcaster.invited:
        return (
            f"{name} shows their camera only to people who are on camera too: "
            f"start your webcam to watch, or wait for {name} to invite you."
        )
    return None


def affects_watching(before: Member, after: Member) -> bool:
    """Whether a change of state can change what `refusal` answers (mutes and blocks included)."""
    return _watching_state(before) != _watching_state(after)


def _watching_state(member: Member) -> tuple[object, ...]:
    return (member.camera, member.mutual, member.invited, member.mutes, member.blocks, member.op, member.rules)
