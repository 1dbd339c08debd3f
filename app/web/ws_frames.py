"""Server-to-browser WebSocket frames, encoded once per text and shared by every socket it goes to.

A fragment rendered once for an audience reaches every writer of that audience as the very
same `str` object (the send queue joins identical runs of fragments into one shared string,
`PacingClock.joined`). So the frame for it, header and payload, is built once: `FrameCache`
keeps the frames of the texts sent lately, keyed by the text object itself, and each socket
writes the same `bytes` to its transport.

With permessage-deflate the server always answers `server_no_context_takeover`, so a
message's compressed form does not depend on what the socket sent before it: the same text
compresses to the same bytes for everyone, and is compressed once, not once per socket.
"""

from __future__ import annotations

import zlib

FIN_TEXT = 0x81  # FIN, opcode 1 (text)
FIN_TEXT_DEFLATED = 0xC1  # FIN, RSV1 (compressed, RFC 7692), opcode 1
# zlib's level for the shared frames. Level 1 deflates HTML fragments to within a few per cent
# of level 6 at about a third of the CPU (docs/performance.md, "Compression").
COMPRESSION_LEVEL = 1
WINDOW_BITS = 15  # the only window the server compresses with; offers asking less are declined
# Shorter payloads go out uncompressed (RFC 7692 lets each message choose): a short fragment
# shrinks by a few dozen bytes for the ~20 µs a compressor costs to set up.
MIN_DEFLATE = 256
DEFLATE_TAIL = b"\x00\x00\xff\xff"


def frame_header(first: int, length: int) -> bytes:
    """A server frame's header (servers do not mask)."""
    if length < 126:
        return bytes((first, length))
    if length < 65536:
        return bytes((first, 126)) + length.to_bytes(2, "big")
    return bytes((first, 127)) + length.to_bytes(8, "big")


def deflate_message(payload: bytes) -> bytes:
    """One message compressed on its own (no context taken over), as RFC 7692 §7.2.1 sends it."""
    compressor = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, -WINDOW_BITS)
    data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return data[:-4] if data.endswith(DEFLATE_TAIL) else data


def text_frame(text: str, deflate: bool) -> bytes:
    payload = text.encode()
    if deflate and len(payload) >= MIN_DEFLATE:
        payload = deflate_message(payload)
        return frame_header(FIN_TEXT_DEFLATED, len(payload)) + payload
    return frame_header(FIN_TEXT, len(payload)) + payload


class FrameCache:
    """The frames of the texts sent lately, plain and deflated, keyed by the text object.

    An entry keeps its text alive, so the `id` it is filed under cannot be reused while it is
    there. Bounded by entries and bytes: when either bound is passed, it starts over (the texts
    of one tick are what repeats; older ones are not looked for again)."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 8 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: dict[int, tuple[str, list[bytes | None]]] = {}
        self._bytes = 0
        self.built = 0  # frames encoded (for tests and profiles)

    def frame(self, text: str, deflate: bool) -> bytes:
        entry = self._entries.get(id(text))
        if entry is None or entry[0] is not text:
            if len(self._entries) >= self.max_entries or self._bytes >= self.max_bytes:
                self._entries.clear()
                self._bytes = 0
            entry = (text, [None, None])
            self._entries[id(text)] = entry
        frames = entry[1]
        built = frames[deflate]
        if built is None:
            built = frames[deflate] = text_frame(text, deflate)
            self._bytes += len(built)
            self.built += 1
        return built


FRAMES = FrameCache()
