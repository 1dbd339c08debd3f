"""Mute, block and the who list's variants, on a Room without sockets: what each outlet is
handed, and that viewers who see alike are handed the very same string (rendered once)."""

from __future__ import annotations

import json

import pytest

from app.broker.memory import MemoryBus, MemoryMessages, MemoryRegistry
from app.chat.frames import BlockPerson, MutePerson, OpenFeed, SetCamera, UnblockPerson
from app.chat.model import Identity, Member, Ref, dom_key
from app.chat.protocol import FrameError
from app.chat.relations import Relations
from app.chat.room import Room
from app.settings import settings_for_tests
from tests.unit.test_room import Inbox, enter, say


def row(name: str) -> str:
    return f'id="who-{dom_key(name)}"'


def member(name: str, *, signed_in: bool = False, sid: str = "", **changes: object) -> Member:
    return Member(name=name, sid=sid or f"sid-{name}", signed_in=signed_in).with_changes(**changes)


async def make_room(**settings: object) -> Room:
    room = Room(settings_for_tests(**settings), MemoryBus(), MemoryRegistry(), MemoryMessages())
    await room.start()
    return room


@pytest.fixture
async def room() -> Room:
    return await make_room()


async def site_member(room: Room, name: str, *, op: bool = False) -> Inbox:
    inbox = Inbox(name)
    inbox.identity = Identity(name=name, sid=inbox.identity.sid, signed_in=True, op=op)
    assert await room.enter(inbox)
    return inbox


# --- whom a mute or block points at ---------------------------------------------------


def test_a_guest_ref_points_at_one_sign_in_and_a_member_ref_at_the_member() -> None:
    guest = member("zed", sid="first")
    assert Ref.to(guest).points_at(guest)
    assert not Ref.to(guest).points_at(member("zed", sid="second"))  # a later guest taking the name
    site = member("amy", signed_in=True)
    assert Ref.to(site) == Ref("amy") and Ref("amy").points_at(site.with_changes(sid="another sign-in"))
    assert not Ref("amy").points_at(member("amy"))  # a guest under a member's name, once they left


def test_relations_pair_people_present_and_spare_operators_unless_told() -> None:
    relations = Relations()
    roster = {"ann": member("ann", blocks=(Ref("bob", "sid-bob"),)), "bob": member("bob")}
    assert relations.put(roster["ann"], roster).hidden == {("ann", "bob")}
    assert relations.hides("bob", "ann") and relations.affected == {"ann", "bob"}
    roster["bob"] = member("bob", op=True)
    change = relations.put(roster["bob"], roster)  # made an operator: the block no longer holds
    assert change.shown == {("ann", "bob")} and not relations.hides("ann", "bob")
    assert relations.affected == set()
    lenient = Relations(blockable_admins=True)
    lenient.put(roster["bob"], roster)
    assert lenient.put(roster["ann"], roster).hidden == {("ann", "bob")}


def test_mutes_are_one_way_and_go_with_whoever_leaves() -> None:
    relations = Relations()
    roster = {"cat": member("cat", mutes=(Ref("dan", "sid-dan"),))}
    relations.put(roster["cat"], roster)
    assert relations.mutes == {}  # dan is not here yet
    roster["dan"] = member("dan")
    assert relations.put(roster["dan"], roster).muted == {("cat", "dan")}
    assert relations.deaf_to("dan") == {"cat"} and relations.deaf_to("cat") == set()
    relations.drop("cat")
    assert relations.deaf_to("dan") == set() and relations.affected == set()


# --- the who list: audiences and variants ---------------------------------------------


async def test_a_join_goes_to_everyone_but_the_blocked_as_one_string(room: Room) -> None:
    ann, bob, cat, eve = [await enter(room, name) for name in ("ann", "bob", "cat", "eve")]
    await room.handle(ann, BlockPerson(username="bob"))
    for inbox in (ann, bob, cat):
        inbox.clear()
    await room.leave(bob)
    assert ann.html == []  # ann never saw bob: not even his leaving
    assert row("bob") in cat.text()
    bob_again = Inbox("bob", sid=bob.identity.sid)
    assert await room.enter(bob_again)
    assert ann.html == [] and row("ann") not in bob_again.text()
    await enter(room, "dan")
    assert cat.html[-1] is eve.html[-1]  # everyone with the common view: one string
    assert ann.html[-1] is bob_again.html[-1]  # four in their lists (each one hidden), rendered once
    assert '<span id="who-count" hx-swap-oob="true">4</span>' in ann.html[-1]
    assert '<span id="who-count" hx-swap-oob="true">5</span>' in cat.html[-1]


async def test_viewers_who_muted_someone_share_the_marked_row(room: Room) -> None:
    ann, bob, cat, dan = [await enter(room, name) for name in ("ann", "bob", "cat", "dan")]
    await room.handle(ann, MutePerson(username="dan"))
    await room.handle(bob, MutePerson(username="dan"))
    for inbox in (ann, bob, cat):
        inbox.clear()
    await room.handle(dan, SetCamera(camera="on"))
    assert ann.html[-1] is bob.html[-1] and "Unmute dan" in ann.html[-1]
    assert "Unmute dan" not in cat.html[-1] and 'aria-label="Watch dan"' in cat.html[-1]


async def test_muting_hides_my_camera_from_them_and_ends_their_view_of_it(room: Room) -> None:
    ann, bob, _ = [await enter(room, name) for name in ("ann", "bob", "cat")]
    await room.handle(ann, SetCamera(camera="on"))
    await room.handle(bob, OpenFeed(username="ann"))
    assert room.signals.links(bob) == {("ann", "bob")}
    bob.clear()
    await room.handle(ann, MutePerson(username="bob"))
    assert 'aria-label="Watch ann"' not in bob.text()
    assert '<span id="who-cameras" hx-swap-oob="true">0</span>' in bob.text()
    assert {"signal": "hangup", "username": "ann", "feed": "ann", "reason": "refused"} in [
        json.loads(d) for d in bob.data
    ]
    assert room.signals.links(bob) == set() and room.signals.links(ann) == set()
    with pytest.raises(FrameError, match="ann is not sharing a camera right now"):
        await room.handle(bob, OpenFeed(username="ann"))
    assert 'aria-label="Watch ann"' in "".join(room.who.rows_for("cat"))


async def test_a_block_closes_their_thread_and_their_messages_stay_apart(room: Room) -> None:
    ann, bob, cat = [await enter(room, name) for name in ("ann", "bob", "cat")]
    await room.handle(ann, say("hi", channel="@bob"))
    assert "bob" in ann.threads and "ann" in bob.threads
    await room.handle(bob, BlockPerson(username="ann"))
    assert "bob" not in ann.threads and f'id="dm-tab-{dom_key("bob")}" hx-swap-oob="delete"' in ann.text()
    for inbox in (ann, bob, cat):
        inbox.clear()
    await room.handle(ann, say("ann here"))
    assert "ann here" in cat.text() and bob.html == []
    with pytest.raises(FrameError, match="bob is not in the room; your message was not sent"):
        await room.handle(ann, say("hello?", channel="@bob"))
    await room.handle(bob, UnblockPerson(username="ann"))
    assert row("ann") in bob.text() and row("bob") in ann.text()


async def test_the_hosts_calls_block_two_people_now_or_at_the_next_sign_in(room: Room) -> None:
    ann, bob = await site_member(room, "ann"), await site_member(room, "bob")
    assert await room.people.block_between("ann", "bob")
    assert room.who.relations.hides("ann", "bob")
    assert Ref("bob") in room.roster["ann"].blocks and Ref("ann") in room.roster["bob"].blocks
    assert not await room.people.block_between("ann", "nobody")
    await room.people.blocks_on_sign_in("cat", ["ann"])
    cat = await site_member(room, "cat")
    assert room.who.relations.hides("cat", "ann") and row("ann") not in cat.text()
    assert not room.who.relations.hides("cat", "bob") and ann.closed is None and bob.closed is None
