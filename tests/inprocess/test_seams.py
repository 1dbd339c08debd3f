"""The seams between the parts: after everyone has left, nothing of them is left anywhere —
not in the room, not in the signalling relay, not in the app's connections, not in the broker's
registry (in memory, or in Redis with its keys)."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from app.broker.redis import RedisBroker
from tests.inprocess.chat import InProcessChat, InProcessClient


async def busy_evening(chat: InProcessChat) -> list[InProcessClient]:
    """Three people who talk in a channel and by DM, and watch each other's cameras."""
    alice, bob, carol = [await chat.join(name) for name in ("alice", "bob", "carol")]
    await alice.send(action="me", camera="on")
    await bob.wait_for(lambda text: 'aria-label="Watch alice"' in text)
    await bob.send(action="open", username="alice")
    await alice.wait_for(lambda text: text.startswith("{") and json.loads(text)["signal"] == "ring")
    await carol.send(action="open", username="alice")
    await alice.say("hello all")
    await alice.say("just you", channel="@bob")
    await carol.send(action="thread", username="alice")
    await bob.wait_for(lambda text: "just you" in text)
    await bob.send(action="typing", channel="lobby")
    await alice.send(action="typing", channel="@bob")
    await bob.wait_for(lambda text: "alice</strong> is typing" in text)
    await carol.wait_for(lambda text: "bob</strong> is typing" in text)
    return [alice, bob, carol]


async def test_after_everyone_leaves_nothing_of_them_is_left(chat: InProcessChat) -> None:
    people = await busy_evening(chat)
    room, state = chat.state.room, chat.state
    assert room.table_sizes()["roster"] == 3 and room.signals.connection_count() > 0
    for person in people:
        await person.leave()
    for _ in range(50):  # the last leaves are published and applied by now, or soon
        if not any(room.table_sizes().values()) and not state.connections:
            break
        await people[0].quiet(0.05)
    assert room.table_sizes() == dict.fromkeys(room.table_sizes(), 0)
    assert state.connections == set()
    assert await room.registry.members() == []
    broker = state.broker.registry
    if isinstance(broker, RedisBroker):
        assert broker.presence.view == {} and broker.presence.local == {}
        redis = Redis.from_url(broker.settings.url, decode_responses=True)
        try:
            keys = broker.keys
            assert await redis.hlen(keys.holders) == 0
            assert await redis.hlen(keys.members) == 0
            assert await redis.scard(keys.names(broker.process_id)) == 0
        finally:
            await redis.aclose()
