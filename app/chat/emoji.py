"""The emoji the chat knows: `:shortcodes:` and the reactions one may choose.

Both come from the emoji data the picker in the page uses (emoji-picker-element-data's
emojibase set, vendored by `make setup` into app/static/vendor/emoji-picker/), so a shortcode
the picker shows is one the server turns into its emoji. A missing file leaves shortcodes
off and reactions limited to the settings' set; the chat still runs (and logs why).

Emoji come in two spellings, with or without the variation selector U+FE0F ("❤" and "❤️");
`canonical` maps both to the data's spelling, so one reaction is never counted twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import msgspec

log = logging.getLogger("app.emoji")

SHORTCODE = re.compile(r"(?<!\w):([a-z0-9_+\-]{1,40}):(?!\w)")  # a word of its own: "10:100:5" stays
_SELECTOR = "\ufe0f"


class _Skin(msgspec.Struct):
    emoji: str


class _Entry(msgspec.Struct):
    emoji: str
    shortcodes: list[str] = []
    skins: list[_Skin] = []


class EmojiTable:
    """Shortcodes to emoji, and every known emoji in its canonical spelling."""

    def __init__(self, entries: Iterable[tuple[str, Iterable[str]]] = (), extra: Iterable[str] = ()) -> None:
        self.shortcodes: dict[str, str] = {}
        self._canonical: dict[str, str] = {}
        for emoji, codes in entries:
            self._know(emoji)
            for code in codes:
                self.shortcodes.setdefault(code, emoji)
        for emoji in extra:
            self._know(emoji)

    def _know(self, emoji: str) -> None:
        self._canonical.setdefault(emoji.replace(_SELECTOR, ""), emoji)

    @classmethod
    def load(cls, path: Path, extra: Iterable[str] = ()) -> EmojiTable:
        """The table from an emoji-picker-element-data file, plus the `extra` emoji (the settings')."""
        try:
            data = msgspec.json.decode(path.read_bytes(), type=list[_Entry])
        except (OSError, msgspec.DecodeError) as error:
            log.warning("no emoji data at %s (%s): :shortcodes: stay as typed", path, error)
            return cls(extra=extra)
        pairs: list[tuple[str, Iterable[str]]] = []
        for entry in data:
            pairs.append((entry.emoji, entry.shortcodes))
            pairs.extend((skin.emoji, ()) for skin in entry.skins)
        return cls(pairs, extra)

    def canonical(self, text: str) -> str | None:
        """The known emoji `text` spells, or None."""
        return self._canonical.get(text.replace(_SELECTOR, ""))

    def replace_shortcodes(self, text: str) -> str:
        """`:joy:` becomes 😂; unknown codes, and codes inside a word or a number, stay as typed."""
        if ":" not in text or not self.shortcodes:
            return text
        return SHORTCODE.sub(lambda match: self.shortcodes.get(match.group(1), match.group(0)), text)
