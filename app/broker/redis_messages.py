"""The message store on Redis: every process sees the same recent posts and reactions.

A ring is a list of post ids (`P:ring:<ring>`), a post a JSON string (`P:msg:<id>`); both
expire after a day at the latest. Recording is one Lua script (push, trim, delete what fell
off); a reaction is an optimistic transaction (WATCH the post, toggle it in Python with the
same `toggle_reaction` as the memory store, write it back, retry if someone else changed it
meanwhile), so two reactions at once on two processes both count and their versions differ.

While Redis is away nothing is recorded, the history is empty, and reacting or taking back
says to try again (`StoreUnavailable`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from app.broker.redis_scripts import RECORD, Keys
from app.chat.ports import StoreUnavailable
from app.chat.posts import Post, post_from_json, post_to_json, toggle_reaction

log = logging.getLogger("app.broker.redis")

POST_TTL_SECONDS = 24 * 3600
Command = Callable[[Callable[[Redis], Awaitable[Any]]], Awaitable[Any]]


class RedisMessages:
    def __init__(self, keys: Keys, command: Command, offline: type[Exception]) -> None:
        self.keys = keys
        self._command = command
        self._offline = offline

    async def _run(self, call: Callable[[Redis], Awaitable[Any]]) -> Any:
        try:
            return await self._command(call)
        except self._offline:
            raise StoreUnavailable from None

    async def record(self, post: Post, keep: int) -> None:
        args: list[str | int] = [
            self.keys.prefix,
            post.ring,
            post.id,
            post_to_json(post).decode(),
            keep,
            POST_TTL_SECONDS,
        ]
        try:
            await self._run(lambda client: client.eval(RECORD, 0, *args))
        except StoreUnavailable:
            log.debug("Redis away: post %s not recorded", post.id)

    async def recent(self, ring: str, count: int) -> list[Post]:
        if count <= 0:
            return []
        try:
            ids = await self._run(lambda client: client.lrange(self.keys.ring(ring), 0, count - 1))
            if not ids:
                return []
            rows = await self._run(lambda client: client.mget([self.keys.message(i) for i in ids]))
        except StoreUnavailable:
            return []
        return [post_from_json(row) for row in reversed(rows) if row is not None]

    async def find(self, message_id: str) -> Post | None:
        row = await self._run(lambda client: client.get(self.keys.message(message_id)))
        return None if row is None else post_from_json(row)

    async def remove(self, message_id: str) -> Post | None:
        row = await self._run(lambda client: client.getdel(self.keys.message(message_id)))
        if row is None:
            return None
        post = post_from_json(row)
        await self._run(lambda client: client.lrem(self.keys.ring(post.ring), 1, message_id))
        return post

    async def react(self, message_id: str, emoji: str, name: str, max_distinct: int) -> Post | None:
        key = self.keys.message(message_id)

        async def transaction(client: Redis) -> Post | None:
            async with client.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(key)
                        row = await pipe.get(key)
                        if row is None:
                            return None
                        post = toggle_reaction(post_from_json(row), emoji, name, max_distinct)
                        pipe.multi()  # type: ignore[no-untyped-call]
                        pipe.set(key, post_to_json(post), keepttl=True)
                        await pipe.execute()
                        return post
                    except WatchError:
                        continue

        result: Post | None = await self._run(transaction)
        return result
