"""The host website's admin API on the real server, with real sockets, on both brokers."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from app.chat.model import dom_key
from tests.conftest import redis_settings
from tests.support import ChatClient, Server, WebhookReceiver, running_server
from tests.tokens import SECRET, token

ADMIN_KEY = "admin-key-for-tests-" + "a" * 32
# Every endpoint of the API with a body it accepts (the key put in by `call`).
ENDPOINTS: dict[str, dict[str, Any]] = {
    "/api/authenticate": {"Claims": {"sub": "robot"}},
    "/api/disconnect/now": {"Usernames": ["nobody-here"]},
    "/api/shutdown": {},
}


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def chat_settings(receiver: WebhookReceiver, **more: Any) -> dict[str, Any]:
    return {
        "AdminAPIKey": ADMIN_KEY,
        "JWT": {"Enabled": True, "Strict": False, "SecretKey": SECRET},
        "WebhookURLs": [
            {"Name": "report", "Enabled": True, "URL": receiver.url("/report")},
            {"Name": "profile", "Enabled": True, "URL": receiver.url("/profile")},
        ],
        **more,
    }


@pytest.fixture(scope="module", params=["memory", "redis"])
def chat(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, receiver: WebhookReceiver
) -> Iterator[Server]:
    settings = chat_settings(receiver, Limits={"APIFailuresPerMinute": 0, "PingIntervalSeconds": 0})
    if request.param == "redis":
        settings["Redis"] = redis_settings(request.getfixturevalue("shared_redis"))
    with running_server(tmp_path_factory.mktemp("api"), **settings) as running:
        yield running


def call(server: Server, path: str, key: str | None = ADMIN_KEY, **body: Any) -> tuple[int, dict[str, Any]]:
    payload = {**body, **({"APIKey": key} if key is not None else {})}
    response = httpx.post(server.url + path, json=payload)
    assert response.headers["content-type"] == "application/json"
    return response.status_code, response.json()


def test_every_endpoint_refuses_a_wrong_key_bad_json_and_other_methods(chat: Server) -> None:
    for path, body in ENDPOINTS.items():
        for key in ("wrong", "", None, ADMIN_KEY[:-1]):
            assert call(chat, path, key, **body)[0] == 403, (path, key)
            assert call(chat, path, key, **body)[1]["Error"] == "Authentication denied."
        for method in ("GET", "PUT", "DELETE"):
            response = httpx.request(method, chat.url + path)
            assert response.status_code == 405 and response.headers["Allow"] == "POST"
            assert response.json() == {"OK": False, "Error": "Only POST methods allowed"} | _extra(path)
        for content, kind in (("{not json", "application/json"), ("[1, 2]", "application/json"), ("{}", "text/plain")):
            response = httpx.post(chat.url + path, content=content, headers={"Content-Type": kind})
            assert response.status_code == 400 and response.json()["OK"] is False, (path, content)
        if path != "/api/shutdown":  # (with the right key it would shut the chat down)
            wrong_type = httpx.post(chat.url + path, json={"APIKey": ADMIN_KEY, "Usernames": "alice", "Claims": 3})
            assert wrong_type.status_code == 400 and "Expected `" in wrong_type.json()["Error"]
    assert ADMIN_KEY[:-1] not in chat.log()  # no key, right or wrong, is ever logged
    assert re.search(r"API /api/shutdown from 127\.0\.0\.1: 403 Authentication denied\.", chat.log())


def _extra(path: str) -> dict[str, Any]:
    return {"Removed": 0} if path == "/api/disconnect/now" else {}


async def test_disconnect_now_removes_people_as_kicked_or_as_leaving(chat: Server) -> None:
    alice = await ChatClient.join(chat.url, "alice")
    bob = await ChatClient.join(chat.url, "bob")
    carol = await ChatClient.join(chat.url, "carol")
    removed = call(
        chat, "/api/disconnect/now", Usernames=["bob", "nobody"], Message="Your account was closed.", Kick=True
    )
    assert removed == (200, {"OK": True, "Removed": 1})
    assert await bob.wait_closed() == (4000, "Your account was closed.")
    assert "Your account was closed." in bob.text()  # the banner, before the close
    await alice.wait_for(lambda t: "<strong>bob</strong> has been kicked from the room" in t)
    await bob.connect()  # the session is over: the website must send them again
    assert (await bob.wait_closed())[0] == 4401

    assert call(chat, "/api/disconnect/now", Usernames=["carol"]) == (200, {"OK": True, "Removed": 1})
    assert await carol.wait_closed() == (4000, "You have been signed out of the chat.")
    await alice.wait_for(lambda t: "<strong>carol</strong> has exited the room" in t)
    assert call(chat, "/api/disconnect/now", Usernames=[]) == (200, {"OK": True, "Removed": 0})
    assert alice.closed is None


async def test_authenticate_signs_a_token_the_chat_takes(chat: Server) -> None:
    claims = {"sub": "robot", "nick": "Robot", "op": True, "img": "/static/robot.png", "unknown": [1]}
    status, answer = call(chat, "/api/authenticate", Claims=claims)
    assert status == 200 and set(answer) == {"OK", "JWT"} and answer["OK"] is True
    decoded = jwt.decode(answer["JWT"], SECRET, algorithms=["HS256"])
    assert decoded["sub"] == "robot" and decoded["op"] is True and "unknown" not in decoded
    assert decoded["iat"] <= time.time() + 1 and decoded["exp"] - decoded["iat"] == 300
    robot = await ChatClient.join_with_token(chat.url, answer["JWT"])
    await robot.wait_for(lambda t: f'<li id="who-{dom_key("robot")}" class="who-row is-op"' in t)
    assert call(chat, "/api/authenticate", Claims={"nick": "no name"}) == (
        400,
        {"OK": False, "Error": "Claims.sub must be the username."},
    )
    assert answer["JWT"] not in chat.log()


async def test_profile_asks_the_website_for_a_members_fields(chat: Server, receiver: WebhookReceiver) -> None:
    receiver.answer = {
        "StatusCode": 200,
        "Data": {"OK": True, "ProfileFields": [{"Name": "Age", "Value": "30yo"}, {"Name": "Gender", "Value": "Man"}]},
    }
    status, answer = call(chat, "/api/profile", key=None, JWTToken=token("dana"), Username="erin")
    assert (status, answer) == (
        200,
        {"OK": True, "ProfileFields": [{"Name": "Age", "Value": "30yo"}, {"Name": "Gender", "Value": "Man"}]},
    )
    asked = (await receiver.wait_for("/profile"))[-1]
    assert asked == {"Action": "profile", "APIKey": ADMIN_KEY, "Username": "erin"}
    assert call(chat, "/api/profile", key=None, Username="erin")[0] == 401  # no token, no member session
    receiver.answer = {"StatusCode": 200, "Data": {"OK": False, "Error": "No such user"}}
    assert call(chat, "/api/profile", key=None, JWTToken=token("dana"), Username="zed") == (
        502,
        {"OK": False, "Error": "No profile: No such user."},
    )
    receiver.answer = {}


@pytest.mark.parametrize("broker", ["memory", "redis"])
async def test_shutdown_closes_every_socket_with_1012_and_exits_for_the_supervisor(
    tmp_path: Path, broker: str, request: pytest.FixtureRequest, receiver: WebhookReceiver
) -> None:
    settings = chat_settings(receiver)
    if broker == "redis":
        settings["Redis"] = redis_settings(request.getfixturevalue("shared_redis"))
    with running_server(tmp_path, **settings) as server:
        alice = await ChatClient.join(server.url, "alice")
        assert call(server, "/api/shutdown") == (200, {"OK": True})
        await alice.wait_for(lambda t: "restarting now" in t)
        assert (await alice.wait_closed(10))[0] == 1012
        assert server.process is not None
        assert await asyncio.to_thread(server.process.wait, 15) == 1
        assert "shutting down every process of the chat, asked by the admin API" in server.log()


def test_wrong_keys_from_one_address_are_limited(tmp_path: Path, receiver: WebhookReceiver) -> None:
    with running_server(tmp_path, **chat_settings(receiver, Limits={"APIFailuresPerMinute": 3})) as server:
        if time.time() % 60 > 55:  # the limit counts per minute: start the test in a fresh one
            time.sleep(60 - time.time() % 60 + 0.1)
        for _ in range(3):
            assert call(server, "/api/disconnect/now", "guess", Usernames=[])[0] == 403
        refused = httpx.post(server.url + "/api/disconnect/now", json={"APIKey": ADMIN_KEY, "Usernames": []})
        assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
        assert "Too many calls with a wrong APIKey" in refused.json()["Error"]
        assert httpx.post(server.url + "/api/message/clear", json={"APIKey": "guess", "Username": "x"}).status_code in (
            400,  # DM history is off here ...
            429,
        )


def row(name: str) -> str:
    return f'id="who-{dom_key(name)}"'


async def test_block_now_hides_every_pair_of_them_from_each_other(chat: Server) -> None:
    ann = await ChatClient.join(chat.url, "ann")
    ben = await ChatClient.join(chat.url, "ben")
    cid = await ChatClient.join(chat.url, "cid")
    await ann.wait_for(lambda t: row("cid") in t)
    assert call(chat, "/api/block/now", Usernames=["ann", "ben", "nobody"]) == (200, {"OK": True})
    await ann.wait_for(lambda t: f'{row("ben")} hx-swap-oob="delete"' in t)
    await ben.wait_for(lambda t: f'{row("ann")} hx-swap-oob="delete"' in t)
    await ben.say("can anyone hear me")
    await cid.wait_for(lambda t: "can anyone hear me" in t)
    await ann.send(action="message", channel="@ben", text="psst")
    await ann.wait_for(lambda t: "ben is not in the room" in t)
    await ann.say("ann is still here")
    await cid.wait_for(lambda t: "ann is still here" in t)
    assert "can anyone hear me" not in ann.text() and "ann is still here" not in ben.text()


async def test_a_blocklist_is_placed_when_that_member_signs_in(chat: Server) -> None:
    assert call(chat, "/api/blocklist", Username="mia", Blocklist=["nick", "someone else"]) == (200, {"OK": True})
    assert call(chat, "/api/blocklist", Blocklist=["nick"])[0] == 400
    nick = await ChatClient.join_with_token(chat.url, token("nick"))
    mia = await ChatClient.join_with_token(chat.url, token("mia"))
    assert row("nick") not in mia.text() and row("mia") not in nick.text()
    olly = await ChatClient.join(chat.url, "olly")  # everyone else sees both
    assert row("nick") in olly.text() and row("mia") in olly.text()


async def test_amend_jwt_changes_the_claims_of_someone_here(chat: Server) -> None:
    pia = await ChatClient.join_with_token(chat.url, token("pia"))
    quin = await ChatClient.join(chat.url, "quin")
    new = token("pia", nick="Pia the Great", emoji="🦊", op=True)
    assert call(chat, "/api/amend-jwt", Username="pia", JWTToken=new) == (200, {"OK": True})
    await quin.wait_for(lambda t: row("pia") in t and "Pia the Great" in t and "is-op" in t)
    await pia.leave()  # a reconnect keeps the new claims
    await pia.connect()
    await pia.wait_for(lambda t: row("pia") in t and "Pia the Great" in t)
    for body, status, words in (
        ({"Username": "nobody", "JWTToken": token("nobody")}, 404, "nobody is not in the chat."),
        ({"Username": "quin", "JWTToken": token("quin")}, 400, "came in as a guest"),
        ({"Username": "pia", "JWTToken": token("pia2")}, 400, "a new name cannot be given"),
        ({"Username": "pia", "JWTToken": "not.a.token"}, 401, "The JWTToken is not valid"),
    ):
        answer = call(chat, "/api/amend-jwt", **body)
        assert answer[0] == status and words in answer[1]["Error"], answer


async def test_a_profile_card_asks_the_website_for_its_fields(chat: Server, receiver: WebhookReceiver) -> None:
    receiver.answer = {"StatusCode": 200, "Data": {"OK": True, "ProfileFields": [{"Name": "Age", "Value": "41"}]}}
    rae = await ChatClient.join_with_token(chat.url, token("rae"))
    sam = await ChatClient.join(chat.url, "sam")
    await sam.send(action="profile", username="rae")
    card = await sam.wait_for(lambda t: 'id="profile-card-body"' in t)
    assert f'id="profile-fields-{dom_key("rae")}"' in card and "Asking the website" in card
    fields = await sam.wait_for(lambda t: f'id="profile-fields-{dom_key("rae")}" ' in t and "<dd>41</dd>" in t)
    assert 'hx-swap-oob="outerHTML"' in fields
    assert (await receiver.wait_for("/profile"))[-1]["Username"] == "rae"
    await rae.send(action="profile", username="sam")  # a guest has no profile on the website
    guest_card = await rae.wait_for(lambda t: 'id="profile-card-body"' in t)
    assert "profile-fields" not in guest_card
    receiver.answer = {}
