"""A live reload of settings.toml (`/reconfigure`): what changed, and what must wait for a restart.

Most settings are read where they are used, so a reload changes them at once: channels and
their welcome messages, limits, filters, moderation rules, webhooks, JWT (strict mode, the key,
the landing page), origins, titles. A few are built into something that lives as long as the
process: the session key (changing it would sign everyone out), the Redis connection, the DM
history's database, the serving limits Hypercorn was started with, the pacing of frames, the
emoji the server accepts. `RESTART_ONLY` names those; a reload keeps their old values and says
that they wait for a restart (`reload_plan`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TypeVar

from app.settings.build import dotted
from app.settings.declare import KeyPath, declared
from app.settings.model import Settings

T = TypeVar("T")

RESTART_ONLY: tuple[KeyPath, ...] = (
    ("SessionSecret",),
    ("Redis",),
    ("DirectMessageHistory", "Enabled"),
    ("DirectMessageHistory", "DatabaseURL"),
    ("DirectMessageHistory", "RetentionDays"),
    ("Limits", "MaxFrameBytes"),
    ("Limits", "SocketSendBuffer"),
    ("Limits", "PingIntervalSeconds"),
    ("Limits", "CoalesceMilliseconds"),
    ("Reactions", "Emoji"),
    ("Photos", "StoreMegabytes"),
)


@dataclass(frozen=True)
class ReloadPlan:
    """The settings to run with now, and what the reload changed."""

    settings: Settings  # the new file's, with the restart-only ones as they were
    applied: tuple[str, ...]  # dotted keys that changed and take effect now
    held: tuple[str, ...]  # dotted keys that changed in the file and wait for a restart


def reload_plan(current: Settings, loaded: Settings) -> ReloadPlan:
    """What to run with after reading `loaded` from the file while running with `current`."""
    held = tuple(key for key in changed_keys(current, loaded) if _restart_only(key))
    settings = loaded
    for path in RESTART_ONLY:
        settings = _with(settings, path, _get(current, path))
    applied = tuple(key for key in changed_keys(current, settings) if key != "Version")
    return ReloadPlan(settings, applied, held)


def changed_keys(old: object, new: object, prefix: KeyPath = ()) -> list[str]:
    """The dotted keys whose values differ (an array of tables counts as one key)."""
    found: list[str] = []
    for item in declared(type(old)):
        before, after = getattr(old, item.attr), getattr(new, item.attr)
        where = (*prefix, item.spec.key)
        if item.kind.shape == "table":
            found += changed_keys(before, after, where)
        elif before != after:
            found.append(dotted(where))
    return found


def _restart_only(key: str) -> bool:
    return any(key == dotted(path) or key.startswith(dotted(path) + ".") for path in RESTART_ONLY)


def _attr(table: object, key: str) -> str:
    return next(item.attr for item in declared(type(table)) if item.spec.key == key)


def _get(table: object, path: KeyPath) -> object:
    for key in path:
        table = getattr(table, _attr(table, str(key)))
    return table


def _with(table: T, path: KeyPath, value: object) -> T:
    """`table` with the setting at `path` replaced by `value`."""
    attr = _attr(table, str(path[0]))
    inner = value if len(path) == 1 else _with(getattr(table, attr), path[1:], value)
    return dataclasses.replace(table, **{attr: inner})  # type: ignore[type-var]
