"""Several server processes joined by a real redis-server are one chat (issue 8)."""

from __future__ import annotations

import asyncio
import html
import json
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from app.chat.model import dom_key
from tests.conftest import redis_settings
from tests.support import ChatClient, RedisServer, Server, sign_in, write_settings
from tests.tokens import SECRET, token

pytestmark = pytest.mark.redis

Cluster = Callable[..., list[Server]]


def row(name: str) -> str:
    return f'id="who-{dom_key(name)}"'


def row_gone(name: str) -> str:
    return f'{row(name)} hx-swap-oob="delete"'


@pytest.fixture
def cluster(tmp_path: Path, shared_redis: RedisServer) -> Iterator[Cluster]:
    """`cluster(n)` → n server processes with the same settings (one key prefix, one Redis)."""
    servers: list[Server] = []

    def start(
        count: int, *, redis: RedisServer = shared_redis, heartbeat: float = 1.0, **overrides: object
    ) -> list[Server]:
        path = write_settings(tmp_path / "settings.toml", Redis=redis_settings(redis, heartbeat), **overrides)
        started = [Server(path).start() for _ in range(count)]
        servers.extend(started)
        return started

    yield start
    for server in servers:
        server.stop()


async def sees(client: ChatClient, *needles: str, timeout: float = 5.0) -> None:
    """Wait until everything `client` received, taken together, contains every needle."""
    await client.wait_for(lambda _: all(needle in client.text() for needle in needles), timeout)


def statistics(server: Server) -> dict[str, object]:
    result: dict[str, object] = httpx.get(server.url + "/api/statistics").json()
    return result


def signal_frame(kind: str, sender: str) -> Callable[[str], bool]:
    def matches(frame: str) -> bool:
        if not frame.startswith("{"):
            return False
        data = json.loads(frame)
        return bool(data.get("signal") == kind and data.get("username") == sender)

    return matches


async def test_two_processes_share_who_list_channels_dms_and_presence(cluster: Cluster) -> None:
    one, two = cluster(2)
    alice = await ChatClient.join(one.url, "alice")
    bob = await ChatClient.join(two.url, "bob")
    carol = await ChatClient.join(one.url, "carol")
    await sees(bob, row("alice"), row("carol"))
    await alice.wait_for(lambda t: row("bob") in t)

    await bob.say("hello from process two")
    for client in (alice, carol):
        await client.wait_for(lambda t: "hello from process two" in t and "beforeend:#log-lobby" in t)
    await alice.say("over here", channel="offtopic")
    await bob.wait_for(lambda t: "over here" in t and "beforeend:#log-offtopic" in t)

    await alice.say("psst, bob", channel="@bob")
    got = await bob.wait_for(lambda t: "psst, bob" in t)
    assert f'id="log-dm-{dom_key("alice")}"' in got
    await bob.say("psst back", channel="@alice")
    await alice.wait_for(lambda t: "psst back" in t and f"#log-dm-{dom_key('bob')}" in t)
    await carol.quiet()
    assert "psst" not in carol.text()

    assert (
        statistics(one)
        == statistics(two)
        == {
            "UserCount": 3,
            "Usernames": ["alice", "bob", "carol"],
            "Cameras": {"Blue": 0, "Red": 0},
        }
    )
    await bob.leave()
    for client in (alice, carol):
        await sees(client, row_gone("bob"), "<strong>bob</strong> has exited the room")
    assert statistics(one)["Usernames"] == ["alice", "carol"]
    await alice.leave()
    await carol.leave()


async def test_three_processes_relay_webcam_signals_between_exactly_two_people(cluster: Cluster) -> None:
    one, two, three = cluster(3)
    alice = await ChatClient.join(one.url, "alice")
    bob = await ChatClient.join(two.url, "bob")
    dave = await ChatClient.join(three.url, "dave")
    await sees(dave, row("alice"), row("bob"))

    await alice.send(action="me", camera="on")
    for client in (bob, dave):
        await client.wait_for(lambda t: 'aria-label="Watch alice"' in t)  # her camera button
    await bob.send(action="open", username="alice")
    await alice.wait_for(signal_frame("ring", "bob"))
    await alice.send(action="sdp", username="bob", feed="alice", description={"type": "offer", "sdp": "v=0 from alice"})
    offer = await bob.wait_for(signal_frame("sdp", "alice"))
    assert json.loads(offer)["description"]["sdp"] == "v=0 from alice"
    await bob.send(action="candidate", username="alice", feed="alice", candidate={"candidate": "cand-from-bob"})
    await alice.wait_for(signal_frame("candidate", "bob"))

    await dave.say("anyone?")
    for client in (alice, bob):
        await client.wait_for(lambda t: "anyone?" in t)
    assert not any(frame.startswith("{") for frame in dave.frames)
    assert statistics(three)["UserCount"] == 3
    for client in (alice, bob, dave):
        await client.leave()


async def test_names_are_unique_across_processes_even_when_taken_at_the_same_moment(cluster: Cluster) -> None:
    one, two = cluster(2)
    alice = await ChatClient.join(one.url, "alice")
    _, given = await asyncio.to_thread(sign_in, two.url, "alice")
    assert given == "alice2"  # process two knows alice is here

    # Two guests sign in as "zed" on two processes before either enters: both are offered the
    # name, and the atomic claim lets exactly one of them in.
    first, second = [await asyncio.to_thread(sign_in, server.url, "zed") for server in (one, two)]
    assert first[1] == second[1] == "zed"
    zed_one, zed_two = ChatClient(one.url, first[0], "zed"), ChatClient(two.url, second[0], "zed")
    await asyncio.gather(zed_one.connect(), zed_two.connect())
    outcomes = []
    for client in (zed_one, zed_two):
        try:
            await client.wait_for(lambda t: 'id="who-list"' in t)
            outcomes.append("in")
        except AssertionError:
            outcomes.append(f"closed {client.closed}")
    assert sorted(outcomes) == ["closed (4003, 'Someone else is now using the name zed. Please sign in again.')", "in"]
    assert statistics(one)["Usernames"] == ["alice", "zed"]
    for client in (alice, zed_one, zed_two):
        await client.leave()


async def test_kick_ban_and_op_reach_users_on_other_processes(cluster: Cluster) -> None:
    one, two = cluster(2, JWT={"Enabled": True, "Strict": False, "SecretKey": SECRET})
    olga = await ChatClient.join_with_token(one.url, token("olga", op=True))
    bob = await ChatClient.join(two.url, "bob")
    carol = await ChatClient.join(two.url, "carol")
    await sees(olga, row("bob"), row("carol"))

    await command(olga, "/kick bob", "bob has been kicked.")
    assert await bob.wait_closed() == (4000, "You have been kicked from the chat by olga.")
    await sees(carol, row_gone("bob"))
    back = len(olga.frames)
    await bob.connect()  # the kicked session is revoked on every process ...
    assert (await bob.wait_closed())[0] == 4401
    bob = await ChatClient.join(two.url, "bob")  # ... so bob signs in again
    await olga.wait_for(lambda t: row("bob") in t, since=back)  # the new row, not the one before the kick

    await command(olga, "/ban bob 2", "bob has been banned for 2 hours.")
    assert await bob.wait_closed() == (4001, "You have been banned from the chat by olga for 2 hours.")
    await bob.connect()  # on process two, which holds the ban too
    code, reason = await bob.wait_closed()
    assert code == 4001 and "You are banned from this chat for another" in reason
    refused = httpx.post(two.url + "/login", data={"username": "Bob"})
    assert refused.status_code == 403 and "is banned from this chat" in refused.text
    await command(olga, "/unban bob", "bob is no longer banned.")
    bob = await ChatClient.join(two.url, "bob")
    assert bob.name == "bob"

    await command(olga, "/op carol", "carol is now an operator, until they leave.")
    await carol.wait_for(lambda t: "olga made you an operator" in t)
    await command(carol, "/bans", "Nobody is banned.")  # her own process knows she is an operator
    for client in (olga, bob, carol):
        await client.leave()


async def command(client: ChatClient, line: str, expected: str) -> str:
    """Type `line`; wait for the notice containing `expected`."""
    await client.say(line)
    return await client.wait_for(lambda t: "#notices" in t and expected in html.unescape(t))


async def test_a_killed_process_takes_its_users_out_of_every_who_list(cluster: Cluster) -> None:
    heartbeat = 0.5
    one, two = cluster(2, heartbeat=heartbeat)
    alice = await ChatClient.join(one.url, "alice")
    bob = await ChatClient.join(two.url, "bob")
    await bob.wait_for(lambda t: row("alice") in t)
    assert one.process is not None
    one.process.send_signal(signal.SIGKILL)
    one.process.wait()
    started = asyncio.get_running_loop().time()
    # The bound is four heartbeats (expiry after three, a sweep each one); the rest is slack
    # for a busy machine.
    await bob.wait_for(lambda t: row_gone("alice") in t, timeout=4 * heartbeat + 10)
    vanished_after = asyncio.get_running_loop().time() - started
    assert "<strong>alice</strong> has exited the room" in bob.text()
    assert statistics(two) == {"UserCount": 1, "Usernames": ["bob"], "Cameras": {"Blue": 0, "Red": 0}}
    assert "'alice' left with a process that stopped answering" in two.log()
    print(f"alice vanished {vanished_after:.2f}s after her process was killed (bound {4 * heartbeat}s)")
    await alice.leave()
    await bob.leave()


async def test_a_redis_restart_is_survived(cluster: Cluster, redis_server_binary: str, tmp_path: Path) -> None:
    redis = RedisServer(redis_server_binary, tmp_path).start()
    try:
        one, two = cluster(2, redis=redis)
        alice = await ChatClient.join(one.url, "alice")
        carol = await ChatClient.join(one.url, "carol")
        bob = await ChatClient.join(two.url, "bob")
        await sees(bob, row("alice"), row("carol"))

        redis.stop()
        await _wait_for_log(one, "lost Redis")
        # Process one keeps serving its own users: they talk, join and leave.
        await alice.say("still here without redis")
        await carol.wait_for(lambda t: "still here without redis" in t)
        dan = await ChatClient.join(one.url, "dan")
        await alice.wait_for(lambda t: row("dan") in t)
        await carol.leave()
        await alice.wait_for(lambda t: row_gone("carol") in t)

        redis.start()  # the same port, empty: the processes must rebuild the shared presence
        for server in (one, two):
            await _wait_for_log(server, "joined the chat on Redis", count=2)
        await bob.wait_for(lambda t: row("dan") in t, timeout=15)
        await bob.wait_for(lambda t: row_gone("carol") in t, timeout=15)
        await alice.say("redis is back")
        await bob.wait_for(lambda t: "redis is back" in t, timeout=15)
        await bob.say("hello again")
        await dan.wait_for(lambda t: "hello again" in t, timeout=15)
        assert statistics(two) == {
            "UserCount": 3,
            "Usernames": ["alice", "bob", "dan"],
            "Cameras": {"Blue": 0, "Red": 0},
        }
        assert "Traceback" not in one.log() + two.log()
        for client in (alice, bob, dan):
            await client.leave()
    finally:
        redis.stop()


async def _wait_for_log(server: Server, text: str, *, count: int = 1, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while server.log().count(text) < count:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{text!r} not logged {count} times: {server.log()[-2000:]}")
        await asyncio.sleep(0.1)


async def test_during_an_outage_senders_are_told_and_after_it_who_lists_agree_within_a_heartbeat(
    cluster: Cluster, redis_server_binary: str, tmp_path: Path
) -> None:
    heartbeat = 1.0
    redis = RedisServer(redis_server_binary, tmp_path).start()
    try:
        one, two = cluster(2, redis=redis, heartbeat=heartbeat)
        alice = await ChatClient.join(one.url, "alice")
        bob = await ChatClient.join(two.url, "bob")
        await sees(bob, row("alice"))

        redis.stop()
        await _wait_for_log(one, "lost Redis")
        await alice.say("lost in the outage")
        notice = await alice.wait_for(lambda t: "lost touch with each other" in t)
        assert "reached only the people connected to this server" in html.unescape(notice)
        await alice.say("to bob", channel="@bob")
        await alice.wait_for(lambda t: "may not have reached bob" in t)
        dan = await ChatClient.join(one.url, "dan")  # joins while the processes cannot see each other

        redis.start()  # empty, on the same port
        # Back within the backoff (at most 2 s, with jitter), then one heartbeat to agree.
        bound = 2.5 + heartbeat
        await bob.wait_for(lambda t: row("dan") in t, timeout=bound + 3)
        since = len(alice.frames)
        await alice.say("redis is back")
        await bob.wait_for(lambda t: "redis is back" in t, timeout=5)
        await alice.wait_for(lambda t: "redis is back" in t, since=since)
        await alice.quiet()
        assert "lost touch" not in "".join(alice.frames[since:])
        await asyncio.sleep(2 * heartbeat)  # a full resync came and went: nobody dropped
        assert row_gone("alice") not in bob.text() and row_gone("bob") not in alice.text()
        assert statistics(one) == statistics(two)
        assert statistics(two)["Usernames"] == ["alice", "bob", "dan"]
        assert "lost in the outage" not in bob.text()  # not queued: the sender was told instead
        for client in (alice, bob, dan):
            await client.leave()
    finally:
        redis.stop()
