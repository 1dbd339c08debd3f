"""Settings to TOML, driven by the declarations: the written default file, and migration.

`render(Settings())` is the file a first run writes: every key at its default with its help as
a comment (on an array of tables, on its first table's keys). Values come first, tables and
arrays of tables after them, as TOML requires; an empty array of tables is left out (TOML has
no way to write one that a later `[[Table]]` may extend). Generated secrets are filled in, or
left empty for settings.example.toml.

`add_missing(doc, Settings())` is migration: a key the file lacks gets its default, at the top
and inside tables, and an empty generated secret is filled in; everything else in the file
stays as the operator wrote it, comments too. The tables of an array of tables are the
operator's: a key left out of one takes its declared default when read, and is not added.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from typing import Any

import tomlkit
from tomlkit.items import AoT, InlineTable, Item

from app.settings.declare import Declared, declared

HEADER = "BareRTC settings. See docs/settings.md for every key."
_NESTED = ("table", "tables")


def render(root: object, *, fill_secrets: bool) -> tomlkit.TOMLDocument:
    """A document with every setting of `root`, commented."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment(HEADER))
    _add_all(doc, root, fill_secrets=fill_secrets, comments=True)
    return doc


def _add_all(container: MutableMapping[str, Any], table: object, *, fill_secrets: bool, comments: bool) -> None:
    items = sorted(declared(type(table)), key=lambda item: item.kind.shape in _NESTED)
    for item in items:
        rendered = to_toml(item, getattr(table, item.attr), fill_secrets=fill_secrets, comments=comments)
        if rendered is not None:
            container[item.spec.key] = rendered


def to_toml(item: Declared, value: object, *, fill_secrets: bool, comments: bool = True) -> Item | None:
    """One setting's value as a tomlkit item, with its help as a comment; None for no tables."""
    if item.kind.shape == "table":
        table = tomlkit.table()
        _add_all(table, value, fill_secrets=fill_secrets, comments=comments)
        rendered: Item = table
    elif item.kind.shape == "tables":
        if not isinstance(value, tuple) or not value:
            return None
        help_text = item.spec.full_help() if comments else None
        return _array_of_tables(value, help_text, fill_secrets=fill_secrets)
    else:
        if item.spec.generated and fill_secrets and not value:
            value = new_secret()
        rendered = tomlkit.item(list(value) if isinstance(value, tuple) else value)
    if comments:
        rendered.comment(item.spec.full_help())
    return rendered


def _array_of_tables(tables: tuple[object, ...], help_text: str | None, *, fill_secrets: bool) -> AoT:
    """The tables in order; the first carries the help, on its header and its keys."""
    array = tomlkit.aot()
    for index, value in enumerate(tables):
        table = tomlkit.table()
        _add_all(table, value, fill_secrets=fill_secrets, comments=help_text is not None and index == 0)
        if help_text is not None and index == 0:
            table.comment(help_text)
        array.append(table)
    return array


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def add_missing(container: MutableMapping[str, Any], defaults: object) -> bool:
    """Give `container` the settings of `defaults` it lacks, and fill empty secrets; True if it changed."""
    changed = False
    comments = not isinstance(container, InlineTable)  # an inline table has no room for comments
    for item in declared(type(defaults)):
        present = container.get(item.spec.key)
        if item.spec.key not in container:
            rendered = to_toml(item, getattr(defaults, item.attr), fill_secrets=True, comments=comments)
            if rendered is not None:
                container[item.spec.key] = rendered
                changed = True
        elif item.kind.shape == "table" and isinstance(present, dict):
            changed |= add_missing(present, getattr(defaults, item.attr))
        elif item.spec.generated and present == "":
            container[item.spec.key] = new_secret()
            changed = True
    return changed
