"""After everyone leaves, the room keeps nothing about them, a site member who left first
included: on both brokers, the Redis one against a real redis-server (issue 22). The room runs
in this process with plain outlets, so each table can be looked at directly."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from app.broker import broker_for
from app.broker.redis import RedisBroker
from app.chat.frames import HangUp, OpenFeed, OpenThread, PostMessage, SessionDescription, SetCamera
from app.chat.model import Identity
from app.chat.room import Room
from app.settings import RedisSettings, settings_for_tests
from tests.support import RedisServer


class Inbox:
    def __init__(self, name: str, *, signed_in: bool = False) -> None:
        self.identity = Identity(name=name, sid=uuid.uuid4().hex, signed_in=signed_in)
        self.conn_id = uuid.uuid4().hex
        self.threads: set[str] = set()
        self.html: list[str] = []

    def send_html(self, html: str) -> bool:
        self.html.append(html)
        return True

    def send_data(self, data: str) -> bool:
        return True

    def close(self, code: int, reason: str) -> None:
        pass


@pytest.fixture(params=["memory", "redis"])
async def room(request: pytest.FixtureRequest) -> AsyncIterator[Room]:
    settings = settings_for_tests()
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("shared_redis")
        settings = settings_for_tests(redis=RedisSettings(url=redis.url, prefix=f"test-{uuid.uuid4().hex[:8]}"))
    broker = broker_for(settings)
    room = Room(settings, broker.bus, broker.registry, broker.messages)
    await room.start()
    yield room
    await room.close()


async def test_the_room_is_empty_after_everyone_leaves(room: Room) -> None:
    star, bob = Inbox("star", signed_in=True), Inbox("bob")
    carol, dave = Inbox("carol", signed_in=True), Inbox("dave")
    for outlet in (star, bob, carol, dave):
        assert await room.enter(outlet)
    await room.handle(star, SetCamera(camera="on"))
    await room.handle(bob, OpenFeed(username="star"))
    offer = {"type": "offer", "sdp": "v=0"}
    await room.handle(star, SessionDescription(username="bob", feed="star", description=offer))
    await room.handle(dave, OpenFeed(username="star"))
    await room.handle(dave, HangUp(username="star", feed="star"))
    await room.handle(bob, PostMessage(channel="@carol", text="hello"))
    await room.handle(dave, OpenThread(username="carol"))
    await room.handle(carol, PostMessage(channel="@star", text="hi"))
    await room.leave(carol)  # a site member leaves first: the others keep her thread on screen
    for outlet in (star, bob, dave):
        await room.leave(outlet)
    assert room.table_sizes() == dict.fromkeys(room.table_sizes(), 0)
    if isinstance(room.bus, RedisBroker):
        assert room.bus.presence.view == {} and room.bus.presence.local == {}
