"""Who a browser is: guest usernames, checked; and (with JWT on) the host site's tokens."""

from __future__ import annotations

import secrets
import unicodedata

from app.chat.model import Identity
from app.settings import Settings


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
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in raw):
        raise SignInError("That username has characters that cannot be shown; please use letters, "
                          "digits and ordinary punctuation.")
    if name[0] in "@/#":
        raise SignInError(f"A username cannot start with {name[0]}.")
    if name.casefold() in ("chatserver", "server", "admin"):
        raise SignInError("That username is reserved; please choose another.")
    return name


def guest_identity(name: str) -> Identity:
    return Identity(name=name, sid=secrets.token_urlsafe(12))
