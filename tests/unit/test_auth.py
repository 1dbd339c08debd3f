"""JWT validation: honest tokens give an identity, hostile ones a refusal in plain words."""

from __future__ import annotations

import time

import pytest

from app.auth import MAX_TOKEN_CHARS, SignInError, site_url, token_identity, weak_key_warning
from app.settings import JWTSettings, settings_for_tests
from tests.tokens import SECRET, hostile_tokens, token

SETTINGS = settings_for_tests(
    jwt=JWTSettings(enabled=True, strict=False, secret_key=SECRET), website_url="https://site.example"
)


def test_a_signed_token_gives_name_flair_and_issuer() -> None:
    identity = token_identity(
        token("alice", op=True, img="/u/alice.png", url="https://site.example/u/alice", iss="site.example"), SETTINGS
    )
    assert identity.name == "alice" and identity.signed_in and identity.op
    assert identity.img == "https://site.example/u/alice.png"
    assert identity.url == "https://site.example/u/alice"
    assert identity.iss == "site.example"
    assert identity.sid


def test_op_must_be_true_itself_not_just_truthy() -> None:
    for value in ("true", 1, "yes", [1]):
        assert not token_identity(token("bob", op=value), SETTINGS).op


def test_times_are_honoured_with_a_little_leeway() -> None:
    now = int(time.time())
    assert token_identity(token("a", exp=now - 5), SETTINGS).name == "a"
    assert token_identity(token("a", nbf=now + 5), SETTINGS).name == "a"
    assert token_identity(token("a", exp=None, iat=None), SETTINGS).name == "a"  # times are optional


@pytest.mark.parametrize("name", list(hostile_tokens()))
def test_hostile_tokens_are_refused_with_words_a_person_understands(name: str) -> None:
    bad, words = hostile_tokens()[name]
    with pytest.raises(SignInError) as refused:
        token_identity(bad, SETTINGS)
    assert words in str(refused.value)
    assert bad not in str(refused.value) and SECRET not in str(refused.value)


def test_the_length_limit_is_checked_before_decoding() -> None:
    with pytest.raises(SignInError, match="too long"):
        token_identity("a" * (MAX_TOKEN_CHARS + 1), SETTINGS)


def test_a_site_username_that_cannot_be_shown_is_refused() -> None:
    for sub in ("x" * 100, "bad\u202ename", "nul\x00"):
        with pytest.raises(SignInError, match="cannot be used"):
            token_identity(token(sub), SETTINGS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/u/alice", "https://site.example/u/alice"),
        ("avatars/a.png", "https://site.example/avatars/a.png"),
        ("https://cdn.example/a.png", "https://cdn.example/a.png"),
        ("http://cdn.example/a.png", "http://cdn.example/a.png"),
        ("javascript:alert(1)", ""),
        ("JavaScript:alert(1)", ""),
        (" javascript:alert(1)", ""),
        ("data:image/png;base64,AAAA", ""),
        ("//evil.example/a.png", ""),
        ("http:no-host", ""),
        ("/a b", ""),
        (42, ""),
        ("", ""),
    ],
)
def test_avatar_and_profile_urls_are_joined_or_dropped(value: object, expected: str) -> None:
    assert site_url(value, "https://site.example") == expected


def test_relative_urls_are_dropped_without_a_website() -> None:
    assert site_url("/u/alice", "") == ""


def test_a_short_key_is_reported() -> None:
    weak = settings_for_tests(jwt=JWTSettings(enabled=True, secret_key="short"))
    assert weak_key_warning(weak) is not None
    assert weak_key_warning(SETTINGS) is None
