"""Docs that tests keep honest: every setting and every socket action is documented."""

from __future__ import annotations

import re

import msgspec

from app.chat.frames import INBOUND
from app.settings.reference import rows
from tests.support import ROOT


def test_every_setting_is_in_the_settings_reference() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    for row in rows():
        assert f"`{row.key}`" in text, row.key


def inbound_table() -> dict[str, str]:
    """docs/protocol.md's "Browser → server" table: action -> its fields cell."""
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = text.split("## Browser → server", 1)[1].split("\n## ", 1)[0]
    return {
        match.group(1): match.group(2) for match in re.finditer(r"^\| `([a-z-]+)` \| (.*?) \|", section, re.MULTILINE)
    }


def test_the_protocol_doc_lists_every_inbound_action_with_exactly_its_fields() -> None:
    table = inbound_table()
    assert set(table) == set(INBOUND), "docs/protocol.md and app/chat/frames.py list different actions"
    for action, frame in INBOUND.items():
        documented = set(re.findall(r"(?:^|, )`(\w+)`", table[action]))
        fields = msgspec.structs.fields(frame)
        assert documented == {field.name for field in fields}, action
        for field in fields:
            optional = field.default is not msgspec.NODEFAULT or field.default_factory is not msgspec.NODEFAULT
            assert optional == (f"`{field.name}` (optional" in table[action]), (action, field.name)
