"""Message filters: which filter decides, censoring, scope flags, and what the room does then."""

from __future__ import annotations

import pytest

from app.broker.memory import MemoryBus, MemoryMessages, MemoryRegistry
from app.chat.emoji import EmojiTable
from app.chat.filters import MessageFilters
from app.chat.frames import PostMessage
from app.chat.markdown import render_message
from app.chat.model import Identity
from app.chat.room import Room
from app.settings import MessageFilter, settings_for_tests
from tests.unit.test_room import Inbox

CENSOR = MessageFilter(enabled=True, keyword_phrases=(r"\bdarn\b", r"heck+"), censor_message=True, forward_message=True)
HOLD = MessageFilter(enabled=True, keyword_phrases=(r"(?i)spam",), chat_server_response="No spam, please.")


def test_the_first_enabled_filter_that_matches_decides() -> None:
    filters = MessageFilters((MessageFilter(keyword_phrases=("darn",)), CENSOR, HOLD))
    verdict = filters.check("darn it, heckkk, spam", direct=False)
    assert verdict is not None and verdict.rule is CENSOR and not verdict.held_back
    assert verdict.text == "\\*\\*\\*\\* it, \\*\\*\\*\\*\\*\\*, spam"
    assert render_message(verdict.text, lambda name: None, EmojiTable()).html == "<p>**** it, ******, spam</p>"
    held = filters.check("SPAM offer", direct=False)
    assert held is not None and held.rule is HOLD and held.held_back and held.text == "SPAM offer"
    assert filters.check("nothing here: darned", direct=False) is None
    assert not MessageFilters((MessageFilter(keyword_phrases=("x",)),))  # none enabled


def test_the_scope_flags_hold() -> None:
    channels_only = MessageFilter(enabled=True, private_channels=False, keyword_phrases=("x",))
    dms_only = MessageFilter(enabled=True, public_channels=False, keyword_phrases=("y",))
    filters = MessageFilters((channels_only, dms_only))
    assert filters.check("x", direct=False) is not None and filters.check("x", direct=True) is None
    assert filters.check("y", direct=True) is not None and filters.check("y", direct=False) is None


@pytest.fixture
async def room() -> Room:
    started = Room(settings_for_tests(message_filters=(CENSOR, HOLD)), MemoryBus(), MemoryRegistry(), MemoryMessages())
    await started.start()
    return started


async def enter(room: Room, name: str, *, op: bool = False) -> Inbox:
    inbox = Inbox(name)
    inbox.identity = Identity(name=name, sid=inbox.identity.sid, signed_in=op, op=op)
    assert await room.enter(inbox)
    inbox.clear()
    return inbox


async def test_a_held_back_message_reaches_its_sender_only_and_is_answered(room: Room) -> None:
    ann, ben = await enter(room, "ann"), await enter(room, "ben")
    await room.handle(ann, PostMessage(channel="lobby", text="cheap spam here"))
    assert "cheap spam here" in ann.text() and "No spam, please." in ann.text()
    assert "cheap spam" not in ben.text()
    assert not await room.history.store.recent("lobby", 10)  # not kept for newcomers either
    await room.handle(ann, PostMessage(channel="lobby", text="oh darn"))
    assert "oh ****" in ben.text() and "darn" not in ben.text()


async def test_direct_messages_are_filtered_unless_an_operator_is_in_them(room: Room) -> None:
    ann, ben, olga = await enter(room, "ann"), await enter(room, "ben"), await enter(room, "olga", op=True)
    await room.handle(ann, PostMessage(channel="@ben", text="spam for you"))
    assert "spam for you" in ann.text() and "spam for you" not in ben.text()
    await room.handle(ann, PostMessage(channel="@olga", text="spam, officer?"))
    assert "spam, officer?" in olga.text()
    await room.handle(olga, PostMessage(channel="@ann", text="no spam, ann"))
    assert "no spam, ann" in ann.text()
