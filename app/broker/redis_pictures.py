"""Shared pictures in Redis, so that any process serves a picture uploaded on any other.

Keys, all starting with the prefix P:

- `P:pic:<key>` — string with an expiry (`[Photos] KeepMinutes`): the content type, a newline,
  then the bytes the server encoded.
- `P:pictures` — sorted set: key -> the epoch milliseconds it expires at (oldest first).
- `P:pictures:sizes` — hash: key -> its bytes as stored (type line included); `P:pictures:used` —
  their sum.

`PUT` drops the expired entries, then the oldest until the new one fits in the bound
(`[Photos] StoreMegabytes`), and stores it, in one script. Bytes travel as they are: this module
has its own connection that does not decode responses (the broker's decodes them as text).
While Redis is away an upload is refused (`StoreUnavailable`) and a picture is not found.
"""

from __future__ import annotations

import contextlib
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.chat.ports import StoreUnavailable

TIMEOUT = 5.0

_DROP = """
local function drop(prefix, member)
  local size = tonumber(redis.call('HGET', prefix .. ':pictures:sizes', member) or '0')
  redis.call('HDEL', prefix .. ':pictures:sizes', member)
  redis.call('ZREM', prefix .. ':pictures', member)
  redis.call('DEL', prefix .. ':pic:' .. member)
  if size > 0 then redis.call('DECRBY', prefix .. ':pictures:used', size) end
end
"""

# ARGV: prefix, key, value, ttl in ms, now in epoch ms, capacity in bytes
PUT = (
    _DROP
    + """
local prefix, key, value = ARGV[1], ARGV[2], ARGV[3]
local ttl, now, capacity = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
drop(prefix, key)
for _, member in ipairs(redis.call('ZRANGEBYSCORE', prefix .. ':pictures', '-inf', now)) do drop(prefix, member) end
local size = string.len(value)
while tonumber(redis.call('GET', prefix .. ':pictures:used') or '0') + size > capacity do
  local oldest = redis.call('ZRANGE', prefix .. ':pictures', 0, 0)
  if #oldest == 0 then break end
  drop(prefix, oldest[1])
end
redis.call('SET', prefix .. ':pic:' .. key, value, 'PX', ttl)
redis.call('ZADD', prefix .. ':pictures', now + ttl, key)
redis.call('HSET', prefix .. ':pictures:sizes', key, size)
redis.call('INCRBY', prefix .. ':pictures:used', size)
return size
"""
)

# ARGV: prefix, key
REMOVE = _DROP + "drop(ARGV[1], ARGV[2])\nreturn 1\n"


class RedisPictures:
    """The `PictureStore` on Redis (a connection of its own, opened on first use)."""

    def __init__(self, url: str, prefix: str, capacity: int) -> None:
        self.url = url
        self.prefix = prefix
        self.capacity = capacity
        self._client: Redis | None = None

    def _redis(self) -> Redis:
        if self._client is None:
            self._client = Redis.from_url(
                self.url, decode_responses=False, socket_timeout=TIMEOUT, socket_connect_timeout=2.0
            )
        return self._client

    async def put(self, key: str, content_type: str, data: bytes, ttl_seconds: float) -> None:
        value = content_type.encode() + b"\n" + data
        now = int(time.time() * 1000)
        try:
            await self._redis().eval(
                PUT, 0, self.prefix, key, value, max(1, int(ttl_seconds * 1000)), now, self.capacity
            )
        except (RedisError, OSError) as error:
            raise StoreUnavailable(str(error)) from None

    async def get(self, key: str) -> tuple[str, bytes, float] | None:
        name = f"{self.prefix}:pic:{key}"
        try:
            async with self._redis().pipeline(transaction=False) as pipe:
                pipe.get(name)
                pipe.pttl(name)
                value, left = await pipe.execute()
        except (RedisError, OSError):
            return None
        if value is None or left is None or left <= 0:
            return None
        content_type, _, data = bytes(value).partition(b"\n")
        return content_type.decode(), data, left / 1000

    async def remove(self, key: str) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._redis().eval(REMOVE, 0, self.prefix, key)

    async def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._client.aclose()
            self._client = None
