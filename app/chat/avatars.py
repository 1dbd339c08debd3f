"""A face for someone without a picture: their initials on a colour of their own.

The colour comes from the username (not the nick, which the site may change), through the same
hash as `dom_key`, so it is the same on every page, in every process and after a restart. Each
colour of the palette carries white text at WCAG AA contrast (4.5:1 or more, checked by
tests/unit/test_avatars.py), and stays readable on the light and the dark theme alike.
The templates use the two filters `initials` and `avatar_colour` (registered in
`render.template_environment`), in templates/fragments/_avatar.html.
"""

from __future__ import annotations

import re
import unicodedata

from app.chat.model import dom_key

# Tailwind's 700 shades, and a few of its 800s where a 700 is too light for white text.
PALETTE = (
    "#1d4ed8",  # blue
    "#047857",  # emerald
    "#b91c1c",  # red
    "#7e22ce",  # purple
    "#c2410c",  # orange
    "#0e7490",  # cyan
    "#be185d",  # pink
    "#3f6212",  # lime (800)
    "#4338ca",  # indigo
    "#854d0e",  # yellow (800)
    "#0f766e",  # teal
    "#6d28d9",  # violet
)
WORDS = re.compile(r"[\s_.\-]+")


def avatar_colour(name: str) -> str:
    """The background colour of `name`'s initials, as `#rrggbb`."""
    return PALETTE[int(dom_key(name), 16) % len(PALETTE)]


def _first_letter(word: str) -> str:
    """The first letter or digit of `word` with its combining marks, upper case; else its first character."""
    for index, char in enumerate(word):
        if unicodedata.category(char)[0] in "LN":
            marks = ""
            for mark in word[index + 1 :]:
                if not unicodedata.combining(mark):
                    break
                marks += mark
            return unicodedata.normalize("NFC", (char + marks).upper())
    return word[:1]


def initials(name: str) -> str:
    """One or two letters for a name: "alice" → "A", "Mary Ann" → "MA", "bob_2" → "B2"."""
    words = [word for word in WORDS.split(name.strip()) if word]
    if not words:
        return "?"
    letters = _first_letter(words[0])
    if len(words) > 1:
        letters += _first_letter(words[-1])
    return letters or "?"
