"""What an attacker on the open internet tries first, against the real server (issue 22):
look-alike names, a lone surrogate, a ring flood, links that outlive the camera, and DM
threads left behind. Each test runs on both brokers."""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Iterator

import httpx
import pytest

from app.chat.model import dom_key
from tests.conftest import redis_settings
from tests.support import ChatClient, Server, running_server, sign_in
from tests.tokens import SECRET, token


@pytest.fixture(scope="module", params=["memory", "redis"])
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    settings: dict[str, object] = {"JWT": {"Enabled": True, "Strict": False, "SecretKey": SECRET}}
    if request.param == "redis":
        settings["Redis"] = redis_settings(request.getfixturevalue("shared_redis"))
    with running_server(tmp_path_factory.mktemp("hardening"), **settings) as running:
        yield running


def row(name: str) -> str:
    return f'id="who-{dom_key(name)}"'


def guest_sign_in(server: Server, name: str) -> httpx.Response:
    return httpx.post(server.url + "/login", data={"username": name})


async def notice(client: ChatClient, expected: str) -> str:
    found = await client.wait_for(lambda t: "#notices" in t and expected in html.unescape(t))
    return html.unescape(found)


# --- look-alike names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("СhatServer", "reserved"),  # Cyrillic С
        ("ＣｈａｔＳｅｒｖｅｒ", "reserved"),  # full width
        ("𝐚𝐝𝐦𝐢𝐧", "reserved"),  # mathematical bold
        ("ㅤ", "cannot be shown"),  # Hangul filler
        ("banmeㅤ", "cannot be shown"),
        ("⠀", "letter or digit"),  # Braille blank
        ("\u0301\u0302\u0303", "letter or digit"),  # only combining marks
        ("!!!", "letter or digit"),
    ],
)
def test_reserved_look_alikes_and_invisible_names_are_refused(server: Server, name: str, words: str) -> None:
    response = guest_sign_in(server, name)
    assert response.status_code == 400
    assert words in html.unescape(response.text)


async def test_a_ban_holds_against_names_that_look_the_same(server: Server) -> None:
    olga = await ChatClient.join_with_token(server.url, token("olga1", op=True))
    target = await ChatClient.join(server.url, "banme")
    await olga.say("/ban banme")
    await notice(olga, "banme has been banned")
    await target.wait_closed()
    for look_alike in ("bаnme", "ｂａｎｍｅ", "BANME", "bɑnme"):
        response = guest_sign_in(server, look_alike)
        assert response.status_code == 403, look_alike
        assert "banned" in html.unescape(response.text)
    await olga.say("/unban bаnme")  # lifted by a look-alike too
    await notice(olga, "is no longer banned")
    assert guest_sign_in(server, "banme").status_code == 302
    await olga.leave()


async def test_a_look_alike_of_a_name_present_gets_another_name(server: Server) -> None:
    first = await ChatClient.join(server.url, "paula")
    second = await ChatClient.join(server.url, "pаula")  # Cyrillic а
    assert second.name == "pаula2"
    await second.wait_for(lambda t: "is taken; you are" in html.unescape(t) or row("pаula2") in t)
    for client in (first, second):
        await client.leave()


async def test_a_site_member_displaces_a_guest_under_a_look_alike_name(server: Server) -> None:
    bystander = await ChatClient.join(server.url, "bystander")
    guest = await ChatClient.join(server.url, "Carol")
    member = await ChatClient.join_with_token(server.url, token("carol"))
    code, reason = await guest.wait_closed()
    assert code == 4002 and "member of the site signed in as carol" in reason
    await bystander.wait_for(lambda t: f'{row("Carol")} hx-swap-oob="delete"' in t)
    _, name = sign_in(server.url, "CAROL")  # and no guest gets it back meanwhile
    assert name == "CAROL2"
    for client in (bystander, member):
        await client.leave()


# --- a lone surrogate ---------------------------------------------------------------------


async def test_a_lone_surrogate_is_refused_in_words_without_a_traceback(server: Server) -> None:
    alice = await ChatClient.join(server.url, "surrogate")
    assert alice.ws is not None
    for text in ("\\ud800", "a\\udfffb"):
        await alice.ws.send('{"action": "message", "channel": "lobby", "text": "' + text + '"}')
        await notice(alice, "broken character")
    await alice.ws.send(json.dumps({"action": "message", "channel": "lobby", "text": "\\ud83d\\ude00 fine"}))
    await alice.say("still fine 😀")
    await alice.wait_for(lambda t: "still fine 😀" in t)
    await asyncio.sleep(0.2)
    assert "Traceback" not in server.log()
    await alice.leave()


# --- webcams: a ring flood, and links that outlive the camera -------------------------------

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}
ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\n"}
CANDIDATE = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", "sdpMid": "0"}


def signals(client: ChatClient, kind: str) -> list[dict[str, object]]:
    found = [json.loads(frame) for frame in client.frames if frame.startswith("{")]
    return [frame for frame in found if frame["signal"] == kind]


async def broadcasting(server: Server, name: str) -> ChatClient:
    client = await ChatClient.join(server.url, name)
    await client.send(action="me", camera="on")
    await client.wait_for(lambda text: f'aria-label="Watch {name}"' in text)
    return client


async def test_a_ring_flood_rings_once_and_the_flooder_is_told(server: Server) -> None:
    star = await broadcasting(server, "star")
    flooder = await ChatClient.join(server.url, "flooder")
    for _ in range(200):
        await flooder.send(action="open", username="star")
    await notice(flooder, "You already asked star for their camera")
    await flooder.quiet(0.5)
    assert len(signals(star, "ring")) == 1
    # Answered, the link may be opened again, a few times, then the rate limit speaks.
    await star.send(action="sdp", username="flooder", feed="star", description=OFFER)
    await flooder.wait_for(lambda text: '"signal":"sdp"' in text)
    for _ in range(5):
        await flooder.send(action="open", username="star")
        await flooder.send(action="hangup", username="star", feed="star")
    await notice(flooder, "You have asked star for their camera too often")
    await flooder.quiet(0.3)
    assert len(signals(star, "ring")) <= 3
    for client in (star, flooder):
        await client.leave()


async def test_camera_off_ends_every_link_it_was_sending_on(server: Server) -> None:
    star = await broadcasting(server, "star2")
    viewer = await ChatClient.join(server.url, "viewer2")
    await viewer.send(action="open", username="star2")
    await star.wait_for(lambda text: '"signal":"ring"' in text)
    await star.send(action="sdp", username="viewer2", feed="star2", description=OFFER)
    await viewer.wait_for(lambda text: '"signal":"sdp"' in text)
    await star.send(action="me", camera="off")
    hangup = await viewer.wait_for(lambda text: '"signal":"hangup"' in text)
    assert json.loads(hangup) | {"reason": "refused"} == {
        "signal": "hangup",
        "username": "star2",
        "feed": "star2",
        "reason": "refused",
    }
    heard = len(star.frames)
    await viewer.send(action="sdp", username="star2", feed="star2", description=ANSWER)
    await notice(viewer, "You have no video connection with star2")
    await viewer.send(action="candidate", username="star2", feed="star2", candidate=CANDIDATE)
    await viewer.send(action="watch", username="star2")
    await star.send(action="candidate", username="viewer2", feed="star2", candidate=CANDIDATE)
    await notice(star, "You have no video connection with viewer2")
    await viewer.quiet(0.3)
    assert not [frame for frame in star.frames[heard:] if frame.startswith("{")]
    for client in (star, viewer):
        await client.leave()


# --- DM threads of site members who leave -----------------------------------------------------


async def test_a_guest_taking_a_departed_members_name_does_not_inherit_their_thread(server: Server) -> None:
    bob = await ChatClient.join(server.url, "bob3")
    carol = await ChatClient.join_with_token(server.url, token("carol3"))
    await carol.say("hi bob", channel="@bob3")
    await bob.wait_for(lambda t: 'id="log-dm-' + dom_key("carol3") in t)
    await carol.leave()
    await bob.wait_for(lambda t: "carol3 has left the chat" in t)
    # The same member comes back: the conversation carries on in the thread on screen.
    carol = await ChatClient.join_with_token(server.url, token("carol3"))
    since = len(bob.frames)
    await carol.say("back again", channel="@bob3")
    again = await bob.wait_for(lambda t: "back again" in t, since=since)
    assert f"beforeend:#log-dm-{dom_key('carol3')}" in again and "dm-list" not in again
    await carol.leave()
    await bob.wait_for(lambda t: "carol3 has left the chat" in t, since=since)
    # A guest takes the name: the old thread closes, and their DM opens a new one.
    since = len(bob.frames)
    guest = await ChatClient.join(server.url, "carol3")
    assert guest.name == "carol3"
    closed = await bob.wait_for(lambda t: f'id="dm-tab-{dom_key("carol3")}" hx-swap-oob="delete"' in t, since=since)
    assert closed
    await guest.say("i am carol, honest", channel="@bob3")
    fresh = await bob.wait_for(lambda t: "i am carol, honest" in t, since=since)
    assert "beforeend:#dm-list" in fresh
    for client in (bob, guest):
        await client.leave()
