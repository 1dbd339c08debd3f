from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import tomlkit

from app.settings import CURRENT_VERSION, Limits, Settings, SettingsError, defaults_document, load_settings
from app.settings.build import Invalid, build
from app.settings.checks import not_blank, positive, unique, url_scheme, zero_means_off
from app.settings.declare import Declared, declared, required, secret, setting, table
from app.settings.document import add_missing, render
from app.settings.reference import BEGIN, END, REGENERATE, example_text, rows, settings_table, stale, with_table
from tests.conftest import need
from tests.support import ROOT


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
    for key in (
        "Version",
        "Title",
        "Branding",
        "WebsiteURL",
        "UseXForwardedFor",
        "CORSHosts",
        "PermitNSFW",
        "SessionSecret",
        "JWT",
        "PublicChannels",
        "TURN",
        "Limits",
        "Redis",
    ):
        assert key in doc
    for key in ("Enabled", "Strict", "SecretKey"):
        assert key in doc["JWT"]
    for key in ("ID", "Name", "Icon", "WelcomeMessages"):
        assert key in doc["PublicChannels"][0]


def test_defaults_round_trip(tmp_path: Path) -> None:
    """What a first run writes reads back as the declared defaults, help comments and all."""
    path = tmp_path / "settings.toml"
    settings = load_settings(path)
    assert settings == replace(
        Settings(), session_secret=settings.session_secret, admin_api_key=settings.admin_api_key, path=str(path)
    )
    text = path.read_text()
    assert "MaxFrameBytes = 65536 # Largest frame a browser may send on the socket, in bytes." in text
    assert "SendQueueFrames = 4096 #" in text
    assert load_settings(path) == settings
    assert path.read_text() == text  # nothing to migrate: not rewritten


def test_defaults_document_is_a_document_tests_can_change(tmp_path: Path) -> None:
    doc = defaults_document()  # as tests/support.py and the bench change it
    doc["TURN"]["URLs"] = []
    doc["Limits"]["PingIntervalSeconds"] = 0
    path = tmp_path / "settings.toml"
    path.write_text(tomlkit.dumps(doc))
    settings = load_settings(path)
    assert settings.turn.urls == () and settings.turn.ice_servers() == []
    assert settings.limits.ping_interval_seconds == 0.0


def test_older_file_gains_new_keys_and_keeps_values(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        '# my chat\nTitle = "My Chat"\nPermitNSFW = true\n'
        '[JWT]\nEnabled = true\nSecretKey = "s3cret"\n'
        '[[PublicChannels]]\nID = "main"\nName = "Main"\n'
    )
    settings = load_settings(path)
    assert settings.title == "My Chat"
    assert settings.permit_nsfw is True
    assert settings.jwt.enabled and settings.jwt.secret_key == "s3cret"
    assert [c.id for c in settings.public_channels] == ["main"]
    text = path.read_text()
    assert "# my chat" in text
    assert "Branding" in text and "[Limits]" in text and "SessionSecret" in text
    assert "Strict" in text  # added inside an existing table


def test_migration_bumps_the_version_and_keeps_comments_and_channels(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        'Version = 0 # mine\nTitle = "Kept" # my title\n'
        "[Limits] # my limits\nMaxFrameBytes = 1000\n"
        '[[PublicChannels]]\nID = "main"\nName = "Main"\n'
    )
    settings = load_settings(path)
    assert settings.version == CURRENT_VERSION
    assert settings.limits.max_frame_bytes == 1000
    assert settings.limits.send_queue_frames == Limits().send_queue_frames
    doc = tomlkit.parse(path.read_text())
    assert doc["Version"] == CURRENT_VERSION
    assert 'Title = "Kept" # my title' in path.read_text()
    assert "[Limits] # my limits" in path.read_text()
    assert doc["Limits"]["MaxFrameBytes"] == 1000
    assert set(doc["Limits"]) == {item.spec.key for item in declared(Limits)}
    # A channel's table is the operator's: a key it lacks takes its default, and is not added.
    assert dict(doc["PublicChannels"][0]) == {"ID": "main", "Name": "Main"}
    assert settings.public_channels[0].welcome_messages == ()


def test_broken_file_and_write_false_are_not_rewritten(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('Title = "x"\n[Limits]\nMaxFrameBytes = 0\n')
    with pytest.raises(SettingsError):
        load_settings(broken)
    assert broken.read_text() == 'Title = "x"\n[Limits]\nMaxFrameBytes = 0\n'
    old = tmp_path / "old.toml"
    old.write_text('Title = "x"\n')
    assert load_settings(old, write=False).title == "x"
    assert old.read_text() == 'Title = "x"\n'
    load_settings(tmp_path / "missing.toml", write=False)
    assert not (tmp_path / "missing.toml").exists()


def test_an_empty_generated_secret_is_filled_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('SessionSecret = "" # signs cookies\n')
    secret_value = load_settings(path).session_secret
    assert len(secret_value) >= 32
    assert f'SessionSecret = "{secret_value}" # signs cookies' in path.read_text()
    assert load_settings(path).session_secret == secret_value
    path.write_text('SessionSecret = "mine"\n')
    assert load_settings(path).session_secret == "mine"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[PublicChannels]]\nID = "a"\nName = "A"\n[[PublicChannels]]\nID = "a"\nName = "B"\n',
            "settings.toml:5: PublicChannels[1].ID must be unique",
        ),
        ('[[PublicChannels]]\nName = "A"\n', "settings.toml:1: PublicChannels[0].ID is missing"),
        ('CORSHosts = ["example.com"]\n', "settings.toml:1: CORSHosts[0] 'example.com' is not an origin"),
        ("Title = 5\n", "settings.toml:1: Title must be a string"),
        ('PermitNSFW = "yes"\n', "settings.toml:1: PermitNSFW must be true or false"),
        ('[JWT]\nEnabled = true\nSecretKey = ""\n', "settings.toml:3: JWT.SecretKey must be set"),
        ('Colour = "red"\n', "settings.toml:1: Colour is not a known setting"),
        ("[Limits]\nMaxMessageLength = 0\n", "settings.toml:2: Limits.MaxMessageLength must be greater than zero"),
        (
            "[Limits]\nPingIntervalSeconds = -1\n",
            "settings.toml:2: Limits.PingIntervalSeconds must be zero (off) or more",
        ),
        ('[TURN]\nURLs = ["http://x"]\n', "settings.toml:2: TURN.URLs[0]"),
        ('[Redis]\nURL = "http://x"\n', "settings.toml:2: Redis.URL must be a redis:// URL"),
        ('[Redis]\nPrefix = "two words"\n', "settings.toml:2: Redis.Prefix must be 1-64 letters"),
        ("[Redis]\nHeartbeatSeconds = 0\n", "settings.toml:2: Redis.HeartbeatSeconds must be greater than zero"),
        ('Title = "unterminated\n', "settings.toml: invalid TOML"),
    ],
)
def test_validation_names_the_file_line_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(body)
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    assert message in str(error.value)
    assert str(tmp_path) in str(error.value)


def failure(tmp_path: Path, body: str) -> str:
    """The one-line error for a settings file, with the directory taken off."""
    path = tmp_path / "settings.toml"
    path.write_text(body)
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    return str(error.value).removeprefix(f"{tmp_path}/")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Title = 5\n", "settings.toml:1: Title must be a string"),
        ('Title = "x"\nPermitNSFW = 1\n', "settings.toml:2: PermitNSFW must be true or false"),
        ('Version = "1"\n', "settings.toml:1: Version must be a whole number"),
        ("Version = true\n", "settings.toml:1: Version must be a whole number"),
        ("[Limits]\nMaxFrameBytes = 1.5\n", "settings.toml:2: Limits.MaxFrameBytes must be a whole number"),
        ('[Limits]\n\nMessagesPerSecond = "fast"\n', "settings.toml:3: Limits.MessagesPerSecond must be a number"),
        ('CORSHosts = "https://a.example"\n', "settings.toml:1: CORSHosts must be a list of strings"),
        ('[TURN]\nURLs = ["stun:a", 3]\n', "settings.toml:2: TURN.URLs must be a list of strings"),
        ("JWT = 5\n", "settings.toml:1: JWT must be a table"),
        (
            'PublicChannels = "lobby"\n',
            "settings.toml:1: PublicChannels must be an array of tables, each starting with [[PublicChannels]]",
        ),
        ('PublicChannels = ["lobby"]\n', "settings.toml:1: PublicChannels[0] must be a table"),
        (
            '[[PublicChannels]]\nID = "a"\nName = "A"\nWelcomeMessages = "hi"\n',
            "settings.toml:4: PublicChannels[0].WelcomeMessages must be a list of strings",
        ),
        ('"Title" = 5\n', "settings.toml:1: Title must be a string"),  # a quoted key
        ('JWT.Enabled = "yes"\n', "settings.toml:1: JWT.Enabled must be true or false"),  # a dotted key
    ],
)
def test_every_type_error_names_its_line(tmp_path: Path, body: str, message: str) -> None:
    assert failure(tmp_path, body) == message


def test_a_number_where_a_float_is_declared_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[Limits]\nMessagesPerSecond = 3\n")
    assert load_settings(path).limits.messages_per_second == 3.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('Colour = "red"\n', "settings.toml:1: Colour is not a known setting"),
        ('[JWT]\nEnabled = false\nAlgorithm = "HS512"\n', "settings.toml:3: JWT.Algorithm is not a known setting"),
        ("[Colours]\nRed = 1\n", "settings.toml:1: Colours is not a known setting"),
        (
            '[[PublicChannels]]\nID = "a"\nName = "A"\n\n[[PublicChannels]]\nID = "b"\nName = "B"\nTopic = "x"\n',
            "settings.toml:8: PublicChannels[1].Topic is not a known setting",
        ),
    ],
)
def test_an_unknown_key_is_named_with_its_line(tmp_path: Path, body: str, message: str) -> None:
    assert failure(tmp_path, body) == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Version = 99\n", "settings.toml:1: Version is 99, newer than this server knows"),
        ('WebsiteURL = "www.example.com"\n', "settings.toml:1: WebsiteURL must be an http:// or https:// URL"),
        (
            'CORSHosts = ["https://a.example", "https://b.example/path"]\n',
            "settings.toml:1: CORSHosts[1] 'https://b.example/path' is not an origin like https://example.com",
        ),
        ("[JWT]\nEnabled = true\n", "settings.toml:1: JWT.SecretKey must be set when JWT.Enabled is true"),
        ("PublicChannels = []\n", "settings.toml:1: PublicChannels must list at least one [[PublicChannels]] table"),
        (
            '[[PublicChannels]]\nID = "a b"\nName = "A"\n',
            "settings.toml:2: PublicChannels[0].ID must be 1-64 letters, digits, - or _",
        ),
        ('[[PublicChannels]]\nID = "a"\nName = "  "\n', "settings.toml:3: PublicChannels[0].Name must not be empty"),
        ('[[PublicChannels]]\nID = "a"\n', "settings.toml:1: PublicChannels[0].Name is missing"),
        (
            '[TURN]\nURLs = [\n  "stun:a",\n  "http://b",\n]\n',
            "settings.toml:2: TURN.URLs[1] 'http://b' must start with stun: or turn:",
        ),
        (
            '[Redis]\nURL = "redis://127.0.0.1:6379/0"\nPrefix = ""\n',
            "settings.toml:3: Redis.Prefix must be 1-64 letters, digits, or _ . : -",
        ),
    ],
)
def test_each_check_names_the_key_at_fault(tmp_path: Path, body: str, message: str) -> None:
    assert failure(tmp_path, body) == message


@pytest.mark.parametrize("item", declared(Limits), ids=lambda item: item.spec.key)
def test_every_limit_is_checked(tmp_path: Path, item: Declared) -> None:
    key = item.spec.key
    off = item.spec.check is zero_means_off
    expected = "must be zero (off) or more" if off else "must be greater than zero"
    assert failure(tmp_path, f"[Limits]\n{key} = -1\n") == f"settings.toml:2: Limits.{key} {expected}"


def test_lines_are_found_past_multiline_strings_and_in_the_right_table(tmp_path: Path) -> None:
    body = (
        '[[PublicChannels]]\nID = "a"\nName = "A"\nWelcomeMessages = ["""\n'
        '[[PublicChannels]]\nID = "b c"\n"""]\n\n'
        '[[PublicChannels]]\nName = "B"\nID = "b c"\n'
    )
    assert failure(tmp_path, body) == "settings.toml:11: PublicChannels[1].ID must be 1-64 letters, digits, - or _"


def test_invalid_toml_and_unreadable_files_are_settings_errors(tmp_path: Path) -> None:
    assert failure(tmp_path, 'Title = "a"\nTitle = "b"\n').startswith("settings.toml: invalid TOML: ")
    assert failure(tmp_path, "[JWT]\nEnabled = true\n[JWT]\n").startswith("settings.toml: invalid TOML: ")
    path = tmp_path / "latin1.toml"
    path.write_bytes('Title = "Caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(SettingsError, match="cannot read settings"):
        load_settings(path)


def test_redis_url_from_the_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BARERTC_REDIS_URL", "redis://127.0.0.1:6379/3")
    path = tmp_path / "s.toml"
    path.write_text('[Redis]\nURL = ""\nPrefix = "site-a"\n')
    redis = load_settings(path).redis
    assert (redis.url, redis.prefix, redis.heartbeat_seconds) == ("redis://127.0.0.1:6379/3", "site-a", 5.0)
    assert 'URL = ""' in path.read_text()  # the environment is not written into the file


def test_redis_url_from_the_environment_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BARERTC_REDIS_URL", "localhost:6379")
    with pytest.raises(SettingsError) as error:
        load_settings(tmp_path / "s.toml")
    assert str(error.value) == "environment variable BARERTC_REDIS_URL: Redis.URL must be a redis:// URL"
    monkeypatch.delenv("BARERTC_REDIS_URL")
    path = tmp_path / "t.toml"
    path.write_text('[Redis]\nURL = "redis://10.0.0.1/0"\n')
    assert load_settings(path).redis.url == "redis://10.0.0.1/0"


# --- the committed, generated files -------------------------------------------------------


def test_settings_example_is_up_to_date() -> None:
    committed = (ROOT / "settings.example.toml").read_text(encoding="utf-8")
    assert committed == example_text(), f"settings.example.toml is out of date: run {REGENERATE}"


def test_docs_settings_table_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert BEGIN in committed and END in committed, f"docs/settings.md lost its marker lines: {BEGIN} ... {END}"
    assert committed == with_table(committed), f"docs/settings.md's settings table is out of date: run {REGENERATE}"


def test_a_stale_copy_is_reported(tmp_path: Path) -> None:
    docs, example = tmp_path / "settings.md", tmp_path / "settings.example.toml"
    docs.write_text(f"# Settings\n\n{BEGIN}\n| key |\n{END}\n\nMore prose.\n")
    example.write_text("Title = 'old'\n")
    assert stale(docs, example) == ["settings.md's settings table", "settings.example.toml"]
    fixed = with_table(docs.read_text())
    assert fixed.startswith(f"# Settings\n\n{BEGIN}\n{settings_table()}\n{END}") and fixed.endswith("More prose.\n")


def test_the_example_has_an_empty_secret_and_loads_as_the_defaults(tmp_path: Path) -> None:
    assert tomlkit.parse(example_text())["SessionSecret"] == ""
    path = tmp_path / "settings.toml"
    shutil.copy(ROOT / "settings.example.toml", path)
    settings = load_settings(path)
    assert settings == replace(
        Settings(), session_secret=settings.session_secret, admin_api_key=settings.admin_api_key, path=str(path)
    )
    assert len(settings.session_secret) >= 32


def test_every_setting_has_help_and_a_unique_key() -> None:
    keys = [row.key for row in rows()]
    assert len(keys) == len(set(keys))
    assert all(row.help.endswith(".") for row in rows()), [row.key for row in rows() if not row.help.endswith(".")]


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_the_settings_file_of_make_run_is_ignored_and_not_tracked() -> None:
    need("git and a git checkout", shutil.which("git") is not None and git("rev-parse").returncode == 0)
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert recipe, "the Makefile has no run target"
    found = re.search(r"--settings (\S+)", recipe.group(1))
    assert found, "make run names no --settings file"
    settings_file = found.group(1)
    assert git("ls-files", "--error-unmatch", settings_file).returncode != 0, f"{settings_file} is tracked by git"
    assert git("check-ignore", "-q", settings_file).returncode == 0, f"{settings_file} is not in .gitignore"


# --- the declarations carry what the next settings need -----------------------------------


@dataclass(frozen=True)
class Webhook:
    name: str = required("Name", "Which webhook.", check=not_blank)
    enabled: bool = setting("Enabled", False, "Send to it.")
    url: str = setting("URL", "", "Where to.", check=url_scheme("https", message="must be an https:// URL"))


@dataclass(frozen=True)
class Room:
    id: str = required("ID", "Room id.")
    echo_messages_on_join: int = setting("EchoMessagesOnJoin", 0, "Messages replayed on join.", check=zero_means_off)
    vip: bool = setting("VIP", False, "VIPs only.")


@dataclass(frozen=True)
class Photos:
    enabled: bool = setting("Enabled", False, "Pictures in the chat.")
    max_bytes: int = setting("MaxBytes", 1 << 20, "Largest picture.", check=positive)


@dataclass(frozen=True)
class NextWave:
    admin_api_key: str = secret("AdminAPIKey", "Generated on first run.")
    filters: tuple[str, ...] = setting("Words", (), "A list of strings.")
    rooms: tuple[Room, ...] = setting("Rooms", (Room("lobby", 10), Room("offtopic")), "Rooms.", check=unique("ID"))
    webhooks: tuple[Webhook, ...] = setting("WebhookURLs", (), "Webhooks; none by default.")
    photos: Photos = table("Photos", Photos, "Pictures.")


def test_new_kinds_of_settings_are_one_declaration_each() -> None:
    doc = render(NextWave(), fill_secrets=True)
    text = doc.as_string()
    assert "WebhookURLs" not in text  # an empty array of tables is left out
    assert "[Photos] # Pictures." in text and "MaxBytes = 1048576 # Largest picture." in text
    parsed = build(NextWave, tomlkit.parse(text).unwrap())
    assert len(parsed.admin_api_key) >= 32
    assert [room.echo_messages_on_join for room in parsed.rooms] == [10, 0]  # a per-item default
    assert parsed == replace(NextWave(), admin_api_key=parsed.admin_api_key)
    with_hooks = text + '\n[[WebhookURLs]]\nName = "report"\nURL = "https://example.com/hook"\n'
    hooks = build(NextWave, tomlkit.parse(with_hooks).unwrap()).webhooks
    assert hooks == (Webhook("report", False, "https://example.com/hook"),)


def test_new_kinds_of_settings_are_checked_and_migrated() -> None:
    with pytest.raises(Invalid) as error:
        build(NextWave, {"WebhookURLs": [{"Name": "a", "URL": "http://x"}]})
    assert error.value.at == ("WebhookURLs", 0, "URL")
    assert str(error.value) == "WebhookURLs[0].URL must be an https:// URL"
    with pytest.raises(Invalid, match=r"^Rooms\[1\]\.ID must be unique$"):
        build(NextWave, {"Rooms": [{"ID": "a"}, {"ID": "a"}]})
    doc = tomlkit.parse('[[Rooms]]\nID = "main"\n')
    assert add_missing(doc, NextWave())
    assert set(doc) == {"AdminAPIKey", "Words", "Rooms", "Photos"} and doc["AdminAPIKey"]
    assert build(NextWave, doc.unwrap()).rooms == (Room("main", 0),)
    assert not add_missing(doc, NextWave())
    documented = {row.key: row.default for row in rows(NextWave())}
    assert documented["WebhookURLs"] == "none" and documented["WebhookURLs.Name"] == "required"
    assert documented["Rooms.EchoMessagesOnJoin"] == "`0`" and documented["AdminAPIKey"] == "generated"
