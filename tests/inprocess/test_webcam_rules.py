"""Who may watch whom, kept by the server's relay (issue 18): mutual cameras, invitations,
a camera that goes off ending its links, an operator's /cut, the camera state in the who
list, and the camera counts in /api/statistics. The real app in this process, both brokers.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from markupsafe import escape

from app.chat.model import dom_key
from app.settings import JWTSettings
from tests.inprocess.chat import InProcessChat, InProcessClient
from tests.inprocess.conftest import settings_for
from tests.integration.test_webcam import CANDIDATE, OFFER
from tests.support import Received
from tests.tokens import SECRET, token


@pytest.fixture
async def chat(broker: str, request: pytest.FixtureRequest) -> AsyncIterator[InProcessChat]:
    """The chat with NSFW permitted and website members (operators) besides guests."""
    jwt = JWTSettings(enabled=True, strict=False, secret_key=SECRET)
    settings = dataclasses.replace(settings_for(broker, request), permit_nsfw=True, jwt=jwt)
    async with InProcessChat.running(settings) as running:
        yield running


def signals(client: Received) -> list[dict[str, Any]]:
    """The data-only JSON frames a client received, in order."""
    return [json.loads(frame) for frame in client.frames if frame.startswith("{")]


async def nth_signal(client: Received, kind: str, number: int = 1) -> dict[str, Any]:
    """The `number`th data-only frame of `kind` the client received (1 is the first)."""
    await client.wait_for(lambda _: len([f for f in signals(client) if f["signal"] == kind]) >= number)
    return [frame for frame in signals(client) if frame["signal"] == kind][number - 1]


async def next_signal(client: Received, kind: str) -> dict[str, Any]:
    return await nth_signal(client, kind)


async def error_for(client: Received, message: str) -> None:
    notice = await client.wait_for(re.compile(re.escape(str(escape(message)))).search)
    assert 'data-level="error"' in notice


async def told(client: Received, text: str) -> None:
    await client.wait_for(lambda frame: str(escape(text)) in frame)


async def broadcasting(chat: InProcessChat, name: str) -> InProcessClient:
    client = await chat.join(name)
    await client.send(action="me", camera="on")
    await client.wait_for(lambda text: f'aria-label="Watch {name}"' in text)
    return client


def row_of(name: str) -> str:
    return f'id="who-{dom_key(name)}"'


async def test_mutual_cameras_refuse_a_viewer_off_camera_until_they_start_theirs(chat: InProcessChat) -> None:
    alice = await broadcasting(chat, "alice")
    await alice.send(action="me", camera="on", mutual=True)
    bob = await chat.join("bob")
    await bob.wait_for(lambda text: row_of(alice.name) in text and "is-mutual" in text)
    await bob.send(action="open", username=alice.name)
    await error_for(bob, f"{alice.name} shows their camera only to people who are on camera too")
    refused = await next_signal(bob, "hangup")
    assert refused == {"signal": "hangup", "username": alice.name, "feed": alice.name, "reason": "refused"}
    await bob.send(action="me", camera="on")
    await bob.wait_for(lambda text: row_of(bob.name) in text and f"Watch {bob.name}" in text)
    await bob.send(action="open", username=alice.name)
    assert (await next_signal(alice, "ring"))["username"] == bob.name

    # bob's camera stops: the server ends the link on both sides, whatever bob's page does.
    await bob.send(action="me", camera="off")
    assert await next_signal(alice, "hangup") == {
        "signal": "hangup",
        "username": bob.name,
        "feed": alice.name,
        "reason": "refused",
    }
    assert (await nth_signal(bob, "hangup", 2))["feed"] == alice.name
    await bob.send(action="candidate", username=alice.name, feed=alice.name, candidate=CANDIDATE)
    await error_for(bob, f"You have no video connection with {alice.name} for that.")


async def test_an_invitation_lets_someone_watch_without_a_camera(chat: InProcessChat) -> None:
    alice = await broadcasting(chat, "alice")
    await alice.send(action="me", camera="on", mutual="on")
    bob, carol = [await chat.join(name) for name in ("bob", "carol")]
    seen_by_carol = len(carol.frames)
    await alice.send(action="video-invite", username=bob.name)
    await told(bob, f"{alice.name} invited you to watch their camera.")
    invited = {"signal": "invited", "username": alice.name, "feed": alice.name}
    assert await next_signal(bob, "invited") == invited
    await told(alice, f"You invited {bob.name} to watch your camera.")
    await bob.send(action="open", username=alice.name)
    assert (await next_signal(alice, "ring"))["username"] == bob.name
    # Only bob: carol is still refused.
    await carol.send(action="open", username=alice.name)
    await error_for(carol, "shows their camera only to people who are on camera too")
    # An invitation changes nobody's who list.
    await carol.quiet()
    assert not any(row_of(alice.name) in frame for frame in carol.frames[seen_by_carol:])
    # Sent again after a reconnect (`resend`), it tells nobody anything.
    await alice.send(action="video-invite", username=carol.name, resend=True)
    await alice.send(action="video-invite", username=alice.name)  # alice's frames are handled in order:
    await error_for(alice, "That is you: invite someone else to watch your camera.")  # the invitation holds
    await carol.send(action="open", username=alice.name)
    assert (await nth_signal(alice, "ring", 2))["username"] == carol.name
    assert "invited you" not in carol.text()

    await alice.send(action="video-invite", username="nobody-here")
    await error_for(alice, "nobody-here is not in the room.")
    await alice.send(action="video-invite")
    await error_for(alice, "The 'video-invite' frame is missing the field 'username'.")


async def test_a_camera_that_goes_off_ends_every_link_it_was_sending_on(chat: InProcessChat) -> None:
    alice = await broadcasting(chat, "alice")
    bob, carol = [await chat.join(name) for name in ("bob", "carol")]
    for viewer in (bob, carol):
        await viewer.send(action="open", username=alice.name)
        await next_signal(alice, "ring")
    # alice's page says its camera is off without hanging up: the server hangs up for it.
    await alice.send(action="me", camera="off")
    for viewer in (bob, carol):
        hangup = await next_signal(viewer, "hangup")
        assert hangup == {"signal": "hangup", "username": alice.name, "feed": alice.name, "reason": "refused"}
    await alice.send(action="sdp", username=bob.name, feed=alice.name, description=OFFER)
    await error_for(alice, f"You have no video connection with {bob.name} for that.")
    await bob.send(action="watch", username=alice.name)
    await error_for(bob, f"You have no video connection with {alice.name} for that.")


async def test_hangup_reasons_from_a_page_are_relayed_and_others_refused(chat: InProcessChat) -> None:
    alice = await broadcasting(chat, "alice")
    bob = await chat.join("bob")
    await bob.send(action="open", username=alice.name)
    await next_signal(alice, "ring")
    await alice.send(action="hangup", username=bob.name, feed=alice.name, reason="<b>gone</b>")
    await error_for(alice, "A hangup's reason is 'stopped' or 'failed', or none.")
    await alice.send(action="hangup", username=bob.name, feed=alice.name, reason="stopped")
    assert await next_signal(bob, "hangup") == {
        "signal": "hangup",
        "username": alice.name,
        "feed": alice.name,
        "reason": "stopped",
    }


async def test_cut_turns_a_camera_off_and_the_broadcaster_is_told_who_did_it(chat: InProcessChat) -> None:
    olga = await chat.join_with_token(token("olga", op=True))
    alice = await broadcasting(chat, "alice")
    bob = await chat.join("bob")
    await bob.send(action="open", username=alice.name)
    await next_signal(alice, "ring")

    await bob.say(f"/cut {alice.name}")
    await error_for(bob, "Unknown command /cut.")
    await olga.say(f"/cut {alice.name}")
    await told(olga, f"{alice.name}'s camera is off.")
    assert await next_signal(alice, "cut") == {"signal": "cut", "username": olga.name, "feed": alice.name}
    await told(alice, f"{olga.name}, an operator, turned your camera off.")
    assert (await next_signal(bob, "hangup"))["feed"] == alice.name
    await bob.wait_for(lambda text: row_of(alice.name) in text and f"Watch {alice.name}" not in text)
    await olga.say(f"/cut {alice.name}")
    await error_for(olga, f"{alice.name}'s camera is not on.")
    await olga.say("/cut")
    await error_for(olga, "Usage: /cut name")


async def test_the_who_list_shows_a_muted_microphone_and_a_camera_turned_off(chat: InProcessChat) -> None:
    alice = await broadcasting(chat, "alice")
    bob = await chat.join("bob")
    await alice.send(action="me", camera="on", muted=True)
    frame = await bob.wait_for(lambda text: row_of(alice.name) in text and "mic-muted" in text)
    assert 'aria-label="microphone muted"' in frame and "is-paused" not in frame
    await alice.send(action="me", camera="on", muted=False, paused=True)
    frame = await bob.wait_for(lambda text: row_of(alice.name) in text and "is-paused" in text)
    assert "mic-muted" not in frame and "fa-video-slash" in frame and "turned off for now" in frame
    # Turned off for now is still live: a viewer may open it and hear the sound.
    await bob.send(action="open", username=alice.name)
    assert (await next_signal(alice, "ring"))["username"] == bob.name
    await alice.send(action="me", camera="on", muted="yes please")
    await bob.wait_for(lambda text: row_of(alice.name) in text and "is-paused" not in text)


async def test_statistics_count_blue_and_red_cameras(chat: InProcessChat) -> None:
    async def cameras() -> dict[str, int]:
        statistics = await (await chat.browser().get("/api/statistics")).get_json()
        counts: dict[str, int] = statistics["Cameras"]
        return counts

    assert await cameras() == {"Blue": 0, "Red": 0}
    alice = await broadcasting(chat, "alice")
    bob = await broadcasting(chat, "bob")
    carol = await chat.join("carol")
    await bob.send(action="me", camera="on", nsfw=True)
    await carol.wait_for(lambda text: row_of(bob.name) in text and "is-nsfw" in text)
    assert await cameras() == {"Blue": 1, "Red": 1}
    await alice.leave()
    await bob.send(action="me", camera="off")
    await carol.wait_for(lambda text: row_of(bob.name) in text and "Watch" not in text)
    await carol.wait_for(lambda text: row_of(alice.name) in text and "delete" in text)
    assert await cameras() == {"Blue": 0, "Red": 0}
