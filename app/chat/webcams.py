"""The broadcaster's side of webcams on the server: camera state (`me`), invitations to watch
(`video-invite`) and an operator's `/cut`.

Camera state is part of the `Member`, so every process sees it and the who-list row shows
what everyone may know (camera on, NSFW, microphone muted, camera turned off while live,
mutual cameras). Invitations are kept in the member too, but never rendered: only the relay
reads them (chat/webcam_rules.py). Every change goes through `update_member`, and the room
rechecks the links it touches, so a camera that goes off ends every link it was sending on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from app.chat import rules
from app.chat.frames import SetCamera, VideoInvite, checked
from app.chat.model import Camera, Member
from app.chat.protocol import FrameError
from app.chat.signaling import Peer, SignalRelay
from app.chat.webcam_rules import MAX_INVITES
from app.chat.who import WhoList
from app.settings import Settings


class WebcamRoom(Protocol):
    """What this module needs of the room."""

    @property
    def settings(self) -> Settings: ...
    @property
    def roster(self) -> Mapping[str, Member]: ...
    @property
    def signals(self) -> SignalRelay: ...
    @property
    def who(self) -> WhoList: ...

    async def update_member(self, member: Member) -> None: ...
    async def notify(self, name: str, text: str) -> None: ...


class Webcams:
    def __init__(self, room: WebcamRoom) -> None:
        self.room = room

    async def on_me(self, peer: Peer, frame: SetCamera) -> None:
        """My camera's state, as my page sees it; the who list follows."""
        if frame.camera not in ("on", "off"):
            raise FrameError("camera must be 'on' or 'off'.")
        member = self.room.roster.get(peer.identity.name)
        if member is None:
            return
        if frame.camera == "off":
            changed = camera_off(member)
        else:
            if (refusal := rules.broadcast_refusal(member)) is not None:
                raise FrameError(refusal)
            nsfw = checked(frame.nsfw) and self.room.settings.permit_nsfw
            camera: Camera = rules.camera_state(member, on=True, nsfw=nsfw)  # `redcam`: always NSFW
            changed = member.with_changes(
                camera=camera, muted=checked(frame.muted), paused=checked(frame.paused), mutual=checked(frame.mutual)
            )
        if changed != member:
            await self.room.update_member(changed)

    async def on_invite(self, peer: Peer, frame: VideoInvite) -> None:
        """Let someone watch my camera even where mutual cameras would refuse them."""
        member = self.room.roster.get(peer.identity.name)
        target = frame.username
        if member is None:
            return
        if target == member.name:
            raise FrameError("That is you: invite someone else to watch your camera.")
        if target not in self.room.roster or self.room.who.relations.hides(member.name, target):
            raise FrameError(f"{target[:40]} is not in the room.")
        if target in member.invited:
            return
        if len(member.invited) >= MAX_INVITES:
            raise FrameError(f"You have invited {MAX_INVITES} people already; that is as many as one visit allows.")
        await self.room.update_member(member.with_changes(invited=(*member.invited, target)))
        await self.room.signals.invited(target, member.name)
        if not checked(frame.resend):
            await self.room.notify(target, f"{member.name} invited you to watch their camera.")
            await self.room.notify(member.name, f"You invited {target} to watch your camera.")

    async def cut(self, member: Member, operator: str) -> None:
        """An operator turns `member`'s camera off: the who list shows it off, the server ends
        every link it was sending on, and their page is told to stop the camera."""
        await self.room.update_member(camera_off(member))
        await self.room.signals.cut(member.name, operator)


def camera_off(member: Member) -> Member:
    """`member` with the camera off and its live state cleared (invitations stay)."""
    return member.with_changes(camera="off", muted=False, paused=False, mutual=False)
