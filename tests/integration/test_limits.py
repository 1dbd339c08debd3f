"""Per-address limits against the real server (issue 22): sign-ins per minute (HTTP 429 with
when to retry, across processes with Redis), names per address, open sockets per address and
in all, and a server at its file-descriptor limit that goes on serving its users.

Every address but one is simulated behind a proxy: `UseXForwardedFor` with `X-Real-IP`."""

from __future__ import annotations

import asyncio
import html
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import redis_settings
from tests.support import ChatClient, RedisServer, Server, running_server, write_settings

LIMITS = {"SignInsPerMinute": 5, "NamesPerAddress": 2, "SocketsPerAddress": 2}


def at(address: str) -> dict[str, str]:
    return {"X-Real-IP": address}


def guest(server: Server, name: str, address: str) -> httpx.Response:
    return httpx.post(server.url + "/login", data={"username": name}, headers=at(address))


async def socket_for(server: Server, name: str, address: str) -> ChatClient:
    response = guest(server, name, address)
    assert response.status_code == 302, response.text
    client = ChatClient(server.url, response.cookies["barertc_session"], name)
    await client.connect(headers=at(address))
    return client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("limits"), UseXForwardedFor=True, Limits=LIMITS) as running:
        yield running


def test_sign_ins_per_minute_get_a_429_that_says_when_to_retry(server: Server) -> None:
    answers = [guest(server, f"rate{n}", "198.51.100.1").status_code for n in range(5)]
    assert answers == [302] * 5
    refused = guest(server, "rate6", "198.51.100.1")
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 60
    assert re.search(r"Please try again in \d+ seconds?\.", html.unescape(refused.text))
    assert guest(server, "other", "198.51.100.2").status_code == 302  # another address is not held up


async def test_names_per_address_are_limited_at_sign_in_and_at_the_socket(server: Server) -> None:
    address = "198.51.100.3"
    first, second = [await socket_for(server, name, address) for name in ("house1", "house2")]
    for client in (first, second):
        await client.wait_for(lambda t: 'id="who-list"' in t)
    refused = guest(server, "house3", address)
    assert refused.status_code == 429
    assert "2 people are already in the chat from your network" in html.unescape(refused.text)
    await second.leave()
    third = await socket_for(server, "house3", address)  # a place came free
    await third.wait_for(lambda t: 'id="who-list"' in t)
    for client in (first, third):
        await client.leave()


async def test_open_sockets_per_address_get_a_clear_refusal(server: Server) -> None:
    address = "198.51.100.4"
    cookies = [guest(server, f"tab{n}", f"192.0.2.{n}").cookies["barertc_session"] for n in range(3)]
    tabs = [ChatClient(server.url, cookie, f"tab{n}") for n, cookie in enumerate(cookies)]
    for tab in tabs[:2]:
        await tab.connect(headers=at(address))
        await tab.wait_for(lambda t: 'id="who-list"' in t)
    await tabs[2].connect(headers=at(address))
    code, reason = await tabs[2].wait_closed()
    assert code == 4029 and "Too many chat windows are open from your network (2)" in reason
    assert "Too many chat windows" in html.unescape(tabs[2].text())  # the banner, shown in the page
    elsewhere = await socket_for(server, "elsewhere", "198.51.100.5")
    await elsewhere.wait_for(lambda t: 'id="who-list"' in t)
    for client in (*tabs[:2], elsewhere):
        await client.leave()


async def test_a_full_process_refuses_sockets_in_words(tmp_path: Path) -> None:
    with running_server(tmp_path, Limits={"MaxSockets": 2}) as server:
        one, two = [await ChatClient.join(server.url, name) for name in ("first", "second")]
        response = httpx.post(server.url + "/login", data={"username": "third"})
        third = ChatClient(server.url, response.cookies["barertc_session"], "third")
        await third.connect()
        code, reason = await third.wait_closed()
        assert code == 4029 and reason == "The chat is full right now. Please try again in a few minutes."
        await one.say("still talking")
        await two.wait_for(lambda t: "still talking" in t)
        for client in (one, two):
            await client.leave()


async def test_sign_ins_per_address_hold_across_processes(tmp_path: Path, shared_redis: RedisServer) -> None:
    path = write_settings(
        tmp_path / "settings.toml", UseXForwardedFor=True, Limits=LIMITS, Redis=redis_settings(shared_redis)
    )
    one, two = Server(path).start(), Server(path).start()
    try:
        servers = (one, two, one, two, one)
        assert [guest(server, f"roam{n}", "203.0.113.9").status_code for n, server in enumerate(servers)] == [302] * 5
        assert guest(two, "roam6", "203.0.113.9").status_code == 429
    finally:
        one.stop()
        two.stop()


class LimitedServer(Server):
    """`python -m app` started through a wrapper that lowers its file-descriptor limit."""

    descriptors = 96

    def command(self) -> list[str]:
        wrapper = (
            "import os, resource, sys; "
            f"resource.setrlimit(resource.RLIMIT_NOFILE, ({self.descriptors}, {self.descriptors})); "
            "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
        )
        return [sys.executable, "-c", wrapper, *self.command_of_the_app()]

    def command_of_the_app(self) -> list[str]:
        return super().command()[1:]


async def test_at_its_descriptor_limit_the_server_serves_its_users_and_logs_once(tmp_path: Path) -> None:
    server = LimitedServer(write_settings(tmp_path / "settings.toml")).start()
    idle: list[socket.socket] = []
    try:
        alice, bob = [await ChatClient.join(server.url, name) for name in ("alice", "bob")]
        for _ in range(2 * LimitedServer.descriptors):  # connections that hold a descriptor each
            idle.append(socket.create_connection(("127.0.0.1", server.port)))
        await asyncio.sleep(2.5)  # asyncio retries accepting every second: let it fail a few times
        await alice.say("still here at the limit")
        await bob.wait_for(lambda t: "still here at the limit" in t)
        log = server.log()
        assert log.count("cannot accept connections") == 1, log[-3000:]
        assert "Traceback" not in log
        for sock in idle:
            sock.close()
        idle.clear()
        await asyncio.sleep(1.5)
        carol = await ChatClient.join(server.url, "carol", wait=True)  # accepting again
        await alice.wait_for(lambda t: "carol" in t)
        for client in (alice, bob, carol):
            await client.leave()
    finally:
        for sock in idle:
            sock.close()
        server.stop()
    assert "Traceback" not in server.log()
