"""The room's logic without a socket: a Room on the in-process broker, with plain outlets that
keep what they were sent. What a browser would receive is what these outlets collect."""

from __future__ import annotations

import json
import uuid

import pytest

from app.broker.memory import MemoryBus, MemoryMessages, MemoryRegistry
from app.chat.close_codes import Close
from app.chat.frames import OpenFeed, PostMessage, SetCamera
from app.chat.model import Identity, dom_key
from app.chat.protocol import FrameError
from app.chat.room import Room
from app.settings import settings_for_tests


class Inbox:
    """An outlet that keeps every frame it is handed, as a connection's send queue would."""

    def __init__(self, name: str, sid: str = "") -> None:
        self.identity = Identity(name=name, sid=sid or uuid.uuid4().hex)
        self.conn_id = uuid.uuid4().hex
        self.threads: set[str] = set()
        self.html: list[str] = []
        self.data: list[str] = []
        self.closed: tuple[int, str] | None = None

    def send_html(self, html: str) -> bool:
        self.html.append(html)
        return True

    def send_data(self, data: str) -> bool:
        self.data.append(data)
        return True

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def text(self) -> str:
        return "".join(self.html)

    def clear(self) -> None:
        self.html.clear()
        self.data.clear()


@pytest.fixture
async def room() -> Room:
    started = Room(settings_for_tests(), MemoryBus(), MemoryRegistry(), MemoryMessages())
    await started.start()
    return started


async def enter(room: Room, name: str) -> Inbox:
    inbox = Inbox(name)
    assert await room.enter(inbox)
    return inbox


def say(text: str, channel: str = "lobby") -> PostMessage:
    return PostMessage(channel=channel, text=text)


async def test_a_join_sends_the_newcomer_the_list_and_others_one_row(room: Room) -> None:
    alice = await enter(room, "alice")
    alice.clear()
    bob = await enter(room, "bob")
    assert "alice" in bob.text() and "bob" in bob.text()
    assert len(alice.html) == 1
    assert "<strong>bob</strong> has joined the room" in alice.html[0]
    assert alice.html[0].count('class="who-row') == 1 and 'data-username="bob"' in alice.html[0]


async def test_a_channel_message_is_rendered_once_for_everyone(room: Room) -> None:
    alice, bob, carol = [await enter(room, name) for name in ("alice", "bob", "carol")]
    for inbox in (alice, bob, carol):
        inbox.clear()
    await room.handle(alice, say("hello **there**"))
    assert alice.html[0] is bob.html[0] is carol.html[0]
    assert "<strong>there</strong>" in bob.html[0]


async def test_a_direct_message_reaches_only_the_two(room: Room) -> None:
    alice, bob, carol = [await enter(room, name) for name in ("alice", "bob", "carol")]
    for inbox in (alice, bob, carol):
        inbox.clear()
    await room.handle(alice, say("just for you", channel="@bob"))
    assert "just for you" in alice.text() and "just for you" in bob.text()
    assert carol.html == []


async def test_over_long_messages_are_refused_not_truncated(room: Room) -> None:
    alice = await enter(room, "alice")
    with pytest.raises(FrameError, match="the limit is 2000"):
        await room.handle(alice, say("x" * 2001))


async def test_a_second_tab_replaces_the_first(room: Room) -> None:
    first = await enter(room, "alice")
    second = Inbox("alice", sid=first.identity.sid)
    assert await room.enter(second)
    assert first.closed is not None and first.closed[0] == Close.REPLACED
    assert [member.name for member in room.members()] == ["alice"]


async def test_a_leave_removes_the_row_and_signals_reach_only_the_named_user(room: Room) -> None:
    alice, bob, carol = [await enter(room, name) for name in ("alice", "bob", "carol")]
    await room.handle(bob, SetCamera(camera="on"))
    await room.handle(alice, OpenFeed(username="bob"))
    assert json.loads(bob.data[0]) == {"signal": "ring", "username": "alice", "feed": "bob"}
    assert carol.data == []
    carol.clear()
    await room.leave(bob)
    assert "<strong>bob</strong> has exited the room" in carol.text()
    assert [member.name for member in room.members()] == ["alice", "carol"]


async def test_presence_lines_say_who_they_are_about(room: Room) -> None:
    alice = await enter(room, "alice")
    alice.clear()
    bob = await enter(room, "bob")
    bob_key = dom_key("bob")
    assert f'data-presence="joined" data-about="{bob_key}"' in alice.text()
    await room.leave(bob)
    assert f'data-presence="exited" data-about="{bob_key}"' in alice.text()


async def test_names_are_taken_whatever_their_letter_case(room: Room) -> None:
    await enter(room, "Alice")
    assert room.names.unique("alice") == "alice2"
    assert room.names.unique("ALICE") == "ALICE2"
    assert room.names.unique("alicia") == "alicia"
    await enter(room, "alice2")
    assert room.names.unique("Alice") == "Alice3"


async def test_a_guest_cannot_enter_as_a_signed_in_member_spelled_another_way(room: Room) -> None:
    member = Inbox("Carol")
    member.identity = Identity(name="Carol", sid=member.identity.sid, signed_in=True)
    assert await room.enter(member)
    guest = Inbox("carol")
    assert not await room.enter(guest)
    assert guest.closed is not None and "A member of the site is here as Carol" in guest.closed[1]
    assert await room.enter(Inbox("carola"))
