"""Inbound frames: parse, validate and limit what a browser sends on the socket.

hx-ws sends a form as `{...form values, "headers": {...}}`; the webcam module sends plain
JSON objects. Both carry an `action`. Each action has a schema (field -> type); anything else
is refused with a `FrameError` whose message is shown to the sender alone.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

# action -> {field: type}. `bool` fields also accept hx-ws's checkbox strings.
SCHEMAS: dict[str, dict[str, type[Any]]] = {
    "message": {"channel": str, "text": str},
    "thread": {"username": str},
    "me": {"camera": str, "nsfw": bool},
    "open": {"username": str},
    "watch": {"username": str},
    "unwatch": {"username": str},
    "sdp": {"username": str, "feed": str, "description": dict},
    "candidate": {"username": str, "feed": str, "candidate": dict},
    "hangup": {"username": str, "feed": str},
}
OPTIONAL: dict[str, set[str]] = {"me": {"nsfw"}}


class FrameError(Exception):
    """A frame we refuse; str(error) is the message for the sender."""


@dataclass(frozen=True)
class Frame:
    action: str
    fields: dict[str, Any]

    def text(self, name: str) -> str:
        value = self.fields[name]
        assert isinstance(value, str)
        return value


def parse_frame(raw: str | bytes, *, max_bytes: int) -> Frame:
    """Turn one socket frame into a validated `Frame`, or raise `FrameError`."""
    if len(raw) > max_bytes:
        raise FrameError(f"That was too large to send ({len(raw)} bytes; the limit is {max_bytes}).")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise FrameError("The server could not read that (it was not JSON).") from None
    if not isinstance(data, dict):
        raise FrameError("The server could not read that (expected a JSON object).")
    action = data.get("action")
    if not isinstance(action, str) or action not in SCHEMAS:
        raise FrameError(f"Unknown action {str(action)[:40]!r}.")
    values: dict[str, Any] = {}
    for name, kind in SCHEMAS[action].items():
        if name not in data:
            if name in OPTIONAL.get(action, set()):
                continue
            raise FrameError(f"The {action!r} frame is missing the field {name!r}.")
        values[name] = _typed(action, name, data[name], kind)
    return Frame(action, values)


def _typed(action: str, name: str, value: Any, kind: type[Any]) -> Any:
    if kind is bool and isinstance(value, str):
        return value.lower() in ("on", "true", "1", "yes")
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise FrameError(f"The field {name!r} of {action!r} must be a {kind.__name__}.")
    return value


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
