"""The Redis side of presence: key names, and the Lua scripts that change them atomically.

Keys, all starting with the configured prefix P:

- `P:events` — the pub/sub channel every process publishes to and listens on.
- `P:holder` — hash: username -> "<process id> <connection id>" of whoever holds the name.
- `P:members` — hash: username -> the member's JSON (name, camera, op...).
- `P:names:<process>` — set: the names a process holds (so a dead process's users can be found).
- `P:processes` — set: the ids of processes that have announced themselves.
- `P:alive:<process>` — a string with an expiry, renewed by the process's heartbeat.
- `P:bans` — sorted set: casefolded username -> the epoch time the ban ends.
- `P:ring:<ring>` — list: the ids of a ring's recent posts, newest first (a channel id, or `@`
  for every direct message), trimmed to its size by `RECORD`.
- `P:msg:<id>` — string: one post's JSON (`chat/posts.py`), reactions and version included;
  deleted when it leaves its ring or is taken back, and expiring after a day in any case.
- `P:revoked:<session id>` — a string with an expiry: that session was signed out, kicked or
  banned, and its cookie is refused until it would have expired anyway.
- `P:signins:<address>` — a counter with an expiry: sign-ins from that address this minute.
- `P:session:<sid>` — a string with an expiry: what one sign-in keeps across reconnects
  (its mutes, blocks and status: `SessionState` as JSON).
- `P:siteblocks` — hash: casefolded member name -> the host site's blocklist for them (JSON).
- `P:pic:<key>`, `P:pictures`, `P:pictures:sizes`, `P:pictures:used` — shared pictures and
  their bound (`redis_pictures.py`).

A name belongs to whoever holds it only while their process's `alive` key exists: `claim` takes
a name from a dead process at once, and `sweep` (run by every process each heartbeat) removes
the users of processes whose `alive` key has expired, so everyone can announce that they left.
The scripts build the per-process key names from the prefix, so they need a single Redis
(not Redis Cluster).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str

    @property
    def events(self) -> str:
        return f"{self.prefix}:events"

    @property
    def members(self) -> str:
        return f"{self.prefix}:members"

    @property
    def bans(self) -> str:
        return f"{self.prefix}:bans"

    @property
    def holders(self) -> str:
        return f"{self.prefix}:holder"

    def ring(self, name: str) -> str:
        return f"{self.prefix}:ring:{name}"

    def message(self, message_id: str) -> str:
        return f"{self.prefix}:msg:{message_id}"

    @property
    def site_blocks(self) -> str:
        return f"{self.prefix}:siteblocks"

    def session(self, sid: str) -> str:
        return f"{self.prefix}:session:{sid}"

    def names(self, process: str) -> str:
        return f"{self.prefix}:names:{process}"

    def alive(self, process: str) -> str:
        return f"{self.prefix}:alive:{process}"

    def revoked(self, sid: str) -> str:
        return f"{self.prefix}:revoked:{sid}"

    def sign_ins(self, address: str) -> str:
        return f"{self.prefix}:signins:{address}"


# ARGV: prefix, name, conn to replace ("" for none), process, conn, member JSON.
# Returns nil when the name is now ours, else the JSON of the member who holds it.
CLAIM = """
local p, name, replacing, process, conn, json = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local holder = redis.call('HGET', p .. ':holder', name)
if holder then
  local hprocess, hconn = string.match(holder, '^(%S+) (%S+)$')
  if hconn ~= replacing and redis.call('EXISTS', p .. ':alive:' .. hprocess) == 1 then
    return redis.call('HGET', p .. ':members', name)
  end
  redis.call('SREM', p .. ':names:' .. hprocess, name)
end
redis.call('HSET', p .. ':holder', name, process .. ' ' .. conn)
redis.call('HSET', p .. ':members', name, json)
redis.call('SADD', p .. ':names:' .. process, name)
return nil
"""

# ARGV: prefix, name, process, conn, member JSON. Updates the member if that connection holds the name.
STORE = """
local p, name, process, conn, json = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('HGET', p .. ':holder', name) == process .. ' ' .. conn then
  redis.call('HSET', p .. ':members', name, json)
  return 1
end
return 0
"""

# ARGV: prefix, name, process, conn. Frees the name if that connection holds it; 1 when it did.
RELEASE = """
local p, name, process, conn = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('HGET', p .. ':holder', name) == process .. ' ' .. conn then
  redis.call('HDEL', p .. ':holder', name)
  redis.call('HDEL', p .. ':members', name)
  redis.call('SREM', p .. ':names:' .. process, name)
  return 1
end
return 0
"""

# ARGV: prefix, process, expiry in ms. Renews the process's alive key; 1 if it was still there.
HEARTBEAT = """
local p, process, ttl = ARGV[1], ARGV[2], ARGV[3]
local before = redis.call('SET', p .. ':alive:' .. process, '1', 'PX', ttl, 'GET')
redis.call('SADD', p .. ':processes', process)
if before then return 1 end
return 0
"""

# ARGV: prefix. Removes the users of every process whose alive key expired.
# Returns a flat list: name, conn, name, conn...
SWEEP = """
local p = ARGV[1]
local removed = {}
for _, process in ipairs(redis.call('SMEMBERS', p .. ':processes')) do
  if redis.call('EXISTS', p .. ':alive:' .. process) == 0 then
    for _, name in ipairs(redis.call('SMEMBERS', p .. ':names:' .. process)) do
      local holder = redis.call('HGET', p .. ':holder', name)
      if holder and string.sub(holder, 1, #process + 1) == process .. ' ' then
        redis.call('HDEL', p .. ':holder', name)
        redis.call('HDEL', p .. ':members', name)
        table.insert(removed, name)
        table.insert(removed, string.sub(holder, #process + 2))
      end
    end
    redis.call('DEL', p .. ':names:' .. process)
    redis.call('SREM', p .. ':processes', process)
  end
end
return removed
"""

# ARGV: prefix, ring, id, post JSON, how many the ring keeps, expiry in seconds.
# Adds the post in front of its ring and deletes the posts that fall off its end.
RECORD = """
local p, ring, id, json, keep, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
local list = p .. ':ring:' .. ring
redis.call('SET', p .. ':msg:' .. id, json, 'EX', ttl)
redis.call('LPUSH', list, id)
for _, old in ipairs(redis.call('LRANGE', list, keep, -1)) do
  redis.call('DEL', p .. ':msg:' .. old)
end
redis.call('LTRIM', list, 0, keep - 1)
redis.call('EXPIRE', list, ttl)
return 1
"""
