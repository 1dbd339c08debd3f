"""The settings.toml model: each setting declared once, everything else derived from it.

A setting is one field of a frozen dataclass in `model.py`, declared with `setting(key,
default, help, check=...)` (or `required(...)` in the tables of an array of tables, or
`secret(...)` for a value generated on first run). Its type annotation gives the TOML shape:
a value, a list of values, a table (a nested settings dataclass) or an array of tables (a
tuple of them). From the declarations come:

- parsing and validation (`build.py`): unknown keys, missing required keys, types and each
  setting's check, failing with `settings.toml:LINE: Limits.MaxFrameBytes must be greater
  than zero` (`locate.py` finds the line);
- the file a first run writes, help as comments, and migration of an older file (new keys
  with defaults, operator values and comments kept, empty secrets filled, `Version` bumped)
  (`document.py`);
- docs/settings.md's key table and settings.example.toml (`reference.py`; regenerate with
  `make docs`), which tests compare with the committed text;
- environment overrides (`env="BARERTC_REDIS_URL"` on `Redis.URL`).

The file is parsed once, by tomlkit; validation works on its unwrapped data (`load.py`).

How to add a setting
--------------------
Add one field where it belongs in `model.py`, then run `make docs` and commit the regenerated
docs/settings.md and settings.example.toml. For example, a per-channel switch:

    permit_photos: bool = setting("PermitPhotos", False, "Allow pictures in this channel.")

A check is a function of the typed value returning None or the words that follow the key
(`checks.py` has `positive`, `zero_means_off`, `matches`, `url_scheme`, `origin`, `each`,
`unique`, `all_of`); a check on a table or a list may return a `Problem` pointing below it.
A new table is a new frozen dataclass of settings plus one field of that type:
`photos: PhotoSettings = setting("Photos", PhotoSettings(), "Pictures in the chat.")`. A new
array of tables is a tuple of one, and may default to empty (then it is left out of the
written file): `webhooks: tuple[Webhook, ...] = setting("WebhookURLs", (), "...")`. A default
list may give each of its tables different values from the field defaults (the first channel
echoing 10 messages, the others the field's 0): write them in the default tuple. Another
generated secret is `admin_api_key: str = secret("AdminAPIKey", "...")`. An older file gains
new keys by itself (tables of an array of tables take the field default for a key they lack);
raise `CURRENT_VERSION` only when the meaning of existing keys changes.
"""

from app.settings.checks import is_origin
from app.settings.load import (
    SettingsError,
    defaults_document,
    example_document,
    load_settings,
    settings_for_tests,
)
from app.settings.model import (
    CURRENT_VERSION,
    ONLINE,
    Channel,
    ChatStatus,
    DirectMessageHistory,
    JWTSettings,
    Limits,
    MessageFilter,
    ModerationRule,
    PhotoSettings,
    ReactionSettings,
    RedisSettings,
    Settings,
    TURNSettings,
    WebhookURL,
)

__all__ = [
    "CURRENT_VERSION",
    "ONLINE",
    "Channel",
    "ChatStatus",
    "DirectMessageHistory",
    "JWTSettings",
    "Limits",
    "MessageFilter",
    "ModerationRule",
    "PhotoSettings",
    "ReactionSettings",
    "RedisSettings",
    "Settings",
    "SettingsError",
    "TURNSettings",
    "WebhookURL",
    "defaults_document",
    "example_document",
    "is_origin",
    "load_settings",
    "settings_for_tests",
]
