"""Counting what arrives: bench messages with their send times, and who-list rows.

Each socket has a `Tally`; all of a run's tallies share one `Totals`. Frames are scanned with
a substring test first and a regex only when it can match, so a frame costs little to count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# bench:RUN:SENDER:SEQ:T_NS, as `message_text` writes it (the Markdown keeps it as plain text).
MESSAGE = re.compile(rb"bench:(\w+):(\d+):(\d+):(\d+)")
# The whole list on entry, a row inserted or replaced, a row deleted.
# One literal prefix, so the regex engine can skip ahead with a fast search.
WHO = re.compile(rb'id="who-(?:(list)"|([0-9a-f]{12})"( hx-swap-oob="delete")?)')
NOTICE = b"afterbegin:#notices"  # newest first (fragments/_notice.html)


def message_text(run: str, sender: int, seq: int, sent_ns: int, padding: int = 0) -> str:
    text = f"bench:{run}:{sender}:{seq}:{sent_ns}"
    return text + " " + ("lorem ipsum " * (padding // 12 + 1))[:padding] if padding else text


@dataclass
class Totals:
    """What every socket of one run received, added up as it arrives."""

    run: bytes = b""
    latencies_ns: list[int] = field(default_factory=list)
    who_complete: int = 0
    frames: int = 0
    bytes: int = 0  # of frames' payloads, inflated
    wire_bytes: int = 0  # as they came off the socket
    notices: int = 0

    def new_run(self, run: str) -> None:
        self.run = run.encode()
        self.latencies_ns = []
        self.notices = 0

    @property
    def delivered(self) -> int:
        return len(self.latencies_ns)


class Tally:
    """One socket's view: its who list, and the bench messages it got."""

    def __init__(self, totals: Totals, who_target: int = 0) -> None:
        self.totals = totals
        self.who_target = who_target
        self.who: set[bytes] = set()
        self.who_complete_ns: int | None = None
        self.received = 0
        self.on_picture: Callable[[bytes, int], None] | None = None  # the pictures scenario's

    def on_text(self, payload: bytes, now_ns: int) -> None:
        totals = self.totals
        totals.frames += 1
        totals.bytes += len(payload)
        if b'id="who-' in payload:
            self._who(payload, now_ns)
        if b"bench:" in payload:
            self._messages(payload, now_ns)
        if NOTICE in payload:
            totals.notices += payload.count(NOTICE)
        if self.on_picture is not None:
            self.on_picture(payload, now_ns)

    def _who(self, payload: bytes, now_ns: int) -> None:
        who = self.who
        for match in WHO.finditer(payload):
            whole, key, deleted = match.group(1, 2, 3)
            if whole:
                who.clear()
            elif deleted:
                who.discard(key)
            else:
                who.add(key)
        if self.who_complete_ns is None and self.who_target and len(who) >= self.who_target:
            self.who_complete_ns = now_ns
            self.totals.who_complete += 1

    def _messages(self, payload: bytes, now_ns: int) -> None:
        run = self.totals.run
        latencies = self.totals.latencies_ns
        for match in MESSAGE.finditer(payload):
            if match.group(1) == run:
                latencies.append(now_ns - int(match.group(4)))
                self.received += 1
