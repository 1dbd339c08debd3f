"""docs/settings.md's key table and settings.example.toml, generated from the declarations.

    python -m app.settings --write    # (or `make docs`) rewrite both from app/settings/model.py
    python -m app.settings --check    # exit 1, saying what is out of date

The table sits between two marker lines in docs/settings.md; the prose around it is edited
by hand. tests/unit/test_settings.py fails when either committed text differs from this.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from app.settings.declare import Declared, declared
from app.settings.load import example_document
from app.settings.model import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "settings.md"
EXAMPLE = ROOT / "settings.example.toml"
REGENERATE = "make docs (or .venv/bin/python -m app.settings --write)"
BEGIN = "<!-- settings table: generated from app/settings/model.py by `make docs`; do not edit by hand -->"
END = "<!-- end of the generated settings table -->"


@dataclass(frozen=True)
class Row:
    """One line of the reference: the dotted key, its default as shown, its help."""

    key: str
    default: str
    help: str


def rows(table: object | None = None, prefix: str = "") -> list[Row]:
    """Every setting in declaration order; a table's keys follow it, named `Table.Key`."""
    table = Settings() if table is None else table
    found = []
    for item in declared(type(table)):
        value = getattr(table, item.attr)
        key = prefix + item.spec.key
        found.append(Row(key, _shown_default(item, value), item.spec.full_help()))
        if item.kind.shape == "table":
            found += rows(value, f"{key}.")
        elif item.kind.shape == "tables":
            found += _item_rows(item, f"{key}.")
    return found


def _item_rows(item: Declared, prefix: str) -> list[Row]:
    """The keys of one table of an array of tables, with the defaults a left-out key takes."""
    return [
        Row(prefix + key.spec.key, _shown_default(key, key.default), key.spec.full_help())
        for key in declared(item.kind.type)
    ]


def _shown_default(item: Declared, value: object) -> str:
    if item.spec.generated:
        return "generated"
    if item.required:
        return "required"
    if item.kind.shape == "table":
        return "table"
    if item.kind.shape == "tables":
        count = len(value) if isinstance(value, tuple) else 0
        return f"{count} tables, see `settings.example.toml`" if count else "none"
    plain = list(value) if isinstance(value, tuple) else value
    return f"`{tomlkit.item(plain).as_string()}`"


def settings_table() -> str:
    """The Markdown table of every setting."""
    lines = ["| key | default | what it does |", "| --- | --- | --- |"]
    lines += [f"| `{row.key}` | {_cell(row.default)} | {_cell(row.help)} |" for row in rows()]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def with_table(markdown: str) -> str:
    """`markdown` with the text between the markers replaced by the generated table."""
    head, begin, rest = markdown.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"{DOCS.name} lacks the marker lines around the settings table:\n{BEGIN}\n{END}")
    return f"{head}{BEGIN}\n{settings_table()}\n{END}{tail}"


def example_text() -> str:
    return example_document().as_string()


def stale(docs: Path = DOCS, example: Path = EXAMPLE) -> list[str]:
    """Which of the committed files differ from the generated text."""
    out_of_date = []
    if docs.read_text(encoding="utf-8") != with_table(docs.read_text(encoding="utf-8")):
        out_of_date.append(f"{docs.name}'s settings table")
    if not example.exists() or example.read_text(encoding="utf-8") != example_text():
        out_of_date.append(example.name)
    return out_of_date


def write(docs: Path = DOCS, example: Path = EXAMPLE) -> None:
    docs.write_text(with_table(docs.read_text(encoding="utf-8")), encoding="utf-8")
    example.write_text(example_text(), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.settings", description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="rewrite docs/settings.md's table and the example")
    action.add_argument("--check", action="store_true", help="exit 1 when either is out of date")
    arguments = parser.parse_args(argv)
    if arguments.write:
        write()
        print(f"wrote {DOCS.relative_to(ROOT)} (settings table) and {EXAMPLE.relative_to(ROOT)}")
        return 0
    out_of_date = stale()
    for name in out_of_date:
        print(f"{name} is out of date: run {REGENERATE}", file=sys.stderr)
    return 1 if out_of_date else 0
