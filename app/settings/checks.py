"""Value checks that settings declare: each returns None, or the words that follow the key.

`check=positive` on `Limits.MaxFrameBytes` turns 0 into
`settings.toml:LINE: Limits.MaxFrameBytes must be greater than zero`. A check of a table or an
array of tables may return a `Problem` that points below it (`unique("ID")` names
`PublicChannels[1].ID`). Checks that belong to one setting only live next to it in model.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from app.settings.declare import Check, Problem, T, declared


def positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than zero"


def zero_means_off(value: float) -> str | None:
    return None if value >= 0 else "must be zero (off) or more"


def between(low: float, high: float) -> Check[float]:
    """From `low` to `high`, both included."""

    def check(value: float) -> str | None:
        return None if low <= value <= high else f"must be from {low:g} to {high:g}"

    return check


def not_blank(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def matches(pattern: str, message: str) -> Check[str]:
    """The whole value matches `pattern`."""
    compiled = re.compile(pattern)

    def check(value: str) -> str | None:
        return None if compiled.fullmatch(value) else message

    return check


def url_scheme(*schemes: str, message: str) -> Check[str]:
    """Empty (off), or a URL with one of `schemes`."""

    def check(value: str) -> str | None:
        return None if not value or urlsplit(value).scheme in schemes else message

    return check


def is_origin(value: str) -> bool:
    """`scheme://host[:port]`, http or https, nothing after it but an optional `/`."""
    parts = urlsplit(value)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.path in ("", "/")
        and not parts.query
        and not parts.fragment
        and value.rstrip("/") == f"{parts.scheme}://{parts.netloc}"
    )


def origin(value: str) -> str | None:
    return None if is_origin(value) else f"{value!r} is not an origin like https://example.com"


def each(check: Check[str]) -> Check[tuple[str, ...]]:
    """Every string of a list passes `check`; a failure names its index (`CORSHosts[0]`)."""

    def check_all(values: tuple[str, ...]) -> Problem | None:
        for index, value in enumerate(values):
            found = check(value)
            if found is not None:
                problem = found if isinstance(found, Problem) else Problem(found)
                return Problem(problem.message, (index, *problem.at))
        return None

    return check_all


def unique(key: str) -> Check[Sequence[object]]:
    """In an array of tables, no two tables share a value for `key` (`PublicChannels[1].ID`)."""

    def check(tables: Sequence[object]) -> Problem | None:
        seen: set[object] = set()
        for index, table in enumerate(tables):
            value = getattr(table, _attribute(table, key))
            if value in seen:
                return Problem("must be unique", (index, key))
            seen.add(value)
        return None

    return check


def _attribute(table: object, key: str) -> str:
    for item in declared(type(table)):
        if item.spec.key == key:
            return item.attr
    raise LookupError(f"{type(table).__name__} declares no setting {key!r}")


def all_of(*checks: Check[T]) -> Check[T]:
    """The first problem that any of `checks` finds."""

    def check(value: T) -> Problem | str | None:
        for one in checks:
            found = one(value)
            if found is not None:
                return found
        return None

    return check
