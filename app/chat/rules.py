"""Moderation rules for one member, enforced on the server: the host site's (JWT claim
`rules`, or `/api/amend-jwt`) and settings.toml's `[[ModerationRule]]` for their username,
together (`combined`, kept in `Member.rules`).

The 2025 BareRTC's rules, with its names: `redcam` (their camera is always marked NSFW),
`nobroadcast` (they may not share a camera), `novideo` (they may neither share nor watch
one) and `noimage` (they may not share pictures: kept now, checked by the pictures feature
through `picture_refusal`). `nodvd` is kept and means nothing here yet. Each refusal is the
sentence the person is told; the page also disables what a rule forbids, but the server is
what holds.
"""

from __future__ import annotations

from app.chat.model import KNOWN_RULES, Camera, Member

NO_BROADCAST = "A moderation rule of the website keeps you from sharing your webcam here."
NO_VIDEO = "A moderation rule of the website keeps you from watching webcams here."
NO_IMAGE = "A moderation rule of the website keeps you from sharing pictures here."


def may_broadcast(member: Member) -> bool:
    return not {"nobroadcast", "novideo"} & set(member.rules)


def may_watch(member: Member) -> bool:
    return "novideo" not in member.rules


def broadcast_refusal(member: Member) -> str | None:
    """Why `member` may not turn their camera on, or None."""
    return None if may_broadcast(member) else NO_BROADCAST


def watch_refusal(member: Member) -> str | None:
    """Why `member` may not open someone's camera, or None."""
    return None if may_watch(member) else NO_VIDEO


def picture_refusal(member: Member) -> str | None:
    """Why `member` may not share a picture, or None (for the pictures feature)."""
    return NO_IMAGE if "noimage" in member.rules else None


def camera_state(member: Member, *, on: bool, nsfw: bool) -> Camera:
    """The camera state a `me` frame asks for, with `redcam` marking it NSFW whatever was asked."""
    if not on:
        return "off"
    return "nsfw" if nsfw or "redcam" in member.rules else "on"


def combined(site: tuple[str, ...], local: tuple[str, ...]) -> tuple[str, ...]:
    """The rules that apply: the site's and the settings' together, in one order."""
    return tuple(rule for rule in KNOWN_RULES if rule in site or rule in local)


def restricted(member: Member) -> Member:
    """`member`'s camera as their rules now allow: off if they may not broadcast, NSFW with
    `redcam` (for rules that changed while they were here)."""
    if member.camera != "off" and not may_broadcast(member):
        return member.with_changes(camera="off", muted=False, paused=False, mutual=False)
    if member.camera == "on" and "redcam" in member.rules:
        return member.with_changes(camera="nsfw")
    return member
