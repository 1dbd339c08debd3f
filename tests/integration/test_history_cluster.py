"""Saved DMs with several processes on Redis and one PostgreSQL, and PostgreSQL going away (issue 20)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.chat.dm_history import BACK, UNAVAILABLE
from app.chat.model import dom_key
from tests.conftest import redis_settings
from tests.integration.test_history import eventually, history_settings, member, saved_texts
from tests.support import PostgresServer, RedisServer, Server, write_settings

pytestmark = pytest.mark.redis


@pytest.fixture
def postgres(postgres_bin: Path) -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, so that it can be stopped."""
    server = PostgresServer(postgres_bin).start()
    yield server
    server.remove()


@pytest.fixture
def processes(tmp_path: Path, shared_redis: RedisServer) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def two_processes(tmp_path: Path, redis: RedisServer, database: str, started: list[Server]) -> tuple[Server, Server]:
    path = write_settings(tmp_path / "settings.toml", Redis=redis_settings(redis), **history_settings(database))
    one, two = Server(path).start(), Server(path).start()
    started += [one, two]
    return one, two


async def test_a_dm_sent_through_one_process_is_in_the_history_another_shows(
    tmp_path: Path, shared_redis: RedisServer, shared_postgres: PostgresServer, processes: list[Server]
) -> None:
    one, two = two_processes(tmp_path, shared_redis, shared_postgres.new_database(), processes)
    alice, bob = await member(one.url, "alice"), await member(two.url, "bob")
    await alice.wait_for(lambda t: 'data-username="bob"' in t)  # process one has heard of bob
    await alice.say("sent through process one", channel="@bob")
    await bob.wait_for(lambda t: "sent through process one" in t)
    await eventually(lambda: saved_texts(one, "alice", "bob"))  # written a moment later
    await alice.leave()
    alice = await member(two.url, "alice")  # back, on the other process
    await alice.send(action="thread", username="bob")
    await alice.wait_for(lambda t: f"afterbegin:#dmh-pages-{dom_key('bob')}" in t and "sent through process one" in t)
    assert saved_texts(two, "bob", "alice") == ["<p>sent through process one</p>"]


async def test_postgres_stopping_and_coming_back_while_two_members_dm(
    tmp_path: Path, shared_redis: RedisServer, postgres: PostgresServer, processes: list[Server]
) -> None:
    one, two = two_processes(tmp_path, shared_redis, postgres.new_database(), processes)
    alice, bob = await member(one.url, "alice"), await member(two.url, "bob")
    await alice.wait_for(lambda t: 'data-username="bob"' in t)  # process one has heard of bob
    await alice.say("before", channel="@bob")
    await bob.wait_for(lambda t: "before" in t)
    await eventually(lambda: saved_texts(one, "alice", "bob") == ["<p>before</p>"])

    postgres.stop()
    await alice.say("while it is down", channel="@bob")
    await bob.wait_for(lambda t: "while it is down" in t)  # live chat goes on
    for person, other in ((alice, "bob"), (bob, "alice")):
        told = await person.wait_for(lambda t: UNAVAILABLE in t)
        assert f"#log-dm-{dom_key(other)}" in told  # in the thread itself
    await bob.say("still here", channel="@alice")
    await alice.wait_for(lambda t: "still here" in t)
    await alice.send(action="history-partners")
    await alice.wait_for(lambda t: "History is unavailable right now. Please try again later." in t)

    postgres.start()
    for person in (alice, bob):
        await person.wait_for(lambda t: BACK in t, timeout=30)
    await alice.say("after", channel="@bob")
    await bob.wait_for(lambda t: "after" in t)
    saved = await eventually(lambda: len(texts := saved_texts(two, "bob", "alice")) == 4 and texts)
    # newest first; what was sent while PostgreSQL was down was kept, and saved when it came back
    assert saved == ["<p>after</p>", "<p>still here</p>", "<p>while it is down</p>", "<p>before</p>"]
    for server in (one, two):
        assert server.process is not None and server.process.poll() is None
        assert "Traceback" not in server.log()
    assert "history: lost PostgreSQL" in one.log()
