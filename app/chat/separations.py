"""What a mute or a block placed (or lifted) changes for the two people it is between, sent to
those two alone as row-level diffs (chat/relations.py says which pairs changed):

- a block: each loses the other's row (and the counts change), and a DM thread between them
  closes, as if the other had left;
- lifted: each gets the other's row back, in its place in their own list;
- a mute: the muter's list marks the muted person (with an Unmute button); the muted person's
  list no longer offers the muter's camera, as if it were off.

Camera links between them are ended by the relay, which asks chat/webcam_rules.py again when
either person's mutes or blocks change (`SignalRelay.recheck`). Every process applies the same
change to its own connections, so nothing needs publishing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from app.chat.relations import Change
from app.chat.render import Renderer
from app.chat.signaling import Peer
from app.chat.who import WhoList


class Side(Peer, Protocol):
    """A local connection, as far as this needs one."""

    threads: set[str]

    def send_html(self, html: str) -> bool: ...


def send_separations(change: Change, sides: Mapping[str, Side], who: WhoList, render: Renderer) -> None:
    """The diffs of `change` for whichever of its people have a connection in `sides`."""
    roster = who.roster
    for pair in change.hidden:
        for viewer, other in (pair, pair[::-1]):
            if (side := sides.get(viewer)) is not None:
                side.send_html(render.who_remove(other) + who.counts(viewer))
                if other in side.threads:
                    side.threads.discard(other)
                    side.send_html(render.thread_close(other))
    for pair in change.shown:
        for viewer, other in (pair, pair[::-1]):
            if (side := sides.get(viewer)) is not None and other in roster:
                side.send_html(who.inserted(roster[other], viewer) + who.counts(viewer))
    for muter, muted in change.muted | change.unmuted:
        if who.relations.hides(muter, muted) or muter not in roster or muted not in roster:
            continue
        if (side := sides.get(muter)) is not None:
            side.send_html(who.replaced(roster[muted], muter))
        if (side := sides.get(muted)) is not None and who.on_camera(muter):
            side.send_html(who.replaced(roster[muter], muted) + who.counts(muted))
