"""Every setting of settings.toml, each declared once: TOML key, default, type, help, check.

This is the file to edit to add a setting (see the package docstring for how). The order of
the fields is the order of the written file and of docs/settings.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.settings.checks import (
    all_of,
    between,
    each,
    matches,
    not_blank,
    origin,
    positive,
    unique,
    url_scheme,
    zero_means_off,
)
from app.settings.declare import Problem, required, secret, setting, table

CURRENT_VERSION = 1

DEFAULT_WELCOME = (
    "Welcome to the chat server!",
    "Please follow the basic rules:\n\n1. Have fun\n2. Be kind",
)


@dataclass(frozen=True)
class Channel:
    """One public channel: one `[[PublicChannels]]` table."""

    id: str = required(
        "ID",
        "Unique id of the channel (letters, digits, - and _).",
        check=matches(r"[A-Za-z0-9_-]{1,64}", "must be 1-64 letters, digits, - or _"),
    )
    name: str = required("Name", "Display name of the channel.", check=not_blank)
    icon: str = setting("Icon", "", "Optional Font Awesome class, for example 'fa fa-gavel'.")
    welcome_messages: tuple[str, ...] = setting(
        "WelcomeMessages", (), "Markdown messages from ChatServer shown on entry."
    )
    echo_messages_on_join: int = setting(
        "EchoMessagesOnJoin",
        0,
        "How many of the channel's latest messages someone entering the chat sees (0: none). "
        "Held in memory (in Redis with several processes), never on disk.",
        check=between(0, 100),
    )
    vip: bool = setting(
        "VIP", False, "Only VIP members (JWT claim vip) and operators see this channel; nobody else gets its messages."
    )
    permit_photos: bool = setting(
        "PermitPhotos", False, "People may share pictures in this channel (the [Photos] settings apply)."
    )


def at_least_one_channel(channels: tuple[Channel, ...]) -> str | None:
    return None if channels else "must list at least one [[PublicChannels]] table"


def default_channel_open_to_all(channels: tuple[Channel, ...]) -> Problem | None:
    if channels and channels[0].vip:
        return Problem("must not be VIP: the first channel is everyone's default", (0, "VIP"))
    return None


RESERVED_STATUSES = ("online", "away")


def not_built_in(status_id: str) -> str | None:
    return f"{status_id!r} is built in" if status_id in RESERVED_STATUSES else None


@dataclass(frozen=True)
class ChatStatus:
    """A status people may choose besides Online and Away: one `[[ChatStatuses]]` table."""

    id: str = required(
        "ID",
        "Unique id of the status (letters, digits, - and _); online and away are built in.",
        check=all_of(matches(r"[A-Za-z0-9_-]{1,32}", "must be 1-32 letters, digits, - or _"), not_built_in),
    )
    name: str = required("Name", "What people read: in the status menu and on the profile card.", check=not_blank)
    icon: str = setting("Icon", "fa fa-circle-dot", "Font Awesome class shown in the who list.")


ONLINE = ChatStatus("online", "Online", "fa fa-circle")
AWAY = ChatStatus("away", "Away", "fa fa-moon")


@dataclass(frozen=True)
class VIPSettings:
    name: str = setting("Name", "VIP", "What VIP members are called: the badge's words.", check=not_blank)
    icon: str = setting("Icon", "fa fa-star", "Font Awesome class of the VIP badge in the who list.")


@dataclass(frozen=True)
class JWTSettings:
    enabled: bool = setting("Enabled", False, "Accept JSON Web Tokens from your website.")
    strict: bool = setting("Strict", True, "With JWT on: only users with a valid token may enter.")
    secret_key: str = setting("SecretKey", "", "The HS256 key your website signs tokens with.")
    landing_page_url: str = setting(
        "LandingPageURL",
        "",
        "Where people without a valid token are sent (HTTP 302) in strict mode, and where the "
        "banner of someone disconnected (/kickall, a kick) leads; empty: a 403 page, and the chat.",
        check=url_scheme("http", "https", message="must be an http:// or https:// URL"),
    )


def key_when_enabled(jwt: JWTSettings) -> Problem | None:
    if jwt.enabled and not jwt.secret_key:
        return Problem("must be set when JWT.Enabled is true", ("SecretKey",))
    return None


def ice_url(url: str) -> str | None:
    return None if re.match(r"(stun|stuns|turn|turns):", url) else f"{url!r} must start with stun: or turn:"


@dataclass(frozen=True)
class TURNSettings:
    urls: tuple[str, ...] = setting(
        "URLs",
        ("stun:stun.l.google.com:19302",),
        "ICE server URLs (stun: or turn:) given to browsers for WebRTC.",
        check=each(ice_url),
    )
    username: str = setting("Username", "", "TURN username, if your TURN server needs one.")
    credential: str = setting("Credential", "", "TURN credential, if your TURN server needs one.")

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
    max_message_length: int = setting("MaxMessageLength", 2000, "Longest chat message, in characters.", check=positive)
    max_frame_bytes: int = setting(
        "MaxFrameBytes", 65536, "Largest frame a browser may send on the socket, in bytes.", check=positive
    )
    max_username_length: int = setting(
        "MaxUsernameLength", 32, "Longest guest username, in characters.", check=positive
    )
    messages_per_second: float = setting(
        "MessagesPerSecond", 10.0, "Chat messages a user may send per second, sustained.", check=positive
    )
    message_burst: int = setting("MessageBurst", 20, "Chat messages a user may send in a quick burst.", check=positive)
    frames_per_second: float = setting(
        "FramesPerSecond", 60.0, "Frames of any kind a socket may send per second, sustained.", check=positive
    )
    frame_burst: int = setting(
        "FrameBurst", 120, "Frames of any kind a socket may send in a quick burst.", check=positive
    )
    sign_ins_per_minute: int = setting(
        "SignInsPerMinute",
        20,
        "Sign-ins (guest or token) one address may make per minute, across processes with Redis; "
        "more get HTTP 429 (0: no limit).",
        check=zero_means_off,
    )
    names_per_address: int = setting(
        "NamesPerAddress",
        10,
        "People one address may have in the chat at once, across processes (0: no limit).",
        check=zero_means_off,
    )
    sockets_per_address: int = setting(
        "SocketsPerAddress",
        20,
        "Open sockets one address may hold on each process (0: no limit).",
        check=zero_means_off,
    )
    max_sockets: int = setting(
        "MaxSockets",
        0,
        "Open sockets one process holds in all; 0: its file-descriptor limit less a reserve "
        "(the larger of 64 and a tenth) for pages, Redis and files.",
        check=zero_means_off,
    )
    rings_per_minute: float = setting(
        "RingsPerMinute",
        6.0,
        "Times a viewer may ask one broadcaster for their camera per minute (a few at once); "
        "each ask makes the broadcaster's browser start a new connection.",
        check=positive,
    )
    send_queue_frames: int = setting(
        "SendQueueFrames",
        4096,
        "Frames queued for a client whose socket is not taking data, before it is disconnected.",
        check=positive,
    )
    send_queue_bytes: int = setting(
        "SendQueueBytes",
        8 * 1024 * 1024,
        "Text held for a client whose socket is not taking data (queued or being sent; "
        "characters, which is bytes for ASCII), before it is disconnected.",
        check=positive,
    )
    send_timeout_seconds: float = setting(
        "SendTimeoutSeconds",
        10.0,
        "A send to a client blocked this long means it stopped reading: it is disconnected.",
        check=positive,
    )
    socket_send_buffer: int = setting(
        "SocketSendBuffer",
        256 * 1024,
        "Kernel send buffer of each client socket in bytes (SO_SNDBUF; Linux doubles it): "
        "a client that stops reading is noticed after this much, not megabytes.",
        check=positive,
    )
    ping_interval_seconds: float = setting(
        "PingIntervalSeconds", 20.0, "WebSocket keep-alive ping interval (0 turns pings off).", check=zero_means_off
    )
    reactions_per_second: float = setting(
        "ReactionsPerSecond", 2.0, "Reactions a user may add or remove per second, sustained.", check=positive
    )
    reaction_burst: int = setting(
        "ReactionBurst", 8, "Reactions a user may add or remove in a quick burst.", check=positive
    )
    recent_messages: int = setting(
        "RecentMessages",
        200,
        "Latest messages of each channel that can still be reacted to or taken back (older ones stay on "
        "screen as they are); the history shown on entry comes from these too.",
        check=positive,
    )
    recent_direct_messages: int = setting(
        "RecentDirectMessages",
        2000,
        "Latest direct messages, all threads together, that can still be reacted to or taken back.",
        check=positive,
    )
    api_failures_per_minute: int = setting(
        "APIFailuresPerMinute",
        10,
        "Admin API calls with a wrong or missing APIKey one address may make per minute (on each "
        "process); after that every call from it gets HTTP 429 until the minute is over (0: no limit).",
        check=zero_means_off,
    )
    coalesce_milliseconds: float = setting(
        "CoalesceMilliseconds",
        40.0,
        "Under load, each client gets at most one frame per this many milliseconds, "
        "carrying everything since the last (0: a frame per update).",
        check=zero_means_off,
    )


@dataclass(frozen=True)
class PhotoSettings:
    """Pictures shared in the channels that permit them (`PermitPhotos`) and in DMs."""

    permit_in_dms: bool = setting("PermitInDMs", True, "People may share pictures in direct messages.")
    max_image_bytes: int = setting(
        "MaxImageBytes", 8 * 1024 * 1024, "Largest picture file one may upload, in bytes.", check=positive
    )
    max_image_pixels: int = setting(
        "MaxImagePixels",
        40_000_000,
        "Most pixels (width times height) of an uploaded picture; more is refused as a decompression "
        "bomb. Decoding holds about 4 bytes per pixel while it works.",
        check=positive,
    )
    max_frames: int = setting(
        "MaxFrames", 100, "Most frames of an animated GIF or WebP (kept animated); more is refused.", check=positive
    )
    max_image_width: int = setting(
        "MaxImageWidth", 1280, "Pictures are scaled down to this width (pixels) when opened large.", check=positive
    )
    preview_image_width: int = setting(
        "PreviewImageWidth", 360, "Width (pixels) of a picture's preview in the conversation.", check=positive
    )
    keep_minutes: float = setting(
        "KeepMinutes",
        60.0,
        "How long a shared picture can be seen; then it is gone (its message says so).",
        check=positive,
    )
    uploads_per_minute: int = setting(
        "UploadsPerMinute", 6, "Pictures one person may share per minute (on each process).", check=positive
    )
    store_megabytes: int = setting(
        "StoreMegabytes",
        256,
        "Memory (in Redis with several processes) that shared pictures may take in all; the oldest go first.",
        check=positive,
    )


DEFAULT_REACTIONS = ("👍", "❤️", "😂", "😮", "😢", "🙏", "🔥", "🎉")


def short_text(value: str) -> str | None:
    return None if 0 < len(value) <= 16 and not value.isspace() else f"{value!r} must be 1-16 characters"


def one_to_twenty_four(values: tuple[str, ...]) -> str | None:
    return None if 1 <= len(values) <= 24 else "must list from 1 to 24 emoji"


@dataclass(frozen=True)
class ReactionSettings:
    emoji: tuple[str, ...] = setting(
        "Emoji",
        DEFAULT_REACTIONS,
        "The emoji a message's React button offers, in order.",
        check=all_of(one_to_twenty_four, each(short_text)),
    )
    max_per_message: int = setting(
        "MaxPerMessage", 12, "Different emoji one message may collect.", check=between(1, 100)
    )


@dataclass(frozen=True)
class RedisSettings:
    url: str = setting(
        "URL",
        "",
        "redis://host:port/db to join several processes into one chat; empty for one process.",
        env="BARERTC_REDIS_URL",
        check=url_scheme("redis", "rediss", "unix", message="must be a redis:// URL"),
    )
    prefix: str = setting(
        "Prefix",
        "barertc",
        "Starts every Redis key and the pub/sub channel; chats sharing one Redis need different ones.",
        check=matches(r"[A-Za-z0-9_.:-]{1,64}", "must be 1-64 letters, digits, or _ . : -"),
    )
    heartbeat_seconds: float = setting(
        "HeartbeatSeconds",
        5.0,
        "How often each process tells Redis it is alive; a process that stops "
        "takes its users out of the who list within about four times this.",
        check=positive,
    )


DEFAULT_DISCLAIMER = (
    '<i class="fa fa-circle-info" aria-hidden="true"></i> Direct messages between members are saved, '
    "so you can read them again later. You can erase yours at any time: <strong>History</strong>, "
    "then <strong>Clear my DM history</strong>."
)


def database_url(url: str) -> str | None:
    if url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "sqlite://", "postgresql://")):
        return None
    return "must be a sqlite+aiosqlite:/// or postgresql+asyncpg:// URL"


@dataclass(frozen=True)
class DirectMessageHistory:
    """Opt-in storage of direct messages between signed-in members (docs/settings.md says what)."""

    enabled: bool = setting(
        "Enabled", False, "Store direct messages between signed-in members (JWT), so they can read them again later."
    )
    database_url: str = setting(
        "DatabaseURL",
        "sqlite+aiosqlite:///barertc.sqlite3",
        "Where: a SQLite file (a relative path is beside this settings file) for one host, or "
        "postgresql+asyncpg://user:password@host/database for several hosts.",
        env="BARERTC_DATABASE_URL",
        check=database_url,
    )
    retention_days: int = setting(
        "RetentionDays",
        90,
        "Messages older than this many days are erased (checked at start-up and daily); 0 keeps them forever.",
        check=zero_means_off,
    )
    disclaimer_message: str = setting(
        "DisclaimerMessage",
        DEFAULT_DISCLAIMER,
        "Shown atop every DM thread whose messages are saved; HTML allowed (it is your own markup).",
    )


WEBHOOK_NAMES = ("report", "profile")


def webhook_name(name: str) -> str | None:
    return None if name in WEBHOOK_NAMES else f"{name!r} must be one of {', '.join(WEBHOOK_NAMES)}"


@dataclass(frozen=True)
class WebhookURL:
    """One `[[WebhookURLs]]` table: where the chat POSTs to your website (docs/api.md)."""

    name: str = required(
        "Name",
        "Which webhook: report (people's reports, filters, /nsfw, kicks and bans) or profile (profile cards).",
        check=webhook_name,
    )
    enabled: bool = setting("Enabled", False, "Call this webhook.")
    url: str = setting(
        "URL",
        "",
        "Your website's URL that receives the POST.",
        check=url_scheme("http", "https", message="must be an http:// or https:// URL"),
    )
    timeout_seconds: float = setting(
        "TimeoutSeconds", 10.0, "How long the chat waits for your website's answer.", check=between(0.1, 60)
    )


def url_when_enabled(webhooks: tuple[WebhookURL, ...]) -> Problem | None:
    for index, webhook in enumerate(webhooks):
        if webhook.enabled and not webhook.url:
            return Problem("must be set when Enabled is true", (index, "URL"))
    return None


def regular_expression(phrase: str) -> str | None:
    try:
        re.compile(phrase)
    except re.error as error:
        return f"{phrase!r} is not a regular expression: {error}"
    return None


@dataclass(frozen=True)
class MessageFilter:
    """One `[[MessageFilters]]` table: phrases (regular expressions) and what a match does."""

    enabled: bool = setting("Enabled", False, "Apply this filter.")
    public_channels: bool = setting("PublicChannels", True, "Apply it to messages in the channels.")
    private_channels: bool = setting(
        "PrivateChannels", True, "Apply it to direct messages (never to those with an operator)."
    )
    keyword_phrases: tuple[str, ...] = setting(
        "KeywordPhrases",
        (),
        "Regular expressions (Python's re, case-sensitive unless (?i)) matched against the text as typed.",
        check=each(regular_expression),
    )
    censor_message: bool = setting("CensorMessage", False, "Replace each match with * characters.")
    forward_message: bool = setting(
        "ForwardMessage", False, "Deliver the (censored) message anyway; if false, only its sender sees it."
    )
    report_message: bool = setting(
        "ReportMessage", False, "Send the message and its recent context to the report webhook."
    )
    chat_server_response: str = setting(
        "ChatServerResponse", "", "Told to the sender (by ChatServer) when their message matches; empty: nothing."
    )


EXAMPLE_FILTER = MessageFilter(
    keyword_phrases=(r"\bswear words\b", r"\b(swearing|cursing)\b", r"suck my ([^\s]+)"),
    censor_message=True,
    chat_server_response="Watch your language.",
)


@dataclass(frozen=True)
class ModerationRule:
    """One `[[ModerationRule]]` table: restrictions on one username, added to their JWT `rules`."""

    username: str = required("Username", "Whom the rule is for (a username, exactly).", check=not_blank)
    camera_always_nsfw: bool = setting("CameraAlwaysNSFW", False, "Their camera is always marked NSFW (redcam).")
    no_broadcast: bool = setting("NoBroadcast", False, "They may not share a webcam (nobroadcast).")
    no_video: bool = setting("NoVideo", False, "They may neither share nor watch webcams (novideo).")
    no_image: bool = setting("NoImage", False, "They may not share pictures (noimage).")
    no_dark_video: bool = setting(
        "NoDarkVideo", False, "Accepted for the Go BareRTC's files (nodvd); it does nothing here."
    )

    @property
    def rules(self) -> tuple[str, ...]:
        """The JWT `rules` words this table stands for."""
        flags = (
            (self.camera_always_nsfw, "redcam"),
            (self.no_broadcast, "nobroadcast"),
            (self.no_video, "novideo"),
            (self.no_image, "noimage"),
            (self.no_dark_video, "nodvd"),
        )
        return tuple(word for on, word in flags if on)


def known_version(version: int) -> str | None:
    return None if version <= CURRENT_VERSION else f"is {version}, newer than this server knows"


@dataclass(frozen=True)
class Settings:
    """The whole of settings.toml, validated."""

    version: int = setting(
        "Version", CURRENT_VERSION, "Settings file format version; do not edit.", check=known_version
    )
    title: str = setting("Title", "BareRTC", "The page title.")
    branding: str = setting(
        "Branding", "BareRTC", "The name shown in the top bar; HTML allowed (it is your own markup)."
    )
    website_url: str = setting(
        "WebsiteURL",
        "https://www.example.com",
        "Your main website; relative JWT image and profile URLs are joined to it.",
        check=url_scheme("http", "https", message="must be an http:// or https:// URL"),
    )
    use_x_forwarded_for: bool = setting(
        "UseXForwardedFor",
        False,
        "Behind a proxy: take the client IP (for logs and per-address limits) from X-Real-IP, else the "
        "last X-Forwarded-For entry, and HTTPS from X-Forwarded-Proto.",
    )
    cors_hosts: tuple[str, ...] = setting(
        "CORSHosts",
        ("https://www.example.com",),
        "Origins (scheme://host[:port]) allowed to call /api/statistics and open /ws.",
        check=each(origin),
    )
    frame_ancestors: tuple[str, ...] = setting(
        "FrameAncestors",
        (),
        "Origins (scheme://host[:port]) whose pages may show the chat in a frame "
        "(CSP frame-ancestors); empty: no other site may.",
        check=each(origin),
    )
    permit_nsfw: bool = setting("PermitNSFW", False, "Allow broadcasters to mark their camera NSFW.")
    blockable_admins: bool = setting(
        "BlockableAdmins", False, "Let people block operators (by default operators cannot be blocked)."
    )
    away_after_seconds: float = setting(
        "AwayAfterSeconds",
        300.0,
        "Someone who touches neither mouse nor keyboard this long shows as Away until they do (0: never).",
        check=zero_means_off,
    )
    session_secret: str = secret(
        "SessionSecret", "Signs the session cookie; generated on first run; share it between workers."
    )
    admin_api_key: str = secret(
        "AdminAPIKey", "The key your website's server sends to the admin API; generated on first run; keep it secret."
    )
    jwt: JWTSettings = table(
        "JWT",
        JWTSettings,
        "Members of your website signed in with a JSON Web Token (see the README).",
        check=key_when_enabled,
    )
    public_channels: tuple[Channel, ...] = setting(
        "PublicChannels",
        (
            Channel("lobby", "Lobby", "fa fa-gavel", DEFAULT_WELCOME, echo_messages_on_join=10),
            Channel("offtopic", "Off Topic", "", ("Welcome to the Off Topic channel!",), permit_photos=True),
        ),
        "The public channels; the first one is the default.",
        check=all_of(at_least_one_channel, unique("ID"), default_channel_open_to_all),
    )
    chat_statuses: tuple[ChatStatus, ...] = setting(
        "ChatStatuses",
        (
            ChatStatus("brb", "Be right back", "fa fa-clock"),
            ChatStatus("busy", "Busy", "fa fa-briefcase"),
            ChatStatus("phone", "On the phone", "fa fa-phone"),
            ChatStatus("lunch", "Out to lunch", "fa fa-utensils"),
        ),
        "Statuses people may choose besides Online and Away, in menu order.",
        check=unique("ID"),
    )
    vip: VIPSettings = table("VIP", VIPSettings, "How VIP members (JWT claim vip) are shown.")
    webhook_urls: tuple[WebhookURL, ...] = setting(
        "WebhookURLs",
        (
            WebhookURL("report", url="https://www.example.com/barertc/report"),
            WebhookURL("profile", url="https://www.example.com/barertc/user-profile"),
        ),
        "Your website's webhooks: a POST of JSON with the AdminAPIKey (docs/api.md).",
        check=all_of(unique("Name"), url_when_enabled),
    )
    message_filters: tuple[MessageFilter, ...] = setting(
        "MessageFilters",
        (EXAMPLE_FILTER,),
        "Phrases to censor, hold back, answer or report, in channels and direct messages; the first "
        "enabled filter that matches applies.",
    )
    moderation_rules: tuple[ModerationRule, ...] = setting(
        "ModerationRule",
        (ModerationRule("example"),),
        "Restrictions on particular usernames, added to the rules their JWT carries.",
    )
    turn: TURNSettings = table("TURN", TURNSettings, "The STUN and TURN servers browsers use for webcams.")
    reactions: ReactionSettings = table("Reactions", ReactionSettings, "Emoji reactions to messages.")
    photos: PhotoSettings = table("Photos", PhotoSettings, "Pictures shared in the channels and DMs.")
    limits: Limits = table("Limits", Limits, "What one browser may send, and how long a slow one is waited for.")
    redis: RedisSettings = table("Redis", RedisSettings, "Several processes or hosts joined into one chat.")
    direct_message_history: DirectMessageHistory = table(
        "DirectMessageHistory", DirectMessageHistory, "Saved direct messages between members (off by default)."
    )
    path: str = ""  # the file these came from; not a setting

    @property
    def default_channel(self) -> Channel:
        return self.public_channels[0]

    def status(self, status_id: str) -> ChatStatus | None:
        """A status by id: Online and Away, then the configured ones."""
        for status in self.statuses:
            if status.id == status_id:
                return status
        return None

    @property
    def statuses(self) -> tuple[ChatStatus, ...]:
        """Every status in menu order: Online, Away, then the configured ones."""
        return (ONLINE, AWAY, *self.chat_statuses)

    def webhook(self, name: str) -> WebhookURL | None:
        """The webhook called `name`, if it is enabled."""
        for webhook in self.webhook_urls:
            if webhook.name == name and webhook.enabled:
                return webhook
        return None

    def moderation_rules_for(self, username: str) -> tuple[str, ...]:
        """The JWT `rules` words the `[[ModerationRule]]` tables give `username`."""
        words: list[str] = []
        for rule in self.moderation_rules:
            if rule.username == username:
                words += [word for word in rule.rules if word not in words]
        return tuple(words)

    def channel(self, channel_id: str) -> Channel | None:
        for channel in self.public_channels:
            if channel.id == channel_id:
                return channel
        return None
