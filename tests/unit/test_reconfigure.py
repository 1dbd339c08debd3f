"""A live reload of the settings: what changes now, what waits, and that nothing keeps the old."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import tomlkit

from app.broker.memory import MemoryBus, MemoryMessages, MemoryRegistry
from app.chat.frames import SetCamera
from app.chat.model import Member
from app.chat.protocol import FrameError
from app.chat.room import Room
from app.settings import Settings, SettingsError, load_settings, settings_for_tests
from app.settings.declare import declared
from app.settings.live import RESTART_ONLY, reload_plan
from tests.support import write_settings
from tests.unit.test_room import Inbox


def test_a_plan_applies_what_may_change_and_holds_the_rest() -> None:
    current = settings_for_tests()
    loaded = dataclasses.replace(
        current,
        public_channels=(*current.public_channels, dataclasses.replace(current.public_channels[1], id="news")),
        limits=dataclasses.replace(current.limits, messages_per_second=3.0, ping_interval_seconds=5.0),
        redis=dataclasses.replace(current.redis, url="redis://elsewhere:6379/0"),
        session_secret="another secret",
    )
    plan = reload_plan(current, loaded)
    assert plan.applied == ("PublicChannels", "Limits.MessagesPerSecond")
    assert plan.held == ("SessionSecret", "Limits.PingIntervalSeconds", "Redis.URL")
    assert plan.settings.session_secret == current.session_secret and plan.settings.redis == current.redis
    assert plan.settings.limits.ping_interval_seconds == current.limits.ping_interval_seconds
    assert plan.settings.limits.messages_per_second == 3.0 and len(plan.settings.public_channels) == 3
    assert reload_plan(current, current).applied == ()
    tables = {"SessionSecret", "Redis", "DirectMessageHistory", "Limits", "Reactions", "Photos"}
    assert all(path[0] in tables for path in RESTART_ONLY)


def stale_references(root: object, old: Settings) -> list[str]:
    """Paths from `root` to any table of `old` (the settings a reload replaced; a table that
    waits for a restart as a whole stays), through the chat's own objects, dicts and sequences."""
    kept = {item.attr for item in declared(Settings) if (item.spec.key,) in RESTART_ONLY}
    tables = {
        id(value): name for name, value in vars(old).items() if dataclasses.is_dataclass(value) and name not in kept
    }
    tables[id(old)] = "settings"
    found, seen, todo = [], set(), [(root, "room")]
    while todo:
        value, path = todo.pop()
        if id(value) in seen or isinstance(value, str | bytes | int | float | bool | type(None)):
            continue
        seen.add(id(value))
        if id(value) in tables:
            found.append(f"{path} is the old {tables[id(value)]}")
            continue
        if isinstance(value, dict):
            todo += [(item, f"{path}[{key!r}]") for key, item in value.items()]
        elif isinstance(value, list | tuple | set | frozenset):
            todo += [(item, f"{path}[]") for item in value]
        elif type(value).__module__.startswith("app.") and hasattr(value, "__dict__"):
            todo += [(item, f"{path}.{name}") for name, item in vars(value).items()]
    return found


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    return write_settings(tmp_path / "settings.toml")


def add_channel(path: Path, channel_id: str, welcome: str) -> None:
    doc = tomlkit.parse(path.read_text())
    doc["PublicChannels"].append({"ID": channel_id, "Name": channel_id.title(), "WelcomeMessages": [welcome]})
    doc["Limits"]["MessagesPerSecond"] = 2.5
    path.write_text(tomlkit.dumps(doc))


async def test_a_reload_reaches_every_part_of_the_room_and_the_people_here(settings_file: Path) -> None:
    old = load_settings(settings_file, write=False)
    room = Room(old, MemoryBus(), MemoryRegistry(), MemoryMessages())
    await room.start()
    ann = Inbox("ann")
    assert await room.enter(ann)
    ann.clear()
    add_channel(settings_file, "news", "Welcome to the **news**.")
    plan = await room.reload_settings()
    assert plan.applied == ("PublicChannels", "Limits.MessagesPerSecond") and plan.held == ()
    assert room.settings.channel("news") is not None and room.settings.limits.messages_per_second == 2.5
    assert 'id="welcome-news"' in ann.text() and "<strong>news</strong>" in ann.text()
    assert stale_references(room, old) == []


async def test_a_broken_file_changes_nothing(settings_file: Path) -> None:
    room = Room(load_settings(settings_file, write=False), MemoryBus(), MemoryRegistry(), MemoryMessages())
    await room.start()
    settings_file.write_text(settings_file.read_text().replace("MaxMessageLength = 2000", "MaxMessageLength = -1"))
    with pytest.raises(SettingsError, match=r"settings.toml:\d+: Limits.MaxMessageLength must be greater than zero"):
        await room.reload_settings()
    assert room.settings.limits.max_message_length == 2000
    without_file = Room(settings_for_tests(), MemoryBus(), MemoryRegistry(), MemoryMessages())
    with pytest.raises(SettingsError, match="not started from a settings file"):
        await without_file.reload_settings()


def member(room: Room, name: str) -> Member:
    return room.roster[name]


async def test_moderation_rules_apply_on_entry_and_again_after_a_reload(settings_file: Path) -> None:
    doc = tomlkit.parse(settings_file.read_text())
    doc["ModerationRule"].append({"Username": "rex", "NoBroadcast": True})
    settings_file.write_text(tomlkit.dumps(doc))
    room = Room(load_settings(settings_file, write=False), MemoryBus(), MemoryRegistry(), MemoryMessages())
    await room.start()
    rex, sue = Inbox("rex"), Inbox("sue")
    assert await room.enter(rex) and await room.enter(sue)
    assert member(room, "rex").rules == ("nobroadcast",) and member(room, "sue").rules == ()
    with pytest.raises(FrameError, match="keeps you from sharing your webcam"):
        await room.handle(rex, SetCamera(camera="on"))
    await room.handle(sue, SetCamera(camera="on"))
    assert member(room, "sue").camera == "on"

    doc["ModerationRule"][-1] = {"Username": "sue", "CameraAlwaysNSFW": True, "NoVideo": True}
    settings_file.write_text(tomlkit.dumps(doc))
    await room.reload_settings()
    await room.operations.settled()
    assert member(room, "rex").rules == () and member(room, "sue").rules == ("redcam", "novideo")
    assert member(room, "sue").camera == "off"  # novideo: her camera went off
    assert any(json.loads(data)["signal"] == "cut" for data in sue.data)
    await room.handle(rex, SetCamera(camera="on"))
    assert member(room, "rex").camera == "on"
