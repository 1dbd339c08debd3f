"""Reading settings.toml: parse once (tomlkit), migrate, build and check, write back, environment.

`load_settings` never raises anything but `SettingsError`, whose message is one line for the
operator naming the file, the line and the key at fault:
`settings.toml:12: Limits.MaxFrameBytes must be greater than zero`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from app.settings.build import D, Invalid, build, check, dotted
from app.settings.declare import KeyPath, declared
from app.settings.document import add_missing, render
from app.settings.locate import line_of
from app.settings.model import CURRENT_VERSION, Settings


class SettingsError(Exception):
    """A settings file that cannot be used; the message is one line for the operator."""


def defaults_document() -> tomlkit.TOMLDocument:
    """A new settings document with every key at its default and a fresh secret."""
    return render(Settings(), fill_secrets=True)


def example_document() -> tomlkit.TOMLDocument:
    """settings.example.toml: the defaults, with every generated secret left empty."""
    return render(Settings(), fill_secrets=False)


def load_settings(path: str | os.PathLike[str], *, write: bool = True) -> Settings:
    """Read, migrate and validate settings; write defaults or new keys back when `write`."""
    file = Path(path)
    text = _read(file)
    doc = defaults_document() if text is None else _parse(text, file)
    changed = migrate(doc) or text is None
    settings = replace(_build(doc, text or "", file), path=str(file))
    if changed and write:
        _write(file, doc)
    return with_environment(settings, os.environ)


def _read(file: Path) -> str | None:
    try:
        return file.read_text(encoding="utf-8") if file.exists() else None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        raise SettingsError(f"{file}: cannot read settings: {reason}") from None


def _parse(text: str, file: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except TOMLKitError as error:
        raise SettingsError(f"{file}: invalid TOML: {error}") from None


def _write(file: Path, doc: tomlkit.TOMLDocument) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(doc.as_string(), encoding="utf-8")
    except OSError as error:
        raise SettingsError(f"{file}: cannot write settings: {error.strerror}") from None


def migrate(doc: tomlkit.TOMLDocument) -> bool:
    """Add what the file lacks, fill empty secrets, bump `Version`; True if anything changed."""
    changed = add_missing(doc, Settings())
    version = doc.get("Version")
    if isinstance(version, int) and not isinstance(version, bool) and version < CURRENT_VERSION:
        doc["Version"] = CURRENT_VERSION
        changed = True
    return changed


def _build(doc: tomlkit.TOMLDocument, text: str, file: Path) -> Settings:
    try:
        return build(Settings, doc.unwrap())
    except Invalid as invalid:
        raise SettingsError(f"{_where(file, text, invalid.at)}: {invalid}") from None


def _where(file: Path, text: str, at: KeyPath) -> str:
    line = line_of(text, at)
    return f"{file}:{line}" if line else str(file)


def with_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """Settings with each declared environment variable (`env=`) that is set taking over."""
    return _override(settings, (), environ)


def _override(table: D, at: KeyPath, environ: Mapping[str, str]) -> D:
    changes: dict[str, object] = {}
    for item in declared(type(table)):
        where = (*at, item.spec.key)
        value = getattr(table, item.attr)
        if item.kind.shape == "table":
            changed = _override(value, where, environ)
            if changed is not value:
                changes[item.attr] = changed
        elif item.spec.env is not None and item.spec.env in environ:
            value = environ[item.spec.env]
            problem = check(item, value)
            if problem is not None:
                raise SettingsError(f"environment variable {item.spec.env}: {dotted(where)} {problem.message}")
            changes[item.attr] = value
    return replace(table, **changes) if changes else table


def settings_for_tests(**changes: Any) -> Settings:
    """Default settings with a fixed secret, for tests and tools."""
    return replace(
        Settings(session_secret="test-secret-" + "x" * 32, admin_api_key="test-admin-key-" + "y" * 32), **changes
    )
