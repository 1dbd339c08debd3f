"""This server's version: the installed package's, or pyproject.toml's when run from a source tree."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


@cache
def version() -> str:
    try:
        return metadata.version("barertc")
    except metadata.PackageNotFoundError:
        return _pyproject_version() or "unknown"


def _pyproject_version() -> str | None:
    try:
        found = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return None
    return found if isinstance(found, str) else None
