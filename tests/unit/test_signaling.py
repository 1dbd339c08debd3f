"""The signalling relay's link rules without a socket: a Room on the in-process broker, with
outlets that keep what they were sent (as in test_room.py)."""

from __future__ import annotations

import json

import pytest

from app.broker.memory import MemoryBus, MemoryMessages, MemoryRegistry
from app.chat.events import Signal, decode_event, encode_event
from app.chat.frames import HangUp, OpenFeed, SetCamera, VideoInvite
from app.chat.room import Room
from app.settings import settings_for_tests
from tests.unit.test_room import Inbox


@pytest.fixture
async def room() -> Room:
    started = Room(settings_for_tests(), MemoryBus(), MemoryRegistry(), MemoryMessages())
    await started.start()
    return started


async def enter(room: Room, name: str, camera: str = "off") -> Inbox:
    inbox = Inbox(name)
    assert await room.enter(inbox)
    if camera == "on":
        await room.handle(inbox, SetCamera(camera="on"))
    inbox.clear()
    return inbox


def signals(inbox: Inbox) -> list[dict[str, object]]:
    return [json.loads(data) for data in inbox.data]


async def test_open_makes_a_link_on_both_sides_and_hangup_ends_both(room: Room) -> None:
    alice, bob = await enter(room, "alice", camera="on"), await enter(room, "bob")
    await room.handle(bob, OpenFeed(username="alice"))
    assert room.signals.links(bob) == room.signals.links(alice) == {("alice", "bob")}
    await room.handle(alice, HangUp(username="bob", feed="alice"))
    assert room.signals.links(bob) == room.signals.links(alice) == set()
    assert signals(bob) == [{"signal": "hangup", "username": "alice", "feed": "alice"}]


async def test_two_people_watching_each_other_have_two_links(room: Room) -> None:
    alice, bob = await enter(room, "alice", camera="on"), await enter(room, "bob", camera="on")
    await room.handle(bob, OpenFeed(username="alice"))
    await room.handle(alice, OpenFeed(username="bob"))
    assert room.signals.links(alice) == {("alice", "bob"), ("bob", "alice")}
    await room.handle(bob, HangUp(username="alice", feed="alice"))
    assert room.signals.links(alice) == room.signals.links(bob) == {("bob", "alice")}


async def test_a_recipient_drops_frames_for_a_link_it_does_not_have(room: Room) -> None:
    """Even an event from another process cannot put a description into an unasked-for call."""
    bob = await enter(room, "bob")
    forged = json.dumps({"signal": "sdp", "username": "alice", "feed": "alice", "description": {}})
    await room.bus.publish(Signal("bob", forged, sender="alice", kind="sdp", feed="alice"))
    assert bob.data == []


async def test_leaving_hangs_up_every_link_of_that_connection(room: Room) -> None:
    alice = await enter(room, "alice", camera="on")
    bob, carol = await enter(room, "bob"), await enter(room, "carol")
    for viewer in (bob, carol):
        await room.handle(viewer, OpenFeed(username="alice"))
    await room.leave(alice)
    for viewer in (bob, carol):
        assert signals(viewer) == [{"signal": "hangup", "username": "alice", "feed": "alice"}]
        assert room.signals.links(viewer) == set()


async def test_links_the_rules_no_longer_allow_end_on_both_sides(room: Room) -> None:
    alice = await enter(room, "alice", camera="on")
    bob, carol = await enter(room, "bob", camera="on"), await enter(room, "carol")
    await room.handle(alice, SetCamera(camera="on", mutual=True))
    await room.handle(alice, VideoInvite(username="carol"))
    for viewer in (bob, carol):
        await room.handle(viewer, OpenFeed(username="alice"))
    alice.clear()
    # bob's camera stops: mutual cameras end his link; carol, invited, keeps hers.
    await room.handle(bob, SetCamera(camera="off"))
    assert room.signals.links(alice) == room.signals.links(carol) == {("alice", "carol")}
    assert room.signals.links(bob) == set()
    assert signals(bob)[-1] == {"signal": "hangup", "username": "alice", "feed": "alice", "reason": "refused"}
    assert signals(alice) == [{"signal": "hangup", "username": "bob", "feed": "alice", "reason": "refused"}]
    # alice's camera goes off: every link it was sending on ends.
    await room.handle(alice, SetCamera(camera="off"))
    assert room.signals.links(alice) == room.signals.links(carol) == set()


def test_signal_events_cross_the_broker_whole() -> None:
    event = Signal("bob", '{"signal":"ring"}', sender="alice", kind="ring", feed="bob")
    assert decode_event(encode_event(event)) == event
