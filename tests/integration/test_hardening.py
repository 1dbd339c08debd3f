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
    await second.wait_for(lambda t: "is in use, so you are" in html.unescape(t) or row("pаula2") in t)
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
