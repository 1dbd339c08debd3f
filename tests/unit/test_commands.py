"""Operator commands on a Room without sockets: replies, ranks, parsing, and their effects."""

from __future__ import annotations

import html

import pytest

from app.broker.memory import MemoryBus, MemoryMessages, MemoryRegistry
from app.chat.close_codes import Close
from app.chat.commands import COMMANDS, duration_words
from app.chat.frames import PostMessage, SetCamera
from app.chat.model import Identity
from app.chat.room import Room
from app.settings import settings_for_tests
from tests.unit.test_room import Inbox


@pytest.fixture
async def room() -> Room:
    started = Room(settings_for_tests(permit_nsfw=True), MemoryBus(), MemoryRegistry(), MemoryMessages())
    await started.start()
    return started


async def enter(room: Room, name: str, *, op: bool = False) -> Inbox:
    inbox = Inbox(name)
    inbox.identity = Identity(name=name, sid=inbox.identity.sid, signed_in=op, op=op)
    assert await room.enter(inbox)
    inbox.clear()
    return inbox


async def say(room: Room, inbox: Inbox, text: str) -> str:
    inbox.clear()
    await room.handle(inbox, PostMessage(channel="lobby", text=text))
    return html.unescape(inbox.text())


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (86400, "24 hours"),
        (7200, "2 hours"),
        (1800, "30 minutes"),
        (5400, "1 hour 30 minutes"),
        (3.6, "4 seconds"),
        (0.2, "1 second"),
        (3661, "1 hour 1 minute"),
    ],
)
def test_durations_read_as_words(seconds: float, words: str) -> None:
    assert duration_words(seconds) == words


async def test_a_non_operator_gets_unknown_command_and_nothing_happens(room: Room) -> None:
    bob = await enter(room, "bob")
    carol = await enter(room, "carol")
    for line in ("/kick carol", "/ban carol", "/op bob", "/frobnicate", "/"):
        reply = await say(room, bob, line)
        assert "Unknown command" in reply and 'data-level="error"' in reply
    assert carol.closed is None and not room.roster["bob"].op
    assert "carol" not in carol.text()  # nothing posted anywhere
    assert "other commands are for operators" in await say(room, bob, "/help")


async def test_help_and_help_advanced_list_every_command_for_an_operator(room: Room) -> None:
    olga = await enter(room, "olga", op=True)
    everyday, advanced = await say(room, olga, "/help"), await say(room, olga, "/help-advanced")
    for command in COMMANDS.values():
        assert command.usage in (advanced if command.advanced else everyday)
    assert "/shutdown" in advanced and "/shutdown" not in everyday and "/help-advanced" in everyday


async def test_usage_lines_and_unknown_targets(room: Room) -> None:
    olga = await enter(room, "olga", op=True)
    for line, words in [
        ("/kick", "Usage: /kick name"),
        ("/ban", "Usage: /ban name [hours]"),
        ("/unban", "Usage: /unban name"),
        ("/op", "Usage: /op name"),
        ("/kick nobody", "No user named nobody is here."),
        ("/ban bob 0", "at most 8760 hours"),
        ("/ban bob -1", "at most 8760 hours"),
        ("/unban bob", "bob is not banned."),
    ]:
        reply = await say(room, olga, line)
        assert words in reply and 'data-level="error"' in reply, line


async def test_operators_do_not_act_on_themselves_or_their_equals(room: Room) -> None:
    olga = await enter(room, "olga", op=True)
    otto = await enter(room, "otto", op=True)
    assert "You cannot kick yourself." in await say(room, olga, "/kick olga")
    assert "You cannot ban yourself." in await say(room, olga, "/ban olga")
    assert "You cannot deop yourself." in await say(room, olga, "/deop olga")
    assert "otto is an operator too; you cannot kick them." in await say(room, olga, "/kick otto")
    assert "operator by the website" in await say(room, olga, "/deop otto")
    assert olga.closed is None and otto.closed is None


async def test_jwt_operators_outrank_those_made_with_op(room: Room) -> None:
    olga = await enter(room, "olga", op=True)
    pete = await enter(room, "pete")
    sam = await enter(room, "sam")
    assert "pete is now an operator" in await say(room, olga, "/op pete")
    assert room.roster["pete"].op and not room.roster["pete"].jwt_op
    assert "made you an operator" in pete.text()
    assert "olga is an operator too; you cannot kick them." in await say(room, pete, "/kick olga")
    assert "sam is now an operator" in await say(room, pete, "/op sam")
    assert "sam is an operator too; you cannot deop them." in await say(room, pete, "/deop sam")
    assert "pete is no longer an operator" in await say(room, olga, "/deop pete")
    assert "Unknown command" in await say(room, pete, "/kick sam")
    assert sam.closed is None


async def test_kick_and_ban_close_the_target_with_the_reason(room: Room) -> None:
    olga = await enter(room, "olga", op=True)
    bob = await enter(room, "bob")
    carol = await enter(room, "carol")
    assert "bob has been kicked." in await say(room, olga, "/kick bob")
    assert bob.closed == (Close.KICKED, "You have been kicked from the chat by olga.")
    assert "carol has been banned for 30 minutes." in await say(room, olga, "/ban Carol 0.5")
    assert carol.closed == (Close.BANNED, "You have been banned from the chat by olga for 30 minutes.")
    assert "carol for another 30 minutes" in await say(room, olga, "/bans")
    again = Inbox("carol")
    assert not await room.enter(again)
    assert again.closed is not None and again.closed[0] == Close.BANNED
    assert "carol is no longer banned." in await say(room, olga, "/unban carol")
    assert "Nobody is banned." in await say(room, olga, "/bans")


async def test_nsfw_tags_a_camera_that_is_on(room: Room) -> None:
    olga = await enter(room, "olga", op=True)
    bob = await enter(room, "bob")
    assert "bob's camera is not on." in await say(room, olga, "/nsfw bob")
    await room.handle(bob, SetCamera(camera="on"))
    olga.clear()
    assert "bob's camera is now tagged NSFW." in await say(room, olga, "/nsfw bob")
    assert room.roster["bob"].camera == "nsfw"
    assert "olga tagged your camera NSFW" in html.unescape(bob.text())
    assert "already tagged NSFW" in await say(room, olga, "/nsfw bob")


async def test_cut_turns_a_live_camera_off_and_tells_its_owner(room: Room) -> None:
    olga, oscar = await enter(room, "olga", op=True), await enter(room, "oscar", op=True)
    bob = await enter(room, "bob")
    assert "bob's camera is not on." in await say(room, olga, "/cut bob")
    await room.handle(bob, SetCamera(camera="on", muted=True, mutual=True))
    await room.handle(oscar, SetCamera(camera="on"))
    bob.clear()
    assert "bob's camera is off." in await say(room, olga, "/cut bob")
    assert (room.roster["bob"].camera, room.roster["bob"].muted, room.roster["bob"].mutual) == ("off", False, False)
    assert "olga, an operator, turned your camera off." in html.unescape(bob.text())
    assert bob.data == ['{"signal":"cut","username":"olga","feed":"bob"}']
    assert "That is you" in await say(room, olga, "/cut olga")
    assert "oscar is an operator too; you cannot cut the camera of them." in await say(room, olga, "/cut oscar")


async def test_nsfw_is_refused_when_the_chat_does_not_permit_it() -> None:
    room = Room(settings_for_tests(), MemoryBus(), MemoryRegistry(), MemoryMessages())
    await room.start()
    olga = await enter(room, "olga", op=True)
    await enter(room, "bob")
    assert "PermitNSFW is false" in await say(room, olga, "/nsfw bob")
