"""The commands that act on the whole chat (/reconfigure, /kickall, /shutdown, /help-advanced)
and JWT.LandingPageURL, on the real server; with Redis, across two processes."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomlkit

from tests.conftest import redis_settings
from tests.support import ChatClient, Server, write_settings
from tests.tokens import SECRET, token

LANDING = "https://www.example.com/chat-landing"
JWT = {"Enabled": True, "Strict": False, "SecretKey": SECRET, "LandingPageURL": LANDING}
Chat = Callable[..., list[Server]]


@pytest.fixture
def chat(tmp_path: Path, broker: str, request: pytest.FixtureRequest) -> Iterator[Chat]:
    """`chat(**settings)`: one process on the in-process broker, or two sharing one Redis (and
    one settings file, `chat.path`)."""
    servers: list[Server] = []

    def start(**overrides: Any) -> list[Server]:
        if broker == "redis":
            overrides["Redis"] = redis_settings(request.getfixturevalue("shared_redis"))
        path = write_settings(tmp_path / "settings.toml", **{"JWT": JWT, **overrides})
        servers.extend(Server(path).start() for _ in range(2 if broker == "redis" else 1))
        return servers

    yield start
    for server in servers:
        server.stop()


async def notice(client: ChatClient, words: str) -> str:
    return html.unescape(await client.wait_for(lambda t: "#notices" in t and words in html.unescape(t)))


def edit(path: Path, change: Callable[[tomlkit.TOMLDocument], None]) -> None:
    doc = tomlkit.parse(path.read_text())
    change(doc)
    path.write_text(tomlkit.dumps(doc))


def add_news(doc: tomlkit.TOMLDocument) -> None:
    doc["PublicChannels"].append({"ID": "news", "Name": "News", "WelcomeMessages": ["Fresh **news** here."]})
    doc["PublicChannels"].append({"ID": "backstage", "Name": "Backstage", "VIP": True})
    doc["PublicChannels"][0]["WelcomeMessages"] = ["The lobby, *renovated*."]
    doc["ModerationRule"].append({"Username": "bob", "CameraAlwaysNSFW": True})
    doc["Limits"]["MaxMessageLength"] = 20
    doc["SessionSecret"] = "a-new-secret-" + "n" * 40


async def test_reconfigure_applies_the_file_everywhere_and_names_what_waits(chat: Chat) -> None:
    servers = chat()
    first, last = servers[0], servers[-1]
    olga = await ChatClient.join_with_token(first.url, token("olga", op=True))
    bob = await ChatClient.join(last.url, "bob")
    await bob.send(action="me", camera="on")
    await olga.wait_for(lambda t: 'data-username="bob" data-nsfw="false"' in t)
    edit(first.settings_path, add_news)
    await olga.say("/reconfigure")
    reply = await notice(olga, "Settings reloaded:")
    assert (
        "PublicChannels, ModerationRule, Limits.MaxMessageLength changed. These wait for a restart: SessionSecret."
    ) in reply
    # bob sees the new channel (its tab, and its log with the welcome), not the VIP one
    await bob.wait_for(lambda t: 'id="channel-tab-news"' in t and "Fresh <strong>news</strong> here." in t)
    await bob.wait_for(lambda t: "The lobby, <em>renovated</em>." in t)
    await olga.wait_for(lambda t: 'id="channel-tab-backstage"' in t)
    await olga.wait_for(lambda t: 'data-username="bob" data-nsfw="true"' in t)  # his new rule: redcam
    assert "channel-tab-backstage" not in bob.text()
    await bob.say("a message longer than twenty characters")
    await notice(bob, "the limit is 20")
    for server in servers:  # a page loaded now has the new channel
        assert 'data-channel="news"' in httpx.get(server.url + "/", cookies={"barertc_session": bob.cookie}).text
    assert bob.closed is None and olga.closed is None  # nobody was reconnected for it

    edit(first.settings_path, lambda doc: doc.update({"Title": 42}))
    await olga.say("/reconfigure")
    await notice(olga, "The settings were not reloaded: ")
    await notice(olga, "Title must be a string")


async def test_kickall_signs_everyone_else_out_with_a_link_to_the_website(chat: Chat) -> None:
    servers = chat()
    olga = await ChatClient.join_with_token(servers[0].url, token("olga", op=True))
    people = [await ChatClient.join(servers[index % len(servers)].url, f"p{index}") for index in range(3)]
    await olga.say("/kickall")
    await notice(olga, "Everyone else (3 people) was signed out of the chat.")
    for person in people:
        code, reason = await person.wait_closed()
        assert code == 4000 and "asked everyone to sign in again" in reason
        assert f'<a href="{LANDING}">Back to the chat</a>' in person.text()
    assert olga.closed is None
    await people[0].connect()  # their sessions are over
    assert (await people[0].wait_closed())[0] == 4401


async def test_whole_chat_commands_are_for_operators_by_the_website(chat: Chat) -> None:
    server = chat()[0]
    olga = await ChatClient.join_with_token(server.url, token("olga", op=True))
    pat = await ChatClient.join(server.url, "pat")
    await olga.say("/op pat")
    await notice(pat, "made you an operator")
    for line in ("/kickall", "/shutdown", "/reconfigure"):
        await pat.say(line)
        await notice(pat, f"Only operators by the website may use {line}.")
    await pat.say("/help-advanced")
    listing = await notice(pat, "Commands: /op name")
    assert "/kickall" in listing and "/reconfigure" in listing and "/kick name" not in listing
    assert pat.closed is None and olga.closed is None


@pytest.mark.parametrize("broker", ["memory"])
async def test_shutdown_restarts_the_chat(chat: Chat) -> None:
    server = chat()[0]
    olga = await ChatClient.join_with_token(server.url, token("olga", op=True))
    await olga.say("/shutdown")
    await notice(olga, "The chat server is restarting now")
    assert (await olga.wait_closed(10))[0] == 1012
    assert server.process is not None and await asyncio.to_thread(server.process.wait, 15) == 1


@pytest.mark.parametrize("broker", ["memory"])
def test_strict_mode_sends_people_without_a_token_to_the_landing_page(chat: Chat) -> None:
    server = chat(JWT={**JWT, "Strict": True})[0]
    response = httpx.get(server.url + "/")
    assert response.status_code == 302 and response.headers["location"] == LANDING
    refused = httpx.get(server.url + "/", params={"jwt": "not.a.token"})
    assert refused.status_code == 403 and "damaged" in refused.text  # a bad token is still explained
