"""Who a browser is: guest usernames, checked; and (with JWT on) the host site's tokens.

A token is HS256 only, signed with `[JWT] SecretKey`. Its `sub` is the username; `op`, `img`,
`url`, `iss` and the 2025 BareRTC's `nick`, `vip`, `emoji`, `gender` and `rules` are optional
(a claim of the wrong shape is dropped, not refused). `exp`, `nbf` and `iat` are enforced when present, with
`LEEWAY_SECONDS` of grace for clocks that differ a little. Neither the token nor the key is
ever logged; a refusal says why in words a person understands (`SignInError`).
"""

from __future__ import annotations

import secrets
import time
import unicodedata
import warnings
from typing import Any
from urllib.parse import urljoin, urlsplit

import jwt

from app.chat.model import KNOWN_RULES, Identity
from app.chat.names import has_visible_letter, invisible_characters, reserved
from app.settings import Settings

ALGORITHMS = ["HS256"]
LEEWAY_SECONDS = 30
MAX_TOKEN_CHARS = 8192
MAX_URL_CHARS = 2048
MAX_NICK_CHARS = 64
MAX_EMOJI_CHARS = 16
# Characters that reorder text around them: never in a name a chat shows.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
SIGNED_LIFETIME_SECONDS = 300  # a token the chat signs itself (/api/authenticate) lasts this long
AGAIN = "Please go back to the website and open the chat again."

# Checked in order: the first class the error is an instance of gives the message.
_REFUSALS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, f"Your sign-in link has expired. {AGAIN}"),
    (jwt.ImmatureSignatureError, f"Your sign-in link is not valid yet. Wait a moment, then try again. {AGAIN}"),
    (jwt.InvalidAlgorithmError, f"Your sign-in link was not signed the way this chat accepts. {AGAIN}"),
    (
        jwt.InvalidSignatureError,
        "Your sign-in link could not be verified: it was not signed by the website, "
        f"or it was changed on the way. {AGAIN}",
    ),
    (jwt.MissingRequiredClaimError, f"Your sign-in link does not say who you are. {AGAIN}"),
    (jwt.exceptions.InvalidSubjectError, f"Your sign-in link does not say who you are. {AGAIN}"),
    (jwt.DecodeError, f"Your sign-in link is damaged and cannot be read. {AGAIN}"),
    (jwt.PyJWTError, f"Your sign-in link is not valid. {AGAIN}"),
]


class SignInError(Exception):
    """A sign-in we refuse; str(error) is shown to the person."""


def check_guest_name(raw: str, settings: Settings) -> str:
    """A guest's chosen name, tidied, or SignInError saying what is wrong with it."""
    name = " ".join(raw.split())
    if not name:
        raise SignInError("Please choose a username.")
    limit = settings.limits.max_username_length
    if len(name) > limit:
        raise SignInError(f"That username is too long: at most {limit} characters, please.")
    if _unprintable(raw) or invisible_characters(name):
        raise SignInError(
            "That username has characters that cannot be shown; please use letters, digits and ordinary punctuation."
        )
    if not has_visible_letter(name):
        raise SignInError("A username needs at least one letter or digit that people can see.")
    if name[0] in "@/#":
        raise SignInError(f"A username cannot start with {name[0]}.")
    if reserved(name):
        raise SignInError("That username is reserved (or looks like one that is); please choose another.")
    return name


def members_only(settings: Settings) -> bool:
    """Strict JWT mode: only a valid token gets in."""
    return settings.jwt.enabled and settings.jwt.strict


def session_identity(data: Any, settings: Settings) -> Identity | None:
    """Who the signed session says this is; in members-only mode, only someone a token vouched for."""
    identity = Identity.from_session(data)
    if identity is not None and not identity.signed_in and members_only(settings):
        return None
    return identity


def guest_identity(name: str) -> Identity:
    return Identity(name=name, sid=secrets.token_urlsafe(12))


def token_identity(token: str, settings: Settings) -> Identity:
    """The identity a host site's token vouches for, or SignInError saying why it is refused."""
    claims = decode_token(token, settings.jwt.secret_key)
    name = _username(claims["sub"], settings)
    return Identity(
        name=name,
        sid=secrets.token_urlsafe(12),
        signed_in=True,
        op=claims.get("op") is True,
        img=site_url(claims.get("img"), settings.website_url),
        url=site_url(claims.get("url"), settings.website_url),
        iss=claims["iss"][:200] if isinstance(claims.get("iss"), str) else "",
        nick=_nick(claims.get("nick"), name),
        vip=claims.get("vip") is True,
        emoji=_emoji(claims.get("emoji")),
        gender=_gender(claims.get("gender")),
        rules=_rules(claims.get("rules")),
    )


def _nick(value: Any, name: str) -> str:
    """A display name: one line of printable text, kept only when it says something new."""
    nick = " ".join(value.split()) if isinstance(value, str) else ""
    if not nick or nick == name or len(nick) > MAX_NICK_CHARS or _unprintable(nick):
        return ""
    return nick


def _emoji(value: Any) -> str:
    """A flag or an emoji beside the name: short, no control or reordering characters. Joiners
    and tags (U+200D, U+E0020-E007F) are format characters that emoji sequences need."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_EMOJI_CHARS:
        return ""
    if any(ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") for ch in value):
        return ""
    return value.strip()


def _gender(value: Any) -> str:
    """m, f, o (any other answer) or "" (none): the 2025 BareRTC's `gender` claim, which colours
    the button of the person's name."""
    if not isinstance(value, str) or not value.strip():
        return ""
    word = value.strip().lower()
    return {"m": "m", "male": "m", "man": "m", "f": "f", "female": "f", "woman": "f"}.get(word, "o")


def _rules(value: Any) -> tuple[str, ...]:
    """The known moderation rules in the `rules` claim (a list of words); others are ignored."""
    if not isinstance(value, list):
        return ()
    return tuple(rule for rule in KNOWN_RULES if rule in value)


def decode_token(token: str, secret_key: str) -> dict[str, Any]:
    """The verified claims of an HS256 token; SignInError for anything else."""
    if len(token) > MAX_TOKEN_CHARS:
        raise SignInError(f"Your sign-in link is too long to be genuine. {AGAIN}")
    if not token.strip():
        raise SignInError(f"Your sign-in link is missing its token. {AGAIN}")
    try:
        with warnings.catch_warnings():
            # A short key is reported once at start-up (weak_key_warning), not on every sign-in.
            warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
            claims: dict[str, Any] = jwt.decode(
                token,
                secret_key,
                algorithms=ALGORITHMS,
                leeway=LEEWAY_SECONDS,
                options={
                    "require": ["sub"],
                    "verify_signature": True,
                    "verify_exp": True,
                    "verify_nbf": True,
                    "verify_iat": True,
                    "verify_sub": True,
                },
            )
    except jwt.PyJWTError as error:
        raise SignInError(_refusal(error)) from None
    return claims


def sign_token(claims: dict[str, Any], secret_key: str) -> str:
    """An HS256 token of `claims`, issued now and valid for SIGNED_LIFETIME_SECONDS, as the Go
    BareRTC's `ReSign` makes them (for the host site's `/api/authenticate`)."""
    now = int(time.time())
    payload = {**claims, "iat": now, "nbf": now, "exp": now + SIGNED_LIFETIME_SECONDS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)  # reported at start-up
        return jwt.encode(payload, secret_key, algorithm="HS256")


def _refusal(error: Exception) -> str:
    return next(message for kind, message in _REFUSALS if isinstance(error, kind))


def _username(sub: Any, settings: Settings) -> str:
    name = " ".join(sub.split()) if isinstance(sub, str) else ""
    if not name:
        raise SignInError(f"Your sign-in link does not say who you are. {AGAIN}")
    if len(name) > settings.limits.max_username_length or _unprintable(name):
        raise SignInError(
            "Your username on the website cannot be used in this chat (it is too long "
            "or has characters that cannot be shown)."
        )
    return name


def site_url(value: Any, website_url: str) -> str:
    """An avatar or profile link: relative ones joined to WebsiteURL; only http(s) kept."""
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_URL_CHARS
        or any(ch.isspace() for ch in value)
        or _unprintable(value)
    ):
        return ""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        absolute = value if parts.scheme in ("http", "https") else ""
    else:
        absolute = urljoin(website_url, value) if website_url else ""
    final = urlsplit(absolute)
    return absolute if final.scheme in ("http", "https") and final.hostname else ""


def weak_key_warning(settings: Settings) -> str | None:
    """A line for the operator when JWT is on with a key too short to be safe."""
    key = settings.jwt.secret_key
    if settings.jwt.enabled and len(key.encode()) < 32:
        return "JWT.SecretKey is shorter than 32 bytes; use a long random key (for example 64 hex digits)"
    return None


def _unprintable(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text)
