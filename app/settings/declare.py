"""How a setting is declared: a dataclass field that carries its TOML key, help and check.

`setting("MaxFrameBytes", 65536, "Largest frame ...", check=positive)` is a dataclass field
whose default is 65536 and whose metadata is a `Spec`. The field's type annotation says what
the TOML value must be (`declared()` reads it):

    str | int | float | bool           a value            Title = "BareRTC"
    tuple[str, ...] (or int, ...)      a list of values   CORSHosts = ["https://..."]
    a frozen dataclass of settings     a table            [Limits]
    tuple[<that dataclass>, ...]       an array of tables [[PublicChannels]]

Fields without a `Spec` (such as `Settings.path`) are not part of the file.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

T = TypeVar("T")

KeyPath = tuple[str | int, ...]
"""Where a value is in the file: ("Limits", "MaxFrameBytes"), ("PublicChannels", 1, "ID")."""


@dataclass(frozen=True)
class Problem:
    """What a check found wrong, and where below the checked setting (`at`, often empty)."""

    message: str
    at: KeyPath = ()


Check = Callable[[T], Problem | str | None]
"""A value check: None when the value is fine, else the words that follow the key."""

SCALARS: tuple[type, ...] = (str, bool, int, float)
Shape = Literal["value", "list", "table", "tables"]
SPEC = "barertc.setting"


@dataclass(frozen=True)
class Spec:
    """What a field's metadata says about its setting."""

    key: str
    help: str
    check: Check[Any] | None = None
    generated: bool = False  # a secret filled in when empty, e.g. on first run
    env: str | None = None  # an environment variable that overrides the file

    def full_help(self) -> str:
        """The help as comments and docs show it, the environment override included."""
        if self.env is None:
            return self.help
        return f"{self.help} The environment variable {self.env} overrides it."


@dataclass(frozen=True)
class Kind:
    """The TOML shape of a setting, and its Python type (the item type for the list shapes)."""

    shape: Shape
    type: type


@dataclass(frozen=True)
class Declared:
    """One setting of a dataclass, as `declared()` finds it."""

    attr: str
    spec: Spec
    kind: Kind
    default: object  # dataclasses.MISSING when the key is required

    @property
    def required(self) -> bool:
        return self.default is dataclasses.MISSING


def setting(key: str, default: T, help: str, *, check: Check[T] | None = None, env: str | None = None) -> T:
    """A setting with a default; `check` runs on the typed value, `env` may override it."""
    return field(default=default, metadata={SPEC: Spec(key, help, check, env=env)})


def table(key: str, cls: type[T], help: str, *, check: Check[T] | None = None) -> T:
    """A table of settings, `cls` a frozen dataclass of them; `check` may look at all its keys."""
    return field(default_factory=cls, metadata={SPEC: Spec(key, help, check)})


def required(key: str, help: str, *, check: Check[Any] | None = None) -> Any:
    """A setting that must be given: only for the items of an array of tables, such as a channel's ID."""
    return field(metadata={SPEC: Spec(key, help, check)})


def secret(key: str, help: str) -> str:
    """A string generated when empty or missing (first run, migration); empty in the example file."""
    return field(default="", metadata={SPEC: Spec(key, help, generated=True)})


_DECLARED: dict[type, tuple[Declared, ...]] = {}


def declared(cls: type) -> tuple[Declared, ...]:
    """The settings of a dataclass, in declaration order (read once per class)."""
    if cls not in _DECLARED:
        _DECLARED[cls] = _read_declarations(cls)
    return _DECLARED[cls]


def _read_declarations(cls: type) -> tuple[Declared, ...]:
    hints = typing.get_type_hints(cls)
    found = []
    for item in dataclasses.fields(cls):
        spec = item.metadata.get(SPEC)
        if isinstance(spec, Spec):
            kind = kind_of(hints[item.name], f"{cls.__name__}.{item.name}")
            if spec.env is not None and kind != Kind("value", str):
                raise TypeError(f"{cls.__name__}.{item.name}: only a string setting can come from the environment")
            found.append(Declared(item.name, spec, kind, _default(item)))
    return tuple(found)


def _default(item: dataclasses.Field[Any]) -> object:
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return item.default


def kind_of(annotation: Any, where: str) -> Kind:
    """The Kind an annotation stands for; a TypeError names the field when it is not supported."""
    if annotation in SCALARS:
        return Kind("value", annotation)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return Kind("table", annotation)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = args[0]
        if item in SCALARS:
            return Kind("list", item)
        if dataclasses.is_dataclass(item) and isinstance(item, type):
            return Kind("tables", item)
    raise TypeError(
        f"{where}: a setting must be str, int, float, bool, a settings dataclass, "
        f"or a tuple[..., ...] of one of them, not {annotation!r}"
    )
