"""Inbound frames: parse, validate and limit what a browser sends on the socket.

`parse_frame` turns one socket frame into a typed frame (`chat/frames.py`) in one pass of
msgspec, or raises `FrameError` whose message is shown to the sender alone: not JSON, not an
object, an unknown action, a missing field or one of the wrong type, a frame over the size
limit. `RateLimiter` is the token bucket the socket keeps per connection.
"""

from __future__ import annotations

import re
import time
import typing

import msgspec

from app.chat.frames import INBOUND, Frame, Inbound

_decoder = msgspec.json.Decoder(Inbound)
_AT = re.compile(r" - at `\$\.([A-Za-z_]+)`$")
_MISSING = re.compile(r"^Object missing required field `([A-Za-z_]+)`$")


class FrameError(Exception):
    """A frame we refuse; str(error) is the message for the sender."""


def parse_frame(raw: str | bytes, *, max_bytes: int) -> Inbound:
    """Turn one socket frame into a validated, typed frame, or raise `FrameError`."""
    if len(raw) > max_bytes:
        raise FrameError(f"That was too large to send ({len(raw)} bytes; the limit is {max_bytes}).")
    try:
        return _decoder.decode(raw)
    except msgspec.ValidationError as error:  # JSON, but not a frame (a subclass of DecodeError)
        raise FrameError(_refusal(raw, str(error))) from None
    except msgspec.DecodeError:
        raise FrameError("The server could not read that (it was not JSON).") from None


def _refusal(raw: str | bytes, problem: str) -> str:
    """The sender's words for a JSON value that is not a valid frame."""
    data = msgspec.json.decode(raw)
    if not isinstance(data, dict):
        return "The server could not read that (expected a JSON object)."
    action = data.get("action")
    frame = INBOUND.get(action) if isinstance(action, str) else None
    if frame is None:
        return f"Unknown action {str(action)[:40]!r}."
    if missing := _MISSING.match(problem):
        return f"The {action!r} frame is missing the field {missing.group(1)!r}."
    if (at := _AT.search(problem)) and (kind := _field_kind(frame, at.group(1))):
        return f"The field {at.group(1)!r} of {action!r} must be a {kind}."
    return f"The {action!r} frame is not valid: {problem}."


def _field_kind(frame: type[Frame], name: str) -> str | None:
    for field in msgspec.structs.fields(frame):
        if field.name == name:
            return _kind_name(field.type)
    return None


def _kind_name(kind: object) -> str:
    if typing.get_origin(kind) is dict:
        return "dict"
    options = typing.get_args(kind) if typing.get_origin(kind) in (typing.Union, type(int | str)) else (kind,)
    if bool in options:
        return "bool"
    return getattr(options[0], "__name__", str(kind))


class RateLimiter:
    """A token bucket: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
