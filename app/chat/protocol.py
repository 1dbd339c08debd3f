"""Inbound frames: parse, validate and limit what a browser sends on the socket.

`parse_frame` turns one socket frame into a typed frame (`chat/frames.py`) in one pass of
msgspec, or raises `FrameError` whose message is shown to the sender alone: not JSON, not an
object, an unknown action, a missing field or one of the wrong type, a frame over the size
limit, text with a broken character. `RateLimiter` is the token bucket the socket keeps per
connection.

A broken character is a lone UTF-16 surrogate: JSON can spell one (`"\\ud800"`), Python can hold
one in a str, but no UTF-8 text can, so the Markdown renderer, the templates and the socket would
fail on it further in. msgspec refuses the escape itself (as malformed JSON) and cannot encode a
str holding one; either way the sender is told which it was. Should a msgspec release accept the
escape, the decoded strings are checked too (only when the frame spells a surrogate at all).
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
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
BROKEN_CHARACTER = "That had a broken character in it (a lone UTF-16 surrogate, which is not text); it was not sent."


class FrameError(Exception):
    """A frame we refuse; str(error) is the message for the sender."""


def too_large(size: int, max_bytes: int) -> FrameError:
    return FrameError(f"That was too large to send ({size} bytes; the limit is {max_bytes}).")


def parse_frame(raw: str | bytes, *, max_bytes: int) -> Inbound:
    """Turn one socket frame into a validated, typed frame, or raise `FrameError`."""
    if len(raw) > max_bytes:
        raise too_large(len(raw), max_bytes)
    try:
        frame = _decoder.decode(raw)
    except msgspec.ValidationError as error:  # JSON, but not a frame (a subclass of DecodeError)
        raise FrameError(_refusal(raw, str(error))) from None
    except msgspec.DecodeError:
        if _spells_surrogate(raw):
            raise FrameError(BROKEN_CHARACTER) from None
        raise FrameError("The server could not read that (it was not JSON).") from None
    except UnicodeError:  # a str holding a surrogate itself: it cannot be UTF-8
        raise FrameError(BROKEN_CHARACTER) from None
    if _spells_surrogate(raw) and not _all_text(msgspec.structs.astuple(frame)):
        raise FrameError(BROKEN_CHARACTER)
    return frame


def _spells_surrogate(raw: str | bytes) -> bool:
    if isinstance(raw, str):
        return _SURROGATE_ESCAPE.search(raw) is not None
    return _SURROGATE_ESCAPE_BYTES.search(raw) is not None


def _all_text(value: object) -> bool:
    """No string anywhere in `value` holds a lone surrogate."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_all_text(key) and _all_text(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(_all_text(item) for item in value)
    return True


def _refusal(raw: str | bytes, problem: str) -> str:
    """The sender's words for a JSON value that is not a valid frame."""
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError:  # the typed pass stopped at the wrong type before reaching bad JSON
        return "The server could not read that (it was not JSON)."
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
