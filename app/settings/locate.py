"""The line of a key in a settings file, for error messages (only read when something is wrong).

tomlkit keeps no line numbers, so this reads the lines of the text: table headers (`[JWT]`,
`[[PublicChannels]]`, counted, so the second one is `PublicChannels[1]`) and `Key = value`
lines, skipping the inside of multi-line strings. A key the file lacks (a required key left
out, a value migration added) is reported at its table's header.
"""

from __future__ import annotations

import re

from app.settings.declare import KeyPath

_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEY = rf"{_PART}(?:\s*\.\s*{_PART})*"
_ARRAY_HEADER = re.compile(rf"\s*\[\[\s*({_KEY})\s*\]\]\s*(?:#.*)?$")
_TABLE_HEADER = re.compile(rf"\s*\[\s*({_KEY})\s*\]\s*(?:#.*)?$")
_ASSIGNMENT = re.compile(rf"\s*({_KEY})\s*=(.*)$")
_SPLIT = re.compile(_PART)


def line_of(text: str, at: KeyPath) -> int | None:
    """The 1-based line of `at`, or of the nearest enclosing key or table the file has."""
    lines = key_lines(text)
    for length in range(len(at), 0, -1):
        if at[:length] in lines:
            return lines[at[:length]]
    return None


def key_lines(text: str) -> dict[KeyPath, int]:
    """The line where each key path is first written: headers and `Key = value` lines."""
    lines: dict[KeyPath, int] = {}
    arrays: dict[KeyPath, int] = {}  # array of tables -> how many of its tables so far
    table: KeyPath = ()
    closing: str | None = None  # inside a multi-line string: the quotes that end it
    for number, line in enumerate(text.splitlines(), 1):
        if closing is not None:
            closing = None if closing in line else closing
        elif match := _ARRAY_HEADER.match(line):
            array = (*_resolve(_parts(match[1])[:-1], arrays), _parts(match[1])[-1])
            arrays[array] = arrays.get(array, 0) + 1
            table = (*array, arrays[array] - 1)
            lines.setdefault(array, number)
            lines.setdefault(table, number)
        elif match := _TABLE_HEADER.match(line):
            table = _resolve(_parts(match[1]), arrays)
            lines.setdefault(table, number)
        elif match := _ASSIGNMENT.match(line):
            lines.setdefault((*table, *_parts(match[1])), number)
            closing = _opens_multiline_string(match[2])
    return lines


def _parts(key: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _SPLIT.findall(key))


def _resolve(parts: tuple[str, ...], arrays: dict[KeyPath, int]) -> KeyPath:
    """A header's path, with the current index after each array of tables it passes through."""
    path: KeyPath = ()
    for part in parts:
        path = (*path, part)
        if path in arrays:
            path = (*path, arrays[path] - 1)
    return path


def _opens_multiline_string(value: str) -> str | None:
    for quotes in ('"""', "'''"):
        if value.count(quotes) % 2 == 1:
            return quotes
    return None
