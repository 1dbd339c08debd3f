"""Docs that tests keep honest: every setting and every socket action is documented."""

from __future__ import annotations

from app.chat.protocol import SCHEMAS
from app.settings.reference import rows
from tests.support import ROOT


def test_every_setting_is_in_the_settings_reference() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    for row in rows():
        assert f"`{row.key}`" in text, row.key


def test_every_socket_action_is_in_the_protocol_doc() -> None:
    text = (ROOT / "docs" / "protocol.md").read_text()
    for action in SCHEMAS:
        assert f'`"action": "{action}"' in text or f"`{action}`" in text, action
