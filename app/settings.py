"""The settings.toml model: defaults, load, validate, write and migrate.

Every directive of the Go original is here with its default, plus the sections this
version adds (`[TURN]`, `[Limits]`, `[Redis]`). `load_settings` never raises anything but
`SettingsError`, whose message names the file, the line and the key at fault.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomlkit

CURRENT_VERSION = 1

DEFAULT_WELCOME = [
    "Welcome to the chat server!",
    "Please follow the basic rules:\n\n1. Have fun\n2. Be kind",
]


@dataclass(frozen=True)
class Channel:
    """One public channel."""

    id: str
    name: str
    icon: str = ""
    welcome_messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class JWTSettings:
    enabled: bool = False
    strict: bool = True
    secret_key: str = ""


@dataclass(frozen=True)
class TURNSettings:
    urls: tuple[str, ...] = ("stun:stun.l.google.com:19302",)
    username: str = ""
    credential: str = ""

    def ice_servers(self) -> list[dict[str, Any]]:
        """The `iceServers` a browser's RTCPeerConnection takes: none, or one with every URL."""
        if not self.urls:
            return []
        server: dict[str, Any] = {"urls": list(self.urls)}
        if self.username or self.credential:
            server.update(username=self.username, credential=self.credential)
        return [server]


@dataclass(frozen=True)
class Limits:
    max_message_length: int = 2000
    max_frame_bytes: int = 65536
    max_username_length: int = 32
    messages_per_second: float = 10.0
    message_burst: int = 20
    frames_per_second: float = 60.0
    frame_burst: int = 120
    send_queue_frames: int = 4096
    send_queue_bytes: int = 8 * 1024 * 1024
    send_timeout_seconds: float = 10.0
    socket_send_buffer: int = 256 * 1024
    ping_interval_seconds: float = 20.0
    coalesce_milliseconds: float = 40.0


@dataclass(frozen=True)
class RedisSettings:
    url: str = ""
    prefix: str = "barertc"
    heartbeat_seconds: float = 5.0


@dataclass(frozen=True)
class Settings:
    """The whole of settings.toml, validated."""

    version: int = CURRENT_VERSION
    title: str = "BareRTC"
    branding: str = "BareRTC"
    website_url: str = "https://www.example.com"
    use_x_forwarded_for: bool = False
    cors_hosts: tuple[str, ...] = ("https://www.example.com",)
    permit_nsfw: bool = False
    session_secret: str = ""
    jwt: JWTSettings = field(default_factory=JWTSettings)
    public_channels: tuple[Channel, ...] = (
        Channel("lobby", "Lobby", "fa fa-gavel", tuple(DEFAULT_WELCOME)),
        Channel("offtopic", "Off Topic", "", ("Welcome to the Off Topic channel!",)),
    )
    turn: TURNSettings = field(default_factory=TURNSettings)
    limits: Limits = field(default_factory=Limits)
    redis: RedisSettings = field(default_factory=RedisSettings)
    path: str = ""

    @property
    def default_channel(self) -> Channel:
        return self.public_channels[0]

    def channel(self, channel_id: str) -> Channel | None:
        for channel in self.public_channels:
            if channel.id == channel_id:
                return channel
        return None


class SettingsError(Exception):
    """A settings file that cannot be used; the message is one line for the operator."""


# --- the file's shape: (TOML key, attribute, type) --------------------------------------

_TOP = [
    ("Version", "version", int),
    ("Title", "title", str),
    ("Branding", "branding", str),
    ("WebsiteURL", "website_url", str),
    ("UseXForwardedFor", "use_x_forwarded_for", bool),
    ("CORSHosts", "cors_hosts", list),
    ("PermitNSFW", "permit_nsfw", bool),
    ("SessionSecret", "session_secret", str),
]
_SECTIONS: dict[str, tuple[str, type[Any], list[tuple[str, str, type[Any]]]]] = {
    "JWT": ("jwt", JWTSettings, [
        ("Enabled", "enabled", bool), ("Strict", "strict", bool), ("SecretKey", "secret_key", str),
    ]),
    "TURN": ("turn", TURNSettings, [
        ("URLs", "urls", list), ("Username", "username", str), ("Credential", "credential", str),
    ]),
    "Limits": ("limits", Limits, [
        ("MaxMessageLength", "max_message_length", int),
        ("MaxFrameBytes", "max_frame_bytes", int),
        ("MaxUsernameLength", "max_username_length", int),
        ("MessagesPerSecond", "messages_per_second", float),
        ("MessageBurst", "message_burst", int),
        ("FramesPerSecond", "frames_per_second", float),
        ("FrameBurst", "frame_burst", int),
        ("SendQueueFrames", "send_queue_frames", int),
        ("SendQueueBytes", "send_queue_bytes", int),
        ("SendTimeoutSeconds", "send_timeout_seconds", float),
        ("SocketSendBuffer", "socket_send_buffer", int),
        ("PingIntervalSeconds", "ping_interval_seconds", float),
        ("CoalesceMilliseconds", "coalesce_milliseconds", float),
    ]),
    "Redis": ("redis", RedisSettings, [
        ("URL", "url", str), ("Prefix", "prefix", str), ("HeartbeatSeconds", "heartbeat_seconds", float),
    ]),
}
_CHANNEL_KEYS = [("ID", "id", str), ("Name", "name", str), ("Icon", "icon", str),
                 ("WelcomeMessages", "welcome_messages", list)]

# Help for every key, written as comments into a new file and used by the docs test.
HELP: dict[str, str] = {
    "Version": "Settings file format version; do not edit.",
    "Title": "The page title.",
    "Branding": "The name shown in the top bar; HTML allowed (it is your own markup).",
    "WebsiteURL": "Your main website; relative JWT image and profile URLs are joined to it.",
    "UseXForwardedFor": "Behind a proxy: take the client IP from X-Real-IP / X-Forwarded-For.",
    "CORSHosts": "Origins (scheme://host[:port]) allowed to call /api/statistics and open /ws.",
    "PermitNSFW": "Allow broadcasters to mark their camera NSFW.",
    "SessionSecret": "Signs the session cookie; generated on first run; share it between workers.",
    "JWT.Enabled": "Accept JSON Web Tokens from your website.",
    "JWT.Strict": "With JWT on: only users with a valid token may enter.",
    "JWT.SecretKey": "The HS256 key your website signs tokens with.",
    "PublicChannels": "The public channels; the first one is the default.",
    "PublicChannels.ID": "Unique id of the channel (letters, digits, - and _).",
    "PublicChannels.Name": "Display name of the channel.",
    "PublicChannels.Icon": "Optional Font Awesome class, for example 'fa fa-gavel'.",
    "PublicChannels.WelcomeMessages": "Markdown messages from ChatServer shown on entry.",
    "TURN.URLs": "ICE server URLs (stun: or turn:) given to browsers for WebRTC.",
    "TURN.Username": "TURN username, if your TURN server needs one.",
    "TURN.Credential": "TURN credential, if your TURN server needs one.",
    "Limits.MaxMessageLength": "Longest chat message, in characters.",
    "Limits.MaxFrameBytes": "Largest frame a browser may send on the socket, in bytes.",
    "Limits.MaxUsernameLength": "Longest guest username, in characters.",
    "Limits.MessagesPerSecond": "Chat messages a user may send per second, sustained.",
    "Limits.MessageBurst": "Chat messages a user may send in a quick burst.",
    "Limits.FramesPerSecond": "Frames of any kind a socket may send per second, sustained.",
    "Limits.FrameBurst": "Frames of any kind a socket may send in a quick burst.",
    "Limits.SendQueueFrames": "Frames queued for a client whose socket is not taking data, "
                              "before it is disconnected.",
    "Limits.SendQueueBytes": "Text held for a client whose socket is not taking data (queued or being sent; "
                             "characters, which is bytes for ASCII), before it is disconnected.",
    "Limits.SendTimeoutSeconds": "A send to a client blocked this long means it stopped reading: "
                                 "it is disconnected.",
    "Limits.SocketSendBuffer": "Kernel send buffer of each client socket in bytes (SO_SNDBUF; Linux doubles it): "
                               "a client that stops reading is noticed after this much, not megabytes.",
    "Limits.PingIntervalSeconds": "WebSocket keep-alive ping interval (0 turns pings off).",
    "Limits.CoalesceMilliseconds": "Under load, each client gets at most one frame per this many milliseconds, "
                                   "carrying everything since the last (0: a frame per update).",
    "Redis.URL": "redis://host:port/db to join several processes into one chat; "
                 "empty for one process. The env var BARERTC_REDIS_URL overrides it.",
    "Redis.Prefix": "Starts every Redis key and the pub/sub channel; chats sharing one Redis need different ones.",
    "Redis.HeartbeatSeconds": "How often each process tells Redis it is alive; a process that stops "
                              "takes its users out of the who list within about four times this.",
}

ZERO_ALLOWED = ("PingIntervalSeconds", "CoalesceMilliseconds")  # Limits where 0 means off

_CHANNEL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def defaults_document() -> tomlkit.TOMLDocument:
    """A new settings document with every key at its default and a fresh secret."""
    defaults = Settings()
    doc = tomlkit.document()
    doc.add(tomlkit.comment("BareRTC settings. See docs/settings.md for every key."))
    for key, attr, _ in _TOP:
        value: Any = getattr(defaults, attr)
        if key == "SessionSecret":
            value = secrets.token_urlsafe(32)
        doc.add(key, _commented(value, HELP[key]))
    for section, (attr, _, keys) in _SECTIONS.items():
        table = tomlkit.table()
        for key, field_name, _ in keys:
            value = getattr(getattr(defaults, attr), field_name)
            table.add(key, _commented(value, HELP[f"{section}.{key}"]))
        doc.add(section, table)
    channels = tomlkit.aot()
    for channel in defaults.public_channels:
        channels.append(_channel_table(channel))
    doc.add("PublicChannels", channels)
    return doc


def _channel_table(channel: Channel) -> tomlkit.items.Table:
    table = tomlkit.table()
    for key, attr, _ in _CHANNEL_KEYS:
        table.add(key, _plain(getattr(channel, attr)))
    return table


def _commented(value: Any, help_text: str) -> tomlkit.items.Item:
    item: tomlkit.items.Item = tomlkit.item(_plain(value))
    item.comment(help_text)
    return item


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def load_settings(path: str | os.PathLike[str], *, write: bool = True) -> Settings:
    """Read, migrate and validate settings; write defaults or new keys back when `write`."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8") if file.exists() else None
    except OSError as error:
        raise SettingsError(f"{file}: cannot read settings: {error.strerror}") from None
    if text is None:
        doc = defaults_document()
        if write:
            _write(file, doc)
        text = tomlkit.dumps(doc)
    try:
        tomllib.loads(text)
        doc = tomlkit.parse(text)
    except (tomllib.TOMLDecodeError, tomlkit.exceptions.ParseError) as error:
        raise SettingsError(f"{file}: invalid TOML: {error}") from None
    changed = _migrate(doc)
    settings = _validate(doc.unwrap(), text, str(file))
    if changed and write:
        _write(file, doc)
    redis_url = os.environ.get("BARERTC_REDIS_URL")
    if redis_url is not None:
        settings = _replace(settings, redis=replace(settings.redis, url=redis_url))
    return settings


def _write(file: Path, doc: tomlkit.TOMLDocument) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(tomlkit.dumps(doc), encoding="utf-8")
    except OSError as error:
        raise SettingsError(f"{file}: cannot write settings: {error.strerror}") from None


def _migrate(doc: tomlkit.TOMLDocument) -> bool:
    """Add keys the file lacks (keeping every operator value); True if anything changed."""
    defaults = defaults_document()
    changed = False
    for key, value in defaults.items():
        if key not in doc:
            doc[key] = value
            changed = True
        elif isinstance(value, tomlkit.items.Table) and isinstance(doc[key], dict):
            for sub_key, sub_value in value.items():
                if sub_key not in doc[key]:
                    doc[key][sub_key] = sub_value
                    changed = True
    if not doc.get("SessionSecret"):
        doc["SessionSecret"] = secrets.token_urlsafe(32)
        changed = True
    version = doc.get("Version")
    if isinstance(version, int) and version < CURRENT_VERSION:
        doc["Version"] = CURRENT_VERSION
        changed = True
    return changed


# --- validation ------------------------------------------------------------------------


class _Checker:
    def __init__(self, text: str, file: str) -> None:
        self.lines = text.splitlines()
        self.file = file

    def fail(self, key: str, message: str) -> SettingsError:
        line = self.line_of(key)
        where = f"{self.file}:{line}" if line else self.file
        return SettingsError(f"{where}: {key} {message}")

    def line_of(self, key: str) -> int | None:
        """Best-effort line number of a dotted key such as `PublicChannels[1].ID`."""
        section, _, leaf = key.rpartition(".")
        match = re.fullmatch(r"(\w+)\[(\d+)\]", section)
        start, end = 0, len(self.lines)
        if match:
            headers = [i for i, line in enumerate(self.lines)
                       if line.strip() == f"[[{match.group(1)}]]"]
            index = int(match.group(2))
            if index >= len(headers):
                return None
            start = headers[index]
            later = [i for i, line in enumerate(self.lines) if i > start and line.lstrip().startswith("[")]
            end = later[0] if later else end
        elif section:
            for i, line in enumerate(self.lines):
                if line.strip() == f"[{section}]":
                    start = i
                    break
            else:
                return None
        leaf = re.sub(r"\[\d+\]$", "", leaf or key)
        pattern = re.compile(rf"^\s*{re.escape(leaf)}\s*=")
        for i in range(start, end):
            if pattern.match(self.lines[i]):
                return i + 1
            if not section and i > start and self.lines[i].lstrip().startswith("["):
                break
        return start + 1 if match else None

    def typed(self, data: dict[str, Any], key: str, name: str, kind: type[Any]) -> Any:
        value = data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            raise self.fail(name, f"must be {_kind_name(kind)}")
        if kind is list:
            if not all(isinstance(item, str) for item in value):
                raise self.fail(name, "must be a list of strings")
            return tuple(value)
        return value


def _kind_name(kind: type[Any]) -> str:
    return {str: "a string", bool: "true or false", int: "a whole number",
            float: "a number", list: "a list of strings"}[kind]


def _validate(data: dict[str, Any], text: str, file: str) -> Settings:
    check = _Checker(text, file)
    known = {key for key, _, _ in _TOP} | set(_SECTIONS) | {"PublicChannels"}
    for key in data:
        if key not in known:
            raise check.fail(key, "is not a known setting")
    values: dict[str, Any] = {"path": file}
    for key, attr, kind in _TOP:
        values[attr] = check.typed(data, key, key, kind)
    for section, (attr, model, keys) in _SECTIONS.items():
        table = data[section]
        if not isinstance(table, dict):
            raise check.fail(section, "must be a table")
        fields = {}
        for key, field_name, kind in keys:
            fields[field_name] = check.typed(table, key, f"{section}.{key}", kind)
        for key in table:
            if key not in {k for k, _, _ in keys}:
                raise check.fail(f"{section}.{key}", "is not a known setting")
        values[attr] = model(**fields)
    values["public_channels"] = _channels(data.get("PublicChannels"), check)
    settings = Settings(**values)
    _check_values(settings, check)
    return settings


def _channels(raw: Any, check: _Checker) -> tuple[Channel, ...]:
    if not isinstance(raw, list) or not raw:
        raise check.fail("PublicChannels", "must list at least one [[PublicChannels]] table")
    channels: list[Channel] = []
    seen: set[str] = set()
    for index, table in enumerate(raw):
        where = f"PublicChannels[{index}]"
        for key, _, _ in _CHANNEL_KEYS[:2]:
            if key not in table:
                raise check.fail(f"{where}.{key}", "is missing")
        fields = {}
        for key, attr, kind in _CHANNEL_KEYS:
            if key in table:
                fields[attr] = check.typed(table, key, f"{where}.{key}", kind)
        for key in table:
            if key not in {k for k, _, _ in _CHANNEL_KEYS}:
                raise check.fail(f"{where}.{key}", "is not a known setting")
        channel = Channel(**fields)
        if not _CHANNEL_ID.match(channel.id):
            raise check.fail(f"{where}.ID", "must be 1-64 letters, digits, - or _")
        if channel.id in seen:
            raise check.fail(f"{where}.ID", "must be unique")
        if not channel.name.strip():
            raise check.fail(f"{where}.Name", "must not be empty")
        seen.add(channel.id)
        channels.append(channel)
    return tuple(channels)


def is_origin(value: str) -> bool:
    parts = urlsplit(value)
    return (parts.scheme in ("http", "https") and bool(parts.hostname)
            and parts.path in ("", "/") and not parts.query and not parts.fragment
            and value.rstrip("/") == f"{parts.scheme}://{parts.netloc}")


def _check_values(settings: Settings, check: _Checker) -> None:
    if settings.version > CURRENT_VERSION:
        raise check.fail("Version", f"is {settings.version}, newer than this server knows")
    for index, host in enumerate(settings.cors_hosts):
        if not is_origin(host):
            raise check.fail(f"CORSHosts[{index}]", f"{host!r} is not an origin like https://example.com")
    if settings.website_url and urlsplit(settings.website_url).scheme not in ("http", "https"):
        raise check.fail("WebsiteURL", "must be an http:// or https:// URL")
    if settings.jwt.enabled and not settings.jwt.secret_key:
        raise check.fail("JWT.SecretKey", "must be set when JWT.Enabled is true")
    for index, url in enumerate(settings.turn.urls):
        if not re.match(r"^(stun|stuns|turn|turns):", url):
            raise check.fail(f"TURN.URLs[{index}]", f"{url!r} must start with stun: or turn:")
    if settings.redis.url and urlsplit(settings.redis.url).scheme not in ("redis", "rediss", "unix"):
        raise check.fail("Redis.URL", "must be a redis:// URL")
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", settings.redis.prefix):
        raise check.fail("Redis.Prefix", "must be 1-64 letters, digits, or _ . : -")
    if settings.redis.heartbeat_seconds <= 0:
        raise check.fail("Redis.HeartbeatSeconds", "must be greater than zero")
    for key, attr, _ in _SECTIONS["Limits"][2]:
        value = getattr(settings.limits, attr)
        if key in ZERO_ALLOWED and value < 0:
            raise check.fail(f"Limits.{key}", "must be zero (off) or more")
        if key not in ZERO_ALLOWED and value <= 0:
            raise check.fail(f"Limits.{key}", "must be greater than zero")


def _replace(settings: Settings, **changes: Any) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)


def settings_for_tests(**changes: Any) -> Settings:
    """Default settings with a fixed secret, for tests and tools."""
    return _replace(Settings(session_secret="test-secret-" + "x" * 32), **changes)
