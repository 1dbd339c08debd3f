"""A profile card: one person as one viewer sees them, with what the viewer may do about them.

A card is for one viewer by nature (it says whether *I* muted them, whether *I* may write to
them), so it is rendered for the one who asked, like a notice. `Card.fields` is the slot for
what the host site says about the person (the `profile` webhook): the card says they are on
their way (`fields_pending`), and chat/profiles.py sends them once the website answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.chat.commands import rank
from app.chat.model import Camera, Member
from app.chat.website import ProfileField
from app.settings import ChatStatus


@dataclass(frozen=True)
class Card:
    member: Member
    status: ChatStatus
    here_for: str  # "for 5 minutes"
    camera: Camera  # as the viewer sees it
    own: bool  # the viewer's own card
    muted: bool  # the viewer muted them
    blocked: bool  # the viewer blocked them (they see each other no more)
    may_block: bool
    may_write: bool  # not held off by "Ignore unsolicited messages"
    moderates: bool  # the viewer is an operator who outranks them
    fields: tuple[ProfileField, ...] = ()
    fields_pending: bool = False  # the website is being asked (chat/profiles.py sends them after)


def moderates(viewer: Member, member: Member) -> bool:
    return viewer.op and rank(viewer) > rank(member)


def here_for(seconds: float) -> str:
    """How long someone has been here, to the minute: "for 1 hour 5 minutes"."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "for less than a minute"
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'' if hours == 1 else 's'}"] if hours else []
    if minutes:
        parts.append(f"{minutes} minute{'' if minutes == 1 else 's'}")
    return "for " + " ".join(parts)
