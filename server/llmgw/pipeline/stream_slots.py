"""Counters of open streams, for the per-tenant (and per-key) concurrency caps.

``StreamSlots`` is the port: ``acquire(scope, cap)`` takes one slot of
``scope`` if fewer than ``cap`` are held and returns a token, else ``None``;
``release(scope, token)`` gives it back (idempotent).

* ``LocalSlots``: a dict of counters in this process (one replica).
* ``RedisSlots``: one sorted set per scope, shared by every replica; each
  member is a slot whose score is the time it expires. A slot is normally
  removed by ``release``; if its replica crashes (or the release is lost)
  the slot expires after ``ttl`` seconds and stops counting, so a dead
  replica cannot hold a tenant's capacity forever. Acquire is one Lua script
  (drop expired, count, add), so replicas never overshoot the cap; a stream
  that outlives ``ttl`` stops counting (set ``ttl`` above the longest
  stream: the request deadline). Time is the Redis server's own clock.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # redis is imported only when redis_url is set
    from redis.asyncio import Redis


class StreamSlots(Protocol):
    async def acquire(self, scope: str, cap: int) -> str | None: ...

    async def release(self, scope: str, token: str) -> None: ...


class LocalSlots:
    """In-process counters: exact for one replica, nothing to expire."""

    def __init__(self) -> None:
        self._held: dict[str, set[str]] = {}

    async def acquire(self, scope: str, cap: int) -> str | None:
        held = self._held.setdefault(scope, set())
        if len(held) >= cap:
            return None
        token = uuid.uuid4().hex
        held.add(token)
        return token

    async def release(self, scope: str, token: str) -> None:
        held = self._held.get(scope)
        if held is not None:
            held.discard(token)
            if not held:
                del self._held[scope]

    def held(self, scope: str) -> int:
        return len(self._held.get(scope, ()))


_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return 1
"""


class RedisSlots:
    """Slots shared by replicas (see the module docstring for the TTL rule)."""

    def __init__(self, redis: Redis, prefix: str = "llmgw:", ttl: float = 900.0) -> None:
        self._redis = redis
        self._prefix = f"{prefix}streams:"
        self._ttl = ttl
        self._script = redis.register_script(_ACQUIRE)

    async def acquire(self, scope: str, cap: int) -> str | None:
        token = uuid.uuid4().hex
        taken = await self._script(keys=[self._prefix + scope], args=[cap, self._ttl, token])
        return token if int(taken) else None

    async def release(self, scope: str, token: str) -> None:
        await self._redis.zrem(self._prefix + scope, token)

    async def held(self, scope: str) -> int:
        return int(await self._redis.zcard(self._prefix + scope))


__all__ = ["LocalSlots", "RedisSlots", "StreamSlots"]
