"""Usernames that look alike: the keys that tell, and what makes a name unusable.

Two names are the same name when a person could not tell them apart: `banme` and `bаnme`
(Cyrillic а), `ｂａｎｍｅ` (full width), `𝐚𝐝𝐦𝐢𝐧` (mathematical bold) or `Carol` and `carol`.
Every check that compares names (a name in use, a ban, a reserved name, a site member's name)
compares their `look_alike_keys`, never the names themselves.

A key is NFKC with case folding, then the UTS #39 skeleton from ICU's spoof checker (Unicode's
confusables table, kept by ICU, not by us), with default-ignorable characters (the Hangul
filler, zero-width joiners) left out. Case folding and confusables do not commute: `I` (capital
i) folds to `i` but looks like `l`. So a name has two keys, the skeleton of the folded name and
the skeleton of the folded skeleton, and two names look alike when any key is shared: `ADMIN`
matches `admin` by the first, `CaroI` (capital i) matches `Carol` by the second.
"""

from __future__ import annotations

import functools
import unicodedata

import icu

_spoof = icu.SpoofChecker()
_IGNORABLE = icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT
RESERVED = ("ChatServer", "server", "admin", "administrator", "operator", "moderator", "system")


def _skeleton(text: str) -> str:
    return str(_spoof.getSkeleton(0, text))


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def ignorable(char: str) -> bool:
    """A default-ignorable character: it shows as nothing (U+3164 HANGUL FILLER, U+200D ...)."""
    return bool(icu.Char.hasBinaryProperty(char, _IGNORABLE))


@functools.lru_cache(maxsize=8192)
def look_alike_keys(name: str) -> frozenset[str]:
    """The keys two look-alike names share at least one of."""
    visible = "".join(char for char in name if not ignorable(char))
    first = _skeleton(_folded(visible))
    second = _skeleton(_folded(_skeleton(unicodedata.normalize("NFKC", visible))))
    return frozenset((first, second))


def look_alike(one: str, other: str) -> bool:
    return not look_alike_keys(one).isdisjoint(look_alike_keys(other))


_RESERVED_KEYS = frozenset().union(*(look_alike_keys(name) for name in RESERVED))


def reserved(name: str) -> bool:
    """Spelled like a name the chat keeps for itself (ChatServer, admin ...)."""
    return not look_alike_keys(name).isdisjoint(_RESERVED_KEYS)


def has_visible_letter(name: str) -> bool:
    """At least one letter or digit that shows: not only spaces, marks, symbols or fillers."""
    return any(unicodedata.category(char)[0] in "LN" and not ignorable(char) for char in name)


def invisible_characters(name: str) -> bool:
    """Characters that show as nothing, so that the name looks like another one."""
    return any(ignorable(char) for char in name)
