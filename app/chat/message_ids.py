"""Message ids: server-assigned, unique across processes and restarts, sortable by time.

An id is 26 characters of Crockford base32 in lower case, laid out like a ULID: 48 bits of
milliseconds since the epoch, 40 random bits drawn once per process start, then a 40-bit
counter. Two processes (or two lives of one process) differ in their random bits; within a
process the counter never repeats, and ids made later sort later (the counter carries
across a millisecond, so ids stay in order even when the clock stands still). The same string
is the id on the wire, in Redis and, later, the key of a stored direct message; the page puts
it in `id="m-<id>"` and `data-id`.
"""

from __future__ import annotations

import re
import secrets
import time

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32, lower case
LENGTH = 26
PATTERN = re.compile(rf"[{ALPHABET}]{{{LENGTH}}}")
_COUNTER_BITS = 40


def _base32(number: int, digits: int) -> str:
    chars = []
    for _ in range(digits):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def is_message_id(text: str) -> bool:
    return PATTERN.fullmatch(text) is not None


def dom_id(message_id: str) -> str:
    """The element id of a message in the page."""
    return f"m-{message_id}"


class MessageIds:
    """This process's source of message ids."""

    def __init__(self) -> None:
        self._process = secrets.randbits(40)
        self._counter = secrets.randbits(_COUNTER_BITS - 8)  # room to count before wrapping
        self._last_ms = 0

    def next(self) -> str:
        now = max(int(time.time() * 1000), self._last_ms)
        self._last_ms = now
        self._counter = (self._counter + 1) % (1 << _COUNTER_BITS)
        tail = (self._process << _COUNTER_BITS) | self._counter
        return _base32(now, 10) + _base32(tail, 16)
