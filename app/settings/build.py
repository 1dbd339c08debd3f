"""TOML data (as tomlkit unwraps it) to typed settings, driven by the declarations.

`build(Settings, data)` checks, for each table: no unknown key, every required key present,
every value of its declared type; builds the frozen dataclass; then runs each setting's check.
The first thing wrong is raised as `Invalid(at, message)`, with `at` the key path; the loader
turns it into `file:line: Key message`. Nothing here knows about files or lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from app.settings.declare import Declared, KeyPath, Problem, declared

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")

VALUE_NAMES = {str: "a string", bool: "true or false", int: "a whole number", float: "a number"}
LIST_NAMES = {
    str: "a list of strings",
    bool: "a list of true/false values",
    int: "a list of whole numbers",
    float: "a list of numbers",
}


class Invalid(Exception):
    """The first problem found: where (a key path) and what (the words after the key)."""

    def __init__(self, at: KeyPath, message: str) -> None:
        super().__init__(f"{dotted(at)} {message}")
        self.at = at
        self.message = message


def dotted(at: KeyPath) -> str:
    """("PublicChannels", 1, "ID") -> "PublicChannels[1].ID"."""
    text = ""
    for part in at:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def build(cls: type[D], data: object, at: KeyPath = ()) -> D:
    """One table of settings: its declared keys, typed and checked."""
    if not isinstance(data, dict):
        raise Invalid(at, "must be a table")
    settings = declared(cls)
    known = {item.spec.key for item in settings}
    for key in data:
        if key not in known:
            raise Invalid((*at, key), "is not a known setting")
    values: dict[str, object] = {}
    for item in settings:
        where = (*at, item.spec.key)
        if item.spec.key in data:
            values[item.attr] = convert(item, data[item.spec.key], where)
        elif item.required:
            raise Invalid(where, "is missing")
    table = cls(**values)
    for item in settings:
        problem = check(item, getattr(table, item.attr))
        if problem is not None:
            raise Invalid((*at, item.spec.key, *problem.at), problem.message)
    return table


def check(item: Declared, value: object) -> Problem | None:
    """What the setting's own check says about a typed value."""
    if item.spec.check is None:
        return None
    found = item.spec.check(value)
    return Problem(found) if isinstance(found, str) else found


def convert(item: Declared, raw: object, at: KeyPath) -> object:
    """A TOML value as the declared kind of Python value."""
    return CONVERTERS[item.kind.shape](item.kind.type, raw, at)


def _value(kind: type, raw: object, at: KeyPath) -> object:
    if kind is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    if not isinstance(raw, kind) or (kind is int and isinstance(raw, bool)):
        raise Invalid(at, f"must be {VALUE_NAMES[kind]}")
    return raw


def _list(kind: type, raw: object, at: KeyPath) -> tuple[object, ...]:
    if not isinstance(raw, list):
        raise Invalid(at, f"must be {LIST_NAMES[kind]}")
    try:
        return tuple(_value(kind, item, at) for item in raw)
    except Invalid:
        raise Invalid(at, f"must be {LIST_NAMES[kind]}") from None


def _table(kind: type, raw: object, at: KeyPath) -> object:
    return build(kind, raw, at)


def _tables(kind: type, raw: object, at: KeyPath) -> tuple[object, ...]:
    if not isinstance(raw, list):
        raise Invalid(at, f"must be an array of tables, each starting with [[{at[-1]}]]")
    return tuple(build(kind, table, (*at, index)) for index, table in enumerate(raw))


CONVERTERS: dict[str, Callable[[Any, object, KeyPath], object]] = {
    "value": _value,
    "list": _list,
    "table": _table,
    "tables": _tables,
}
