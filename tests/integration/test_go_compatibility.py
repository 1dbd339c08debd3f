"""A website built for the Go BareRTC, unchanged: the request bodies of its docs/API.md and
docs/Webhooks.md (the 2025 BareRTC, milfordestayschiller/chat2026 at 3145dde, and the
/api/amend-jwt of a later upstream copy, Smart3593/BareRTC), sent to our server, get the
fields the Go server answers with (`Error` left out when all went well); its webhooks receive
the bodies its docs describe.

The bodies are written down here as the docs give them (the docs' trailing commas, which JSON
does not allow, left out), with the key and usernames filled in.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import ChatClient, Server, WebhookReceiver, running_server
from tests.tokens import SECRET, token

KEY = "from settings.toml " + "k" * 24

# docs/API.md, "POST /api/authentication" (served as /api/authenticate; both paths answer here)
AUTHENTICATE = {
    "APIKey": KEY,
    "Claims": {
        "sub": "username",
        "nick": "Display Name",
        "op": False,
        "img": "/static/photos/avatar.png",
        "url": "/users/username",
        "emoji": "🤖",
        "gender": "m",
    },
}
# docs/API.md, "POST /api/shutdown"
SHUTDOWN = {"APIKey": KEY}
# docs/API.md, "POST /api/disconnect/now"
DISCONNECT = {
    "APIKey": KEY,
    "Usernames": ["alice"],
    "Message": "a custom ChatServer message to send them, optional",
    "Kick": False,
}
# docs/API.md, "POST /api/blocklist"
BLOCKLIST = {"APIKey": KEY, "Username": "soandso", "Blocklist": ["usernames", "that", "they", "block"]}
# docs/API.md, "POST /api/block/now"
BLOCK_NOW = {"APIKey": KEY, "Usernames": ["alice", "bob"]}
# Smart3593/BareRTC docs/API.md, "POST /api/amend-jwt" (a real token in place of "new.jwt.token")
AMEND = {"APIKey": KEY, "Username": "alice", "JWTToken": "new.jwt.token"}
# docs/API.md, "POST /api/profile" (the caller's chat token)
PROFILE = {"JWTToken": "the caller's chat jwt token", "Username": "soandso"}
# docs/API.md, "POST /api/message/clear", as called from your website
CLEAR = {"APIKey": KEY, "Username": "soandso"}
# docs/Webhooks.md, "Profile Webhook": what the website answers
PROFILE_ANSWER: dict[str, Any] = {
    "StatusCode": 200,
    "Data": {
        "OK": True,
        "Error": "",
        "ProfileFields": [{"Name": "Age", "Value": "30yo"}, {"Name": "Gender", "Value": "Man"}],
    },
}
# docs/Webhooks.md: what the report webhook receives
REPORT_KEYS = {"FromUsername", "AboutUsername", "Channel", "Timestamp", "Reason", "Comment", "Message"}


@pytest.fixture(scope="module")
def website() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        receiver.answer = PROFILE_ANSWER
        yield receiver


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory, website: WebhookReceiver) -> Iterator[Server]:
    with running_server(
        tmp_path_factory.mktemp("go"),
        AdminAPIKey=KEY,
        JWT={"Enabled": True, "Strict": False, "SecretKey": SECRET},
        # docs/Webhooks.md's settings.toml, with this test's website
        WebhookURLs=[
            {"Name": "report", "Enabled": True, "URL": website.url("/v1/barertc/report")},
            {"Name": "profile", "Enabled": True, "URL": website.url("/v1/barertc/profile")},
        ],
        DirectMessageHistory={"Enabled": True, "DatabaseURL": "sqlite+aiosqlite:///go-history.sqlite3"},
    ) as server:
        yield server


def post(chat: Server, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = httpx.post(chat.url + path, json=body)
    return response.status_code, response.json()


def test_statistics_answers_as_documented(chat: Server) -> None:
    assert set(httpx.get(chat.url + "/api/statistics").json()) >= {"UserCount", "Usernames"}


@pytest.mark.parametrize("path", ["/api/authenticate", "/api/authentication"])
def test_authenticate_with_the_documented_body(chat: Server, path: str) -> None:
    status, answer = post(chat, path, AUTHENTICATE)
    assert status == 200 and set(answer) == {"OK", "JWT"} and answer["OK"] is True


async def test_disconnect_now_with_the_documented_body(chat: Server) -> None:
    alice = await ChatClient.join(chat.url, "alice")
    assert post(chat, "/api/disconnect/now", DISCONNECT) == (200, {"OK": True, "Removed": 1})
    assert (await alice.wait_closed())[1] == DISCONNECT["Message"]
    assert post(chat, "/api/disconnect/now", DISCONNECT) == (200, {"OK": True, "Removed": 0})


async def test_blocklist_block_now_and_amend_jwt_with_the_documented_bodies(chat: Server) -> None:
    assert post(chat, "/api/blocklist", BLOCKLIST) == (200, {"OK": True})
    alice = await ChatClient.join_with_token(chat.url, token("alice"))
    bob = await ChatClient.join(chat.url, "bob")
    assert post(chat, "/api/block/now", BLOCK_NOW) == (200, {"OK": True})
    amended = AMEND | {"JWTToken": token("alice", nick="Alice A.")}
    assert post(chat, "/api/amend-jwt", amended) == (200, {"OK": True})
    assert post(chat, "/api/amend-jwt", AMEND)[1]["OK"] is False  # "new.jwt.token" is no token
    await alice.leave()
    await bob.leave()


def test_profile_and_its_webhook_as_documented(chat: Server, website: WebhookReceiver) -> None:
    status, answer = post(chat, "/api/profile", PROFILE | {"JWTToken": token("caller")})
    assert (status, answer) == (200, {"OK": True, "ProfileFields": PROFILE_ANSWER["Data"]["ProfileFields"]})
    assert website.bodies("/v1/barertc/profile")[-1] == {"Action": "profile", "APIKey": KEY, "Username": "soandso"}


def test_clear_from_the_website_as_documented(chat: Server) -> None:
    assert post(chat, "/api/message/clear", CLEAR) == (200, {"OK": True, "MessagesErased": 0})


async def test_the_report_webhook_receives_the_documented_body(chat: Server, website: WebhookReceiver) -> None:
    reporter = await ChatClient.join(chat.url, "reporter")
    author = await ChatClient.join(chat.url, "author")
    await author.say("a message to report")
    frame = await reporter.wait_for(lambda t: "a message to report" in t)
    message_id = frame.split('data-id="')[1].split('"')[0]
    await reporter.send(action="report", id=message_id, reason="It's spam", comment="custom user note")
    await reporter.wait_for(lambda t: "your report was sent" in html.unescape(t))
    (body,) = await website.wait_for("/v1/barertc/report")
    assert set(body) == {"Action", "APIKey", "Report"} and body["Action"] == "report" and body["APIKey"] == KEY
    assert set(body["Report"]) == REPORT_KEYS and all(isinstance(value, str) for value in body["Report"].values())


def test_shutdown_with_the_documented_body(tmp_path: Path) -> None:
    with running_server(tmp_path, AdminAPIKey=KEY) as server:
        assert post(server, "/api/shutdown", SHUTDOWN) == (200, {"OK": True})
        assert server.process is not None and server.process.wait(15) == 1
