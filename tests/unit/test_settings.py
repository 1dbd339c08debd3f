from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from app.settings import SettingsError, load_settings


def test_missing_file_is_written_with_defaults_and_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    settings = load_settings(path)
    assert path.exists()
    assert settings.title == "BareRTC"
    assert settings.default_channel.id == "lobby"
    assert [c.id for c in settings.public_channels] == ["lobby", "offtopic"]
    assert settings.jwt.enabled is False and settings.jwt.strict is True
    assert len(settings.session_secret) >= 32
    again = load_settings(path)
    assert again.session_secret == settings.session_secret


def test_every_directive_of_the_original_is_in_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    load_settings(path)
    doc = tomlkit.parse(path.read_text())
    for key in ("Version", "Title", "Branding", "WebsiteURL", "UseXForwardedFor", "CORSHosts",
                "PermitNSFW", "SessionSecret", "JWT", "PublicChannels", "TURN", "Limits", "Redis"):
        assert key in doc
    for key in ("Enabled", "Strict", "SecretKey"):
        assert key in doc["JWT"]
    for key in ("ID", "Name", "Icon", "WelcomeMessages"):
        assert key in doc["PublicChannels"][0]


def test_older_file_gains_new_keys_and_keeps_values(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('# my chat\nTitle = "My Chat"\nPermitNSFW = true\n'
                    '[JWT]\nEnabled = true\nSecretKey = "s3cret"\n'
                    '[[PublicChannels]]\nID = "main"\nName = "Main"\n')
    settings = load_settings(path)
    assert settings.title == "My Chat"
    assert settings.permit_nsfw is True
    assert settings.jwt.enabled and settings.jwt.secret_key == "s3cret"
    assert [c.id for c in settings.public_channels] == ["main"]
    text = path.read_text()
    assert "# my chat" in text
    assert "Branding" in text and "[Limits]" in text and "SessionSecret" in text
    assert "Strict" in text  # added inside an existing table


@pytest.mark.parametrize(("body", "message"), [
    ('[[PublicChannels]]\nID = "a"\nName = "A"\n[[PublicChannels]]\nID = "a"\nName = "B"\n',
     "settings.toml:5: PublicChannels[1].ID must be unique"),
    ('[[PublicChannels]]\nName = "A"\n', "settings.toml:1: PublicChannels[0].ID is missing"),
    ('CORSHosts = ["example.com"]\n', "settings.toml:1: CORSHosts[0] 'example.com' is not an origin"),
    ('Title = 5\n', "settings.toml:1: Title must be a string"),
    ('PermitNSFW = "yes"\n', "settings.toml:1: PermitNSFW must be true or false"),
    ('[JWT]\nEnabled = true\nSecretKey = ""\n', "settings.toml:3: JWT.SecretKey must be set"),
    ('Colour = "red"\n', "settings.toml:1: Colour is not a known setting"),
    ('[Limits]\nMaxMessageLength = 0\n', "settings.toml:2: Limits.MaxMessageLength must be greater than zero"),
    ('[Limits]\nPingIntervalSeconds = -1\n', "settings.toml:2: Limits.PingIntervalSeconds must be zero (off) or more"),
    ('[TURN]\nURLs = ["http://x"]\n', "settings.toml:2: TURN.URLs[0]"),
    ('[Redis]\nURL = "http://x"\n', "settings.toml:2: Redis.URL must be a redis:// URL"),
    ('[Redis]\nPrefix = "two words"\n', "settings.toml:2: Redis.Prefix must be 1-64 letters"),
    ('[Redis]\nHeartbeatSeconds = 0\n', "settings.toml:2: Redis.HeartbeatSeconds must be greater than zero"),
    ('Title = "unterminated\n', "settings.toml: invalid TOML"),
])
def test_validation_names_the_file_line_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(body)
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    assert message in str(error.value)
    assert str(tmp_path) in str(error.value)


def test_redis_url_from_the_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BARERTC_REDIS_URL", "redis://127.0.0.1:6379/3")
    path = tmp_path / "s.toml"
    path.write_text('[Redis]\nURL = ""\nPrefix = "site-a"\n')
    redis = load_settings(path).redis
    assert (redis.url, redis.prefix, redis.heartbeat_seconds) == ("redis://127.0.0.1:6379/3", "site-a", 5.0)
