"""Webcam signalling through the real server and real WebSocket clients (issue 5).

The server relays `open`/`ring`, `sdp`, `candidate`, `watch`/`unwatch` and `hangup` between
exactly the two users a frame names, only while both are present and only on a link that
`open` started; everything else gets a clear error for the sender alone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from markupsafe import escape

from app.chat.model import dom_key
from app.chat.signaling import MAX_SDP_CHARS
from tests.support import ChatClient, Server, running_server, sign_in
from tests.tokens import SECRET, token

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}
ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\n"}
CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "abcd",
}


def signals(client: ChatClient) -> list[dict[str, Any]]:
    """The data-only JSON frames a client received, in order."""
    return [json.loads(frame) for frame in client.frames if frame.startswith("{")]


async def next_signal(client: ChatClient, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    frame = await client.wait_for(lambda text: text.startswith("{") and json.loads(text)["signal"] == kind, timeout)
    data: dict[str, Any] = json.loads(frame)
    return data


async def error_for(client: ChatClient, message: str) -> str:
    notice = await client.wait_for(re.compile(re.escape(str(escape(message)))).search)
    assert 'data-level="error"' in notice
    return notice


async def broadcasting(server: Server, name: str) -> ChatClient:
    client = await ChatClient.join(server.url, name)
    await client.send(action="me", camera="on")
    await client.wait_for(lambda text: f'aria-label="Watch {name}"' in text)
    return client


async def test_a_call_is_relayed_between_exactly_the_two_people(server: Server) -> None:
    alice = await broadcasting(server, "alice")
    bob, carol = [await ChatClient.join(server.url, name) for name in ("bob", "carol")]
    await bob.send(action="open", username="alice")
    assert await next_signal(alice, "ring") == {"signal": "ring", "username": "bob", "feed": "alice"}
    await alice.send(action="sdp", username="bob", feed="alice", description=OFFER)
    offer = await next_signal(bob, "sdp")
    assert offer == {"signal": "sdp", "username": "alice", "feed": "alice", "description": OFFER}
    await bob.send(action="sdp", username="alice", feed="alice", description=ANSWER)
    assert (await next_signal(alice, "sdp"))["description"] == ANSWER
    await alice.send(action="candidate", username="bob", feed="alice", candidate=CANDIDATE)
    await bob.send(action="candidate", username="alice", feed="alice", candidate=CANDIDATE)
    assert (await next_signal(bob, "candidate"))["candidate"] == CANDIDATE
    assert (await next_signal(alice, "candidate"))["username"] == "bob"
    await bob.send(action="watch", username="alice")
    assert await next_signal(alice, "watch") == {"signal": "watch", "username": "bob", "feed": "alice"}
    await bob.send(action="hangup", username="alice", feed="alice")
    assert (await next_signal(alice, "hangup"))["username"] == "bob"
    await carol.quiet()
    assert signals(carol) == []
    assert all(frame["username"] == "alice" for frame in signals(bob))
    for client in (alice, bob, carol):
        await client.leave()


async def test_extra_fields_are_not_relayed_and_the_sender_is_set_by_the_server(server: Server) -> None:
    alice = await broadcasting(server, "alice")
    bob = await ChatClient.join(server.url, "bob")
    await bob.send(action="open", username="alice", signal="sdp", feed="carol", content="<b>hi</b>")
    assert await next_signal(alice, "ring") == {"signal": "ring", "username": "bob", "feed": "alice"}
    await alice.send(
        action="sdp", username="bob", feed="alice", description={**OFFER, "onload": "x"}, content="<img src=x>"
    )
    assert await next_signal(bob, "sdp") == {
        "signal": "sdp",
        "username": "alice",
        "feed": "alice",
        "description": OFFER,
    }
    for client in (alice, bob):
        await client.leave()


async def test_absent_self_and_not_broadcasting_targets_get_their_errors(server: Server) -> None:
    alice, bob = [await ChatClient.join(server.url, name) for name in ("alice", "bob")]
    await bob.send(action="open", username="ghost")
    await error_for(bob, "ghost is not in the room.")
    # The refused `open` also tells bob's webcam module to close the panel it opened.
    refused = {"signal": "hangup", "username": "ghost", "feed": "ghost", "reason": "refused"}
    assert await next_signal(bob, "hangup") == refused
    await bob.send(action="sdp", username="ghost", feed="bob", description=OFFER)
    await error_for(bob, "ghost is not in the room.")
    await bob.send(action="open", username="bob")
    await error_for(bob, "That is you: webcams connect two different people.")
    await bob.send(action="open", username="alice")
    await error_for(bob, "alice is not sharing a camera right now.")
    await alice.quiet()
    assert signals(alice) == []
    for client in (alice, bob):
        await client.leave()


async def test_missing_fields_bad_shapes_and_oversized_sdp_are_refused(server: Server) -> None:
    alice = await broadcasting(server, "alice")
    bob = await ChatClient.join(server.url, "bob")
    await bob.send(action="open", username="alice")
    await next_signal(alice, "ring")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"action": "open"}, "The 'open' frame is missing the field 'username'."),
        ({"action": "sdp", "username": "bob", "feed": "alice"}, "missing the field 'description'"),
        ({"action": "candidate", "username": "bob", "candidate": CANDIDATE}, "missing the field 'feed'"),
        ({"action": "hangup", "username": "bob"}, "missing the field 'feed'"),
        ({"action": "sdp", "username": "bob", "feed": "alice", "description": "v=0"}, "must be a dict"),
        (
            {"action": "sdp", "username": "bob", "feed": "alice", "description": {"sdp": "v=0"}},
            "not a WebRTC session description",
        ),
        (
            {
                "action": "sdp",
                "username": "bob",
                "feed": "alice",
                "description": {"type": "offer", "sdp": "a" * (MAX_SDP_CHARS + 1)},
            },
            f"That session description is too large ({MAX_SDP_CHARS + 1} characters; the limit is {MAX_SDP_CHARS}).",
        ),
        (
            {"action": "candidate", "username": "bob", "feed": "alice", "candidate": {"candidate": "c" * 2000}},
            "That ICE candidate is too large",
        ),
        (
            {
                "action": "candidate",
                "username": "bob",
                "feed": "alice",
                "candidate": {**CANDIDATE, "sdpMLineIndex": "0"},
            },
            "sdpMLineIndex must be a small whole number",
        ),
    ]
    for frame, message in cases:
        await alice.send(**frame)
        await error_for(alice, message)
    await bob.quiet()
    assert [frame["signal"] for frame in signals(bob)] == []
    # The link is still good after all that.
    await alice.send(action="sdp", username="bob", feed="alice", description=OFFER)
    assert (await next_signal(bob, "sdp"))["description"] == OFFER
    for client in (alice, bob):
        await client.leave()


async def test_nobody_can_inject_into_someone_elses_call(server: Server) -> None:
    alice = await broadcasting(server, "alice")
    bob, mallory = [await ChatClient.join(server.url, name) for name in ("bob", "mallory")]
    await bob.send(action="open", username="alice")
    await next_signal(alice, "ring")
    # mallory has no link with bob or alice: no description, candidate or watch gets through.
    await mallory.send(action="sdp", username="bob", feed="alice", description=OFFER)
    await error_for(mallory, "must be about your own camera or the camera of the person you send it to")
    await mallory.send(action="sdp", username="bob", feed="mallory", description=OFFER)
    await error_for(mallory, "You have no video connection with bob for that.")
    await mallory.send(action="candidate", username="alice", feed="alice", candidate=CANDIDATE)
    await error_for(mallory, "You have no video connection with alice for that.")
    await mallory.send(action="watch", username="alice")
    await error_for(mallory, "You have no video connection with alice for that.")
    # Hanging up someone else's call is a no-op, not a relay.
    await mallory.send(action="hangup", username="bob", feed="alice")
    await bob.quiet()
    await alice.quiet()
    assert signals(bob) == []
    assert [frame["signal"] for frame in signals(alice)] == ["ring"]
    # And the real call still goes through.
    await alice.send(action="sdp", username="bob", feed="alice", description=OFFER)
    assert (await next_signal(bob, "sdp"))["username"] == "alice"
    for client in (alice, bob, mallory):
        await client.leave()


async def test_a_hangup_ends_the_link_and_leaving_hangs_up_for_the_other_side(server: Server) -> None:
    alice = await broadcasting(server, "alice")
    bob, carol = [await ChatClient.join(server.url, name) for name in ("bob", "carol")]
    for viewer in (bob, carol):
        await viewer.send(action="open", username="alice")
        ring = await next_signal(alice, "ring")
        assert ring["username"] == viewer.name
        alice.frames.clear()
    # alice stops sending to carol: carol is told, and the link is gone both ways.
    await alice.send(action="hangup", username="carol", feed="alice")
    assert await next_signal(carol, "hangup") == {"signal": "hangup", "username": "alice", "feed": "alice"}
    await carol.send(action="candidate", username="alice", feed="alice", candidate=CANDIDATE)
    await error_for(carol, "You have no video connection with alice for that.")
    # alice leaves: bob, still linked, gets a hangup from the server on her behalf.
    await alice.leave()
    assert await next_signal(bob, "hangup") == {"signal": "hangup", "username": "alice", "feed": "alice"}
    assert [frame["signal"] for frame in signals(carol)] == ["hangup"]
    for client in (bob, carol):
        await client.leave()


async def test_the_camera_state_reaches_every_who_list(tmp_path: Path) -> None:
    with running_server(tmp_path, PermitNSFW=True) as server:
        alice, bob = [await ChatClient.join(server.url, name) for name in ("alice", "bob")]
        row = f'id="who-{dom_key("alice")}"'
        await alice.send(action="me", camera="on", nsfw="on")
        frame = await bob.wait_for(lambda text: row in text and "Watch alice" in text)
        assert "camera-button is-nsfw" in frame and 'data-nsfw="true"' in frame
        await alice.send(action="me", camera="on", nsfw=False)
        frame = await bob.wait_for(lambda text: row in text and 'data-nsfw="false"' in text)
        assert "is-nsfw" not in frame
        await alice.send(action="me", camera="off")
        await bob.wait_for(lambda text: row in text and "Watch alice" not in text)
        await alice.send(action="me", camera="sideways")
        await error_for(alice, "camera must be 'on' or 'off'.")
        for client in (alice, bob):
            await client.leave()


async def test_nsfw_is_ignored_unless_permitted(server: Server) -> None:
    alice, bob = [await ChatClient.join(server.url, name) for name in ("alice", "bob")]
    await alice.send(action="me", camera="on", nsfw=True)
    frame = await bob.wait_for(lambda text: "Watch alice" in text)
    assert "is-nsfw" not in frame
    for client in (alice, bob):
        await client.leave()


def chat_page(server: Server, name: str) -> str:
    import httpx

    cookie, _ = sign_in(server.url, name)
    page = httpx.get(server.url + "/", cookies={"barertc_session": cookie}).text
    return page


def test_the_page_carries_ice_servers_and_offers_nsfw_only_when_permitted(tmp_path: Path) -> None:
    turn = {
        "URLs": ["stun:stun.example.org:3478", "turn:turn.example.org:3478"],
        "Username": "chat",
        "Credential": "s3cret</script>",
    }
    with running_server(tmp_path, TURN=turn, PermitNSFW=True) as server:
        page = chat_page(server, "alice")
    match = re.search(r'<script type="application/json" id="ice-servers">(.*?)</script>', page, re.S)
    assert match, page
    assert json.loads(match.group(1)) == [{"urls": turn["URLs"], "username": "chat", "credential": "s3cret</script>"}]
    assert 'id="webcam-nsfw"' in page
    with running_server(tmp_path) as server:
        page = chat_page(server, "bob")
    assert 'id="ice-servers">[]</script>' in page
    assert 'id="webcam-nsfw"' not in page
    assert "Start webcam" in page


async def test_a_kicked_broadcaster_or_viewer_hangs_up_the_other_side(tmp_path: Path) -> None:
    jwt = {"JWT": {"Enabled": True, "Strict": False, "SecretKey": SECRET}}
    with running_server(tmp_path, **jwt) as server:
        olga = await ChatClient.join_with_token(server.url, token("olga", op=True))
        alice = await broadcasting(server, "alice")
        bob = await broadcasting(server, "bob")
        await bob.send(action="open", username="alice")  # bob watches alice
        await next_signal(alice, "ring")
        await alice.send(action="open", username="bob")  # and alice watches bob
        await next_signal(bob, "ring")
        await olga.say("/kick alice")
        assert (await alice.wait_closed())[0] == 4000
        await bob.wait_for(lambda text: len([f for f in signals(bob) if f["signal"] == "hangup"]) == 2)
        hangups = [frame for frame in signals(bob) if frame["signal"] == "hangup"]
        assert sorted(frame["feed"] for frame in hangups) == ["alice", "bob"]
        assert all(frame["username"] == "alice" for frame in hangups)
        for client in (olga, bob):
            await client.leave()
