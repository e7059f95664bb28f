"""Budget counters: atomic check-and-reserve across every scope of a request.

A counter is identified by ``CounterKey(budget name, period start)`` and holds
``spent`` and ``reserved`` integer nanos. A new period is a new key, so a
rollover never has to reset anything; old keys expire (Redis TTL).

Contract (both implementations):

* ``reserve(items, amount)`` is atomic across ALL items. If any counter is
  cold (absent) nothing changes and the outcome lists the cold keys (the
  caller seeds them from the ledger and retries). Otherwise, if any enforcing
  item (``limit_nanos`` not ``None``) has ``spent + reserved >= limit``,
  nothing changes and the outcome names it. Otherwise ``amount`` is added to
  ``reserved`` of every item. Admitting while below 100 % gives the documented
  bound: admitted spend <= limit + the largest single reservation in flight.
* ``settle(keys, reserved_amount, actual_amount)`` moves one reservation to
  spend atomically and returns the new ``spent`` per key. A key that expired
  meanwhile is skipped (not re-created with a wrong value): the ledger row is
  the truth and the next seed picks it up.
* ``seed(key, spent, ttl)`` sets a counter only if absent: idempotent, never
  additive, so two replicas seeding the same cold counter cannot double it.
* ``read(keys)`` returns the existing counters (absent ones are left out).

``MemoryCounters`` serves one process; ``RedisCounters`` serves replicas
with one Lua script per reservation and one per settlement.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:  # redis is imported only when redis_url is set
    from redis.asyncio import Redis


class CounterKey(NamedTuple):
    """One budget's counter for the period starting at ``period_start`` (epoch s).

    A named tuple: it is hashed several times per reservation and settlement
    (dict keys of the counters and plans), and a tuple's hash and equality are
    C code where a dataclass's are Python functions."""

    budget: str
    period_start: int


class ReserveItem(NamedTuple):
    """A counter to reserve on; ``limit_nanos`` ``None`` = count but never refuse."""

    key: CounterKey
    limit_nanos: int | None


@dataclass(frozen=True, slots=True)
class CounterValue:
    spent: int
    reserved: int


@dataclass(frozen=True, slots=True)
class ReserveOutcome:
    """Exactly one of: ``cold`` non-empty, ``refused`` set, or ``admitted``.

    ``values`` holds the counters after an admitted reservation, or the
    refused counter's value; callers keep them as "last known" state.
    """

    cold: tuple[CounterKey, ...] = ()
    refused: CounterKey | None = None
    values: Mapping[CounterKey, CounterValue] = field(default_factory=dict)

    @property
    def admitted(self) -> bool:
        return not self.cold and self.refused is None


class BudgetCounters(Protocol):
    async def reserve(self, items: Sequence[ReserveItem], amount: int) -> ReserveOutcome: ...

    async def settle(
        self, keys: Sequence[CounterKey], reserved_amount: int, actual_amount: int
    ) -> dict[CounterKey, int]: ...

    async def seed(self, key: CounterKey, spent_nanos: int, ttl_seconds: float) -> None:
        """``ttl_seconds`` <= 0 means the counter never expires (total budgets)."""

    async def read(self, keys: Sequence[CounterKey]) -> dict[CounterKey, CounterValue]: ...


class MemoryCounters:
    """Counters of one process. Atomic because no ``await`` separates the check
    from the update; expired counters are dropped lazily (``now`` = wall clock).
    ``reserve_now``/``settle_now`` are the same operations as plain calls, for
    the guard's hot path (no coroutine, no task)."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._counters: dict[CounterKey, list[int]] = {}  # [spent, reserved]
        self._expires: dict[CounterKey, float] = {}

    def _live(self, key: CounterKey) -> list[int] | None:
        expires = self._expires.get(key)
        if expires is not None and expires <= self._now():
            self._counters.pop(key, None)
            self._expires.pop(key, None)
        return self._counters.get(key)

    async def reserve(self, items: Sequence[ReserveItem], amount: int) -> ReserveOutcome:
        return self.reserve_now(items, amount)

    def reserve_now(self, items: Sequence[ReserveItem], amount: int) -> ReserveOutcome:
        """``reserve`` without a coroutine (nothing here waits)."""
        cold = tuple(item.key for item in items if self._live(item.key) is None)
        if cold:
            return ReserveOutcome(cold=cold)
        for key, limit in items:
            spent, reserved = self._counters[key]
            if limit is not None and spent + reserved >= limit:
                return ReserveOutcome(refused=key, values={key: CounterValue(spent, reserved)})
        values: dict[CounterKey, CounterValue] = {}
        for key, _limit in items:
            counter = self._counters[key]
            counter[1] += amount
            values[key] = CounterValue(counter[0], counter[1])
        return ReserveOutcome(values=values)

    async def settle(
        self, keys: Sequence[CounterKey], reserved_amount: int, actual_amount: int
    ) -> dict[CounterKey, int]:
        return self.settle_now(keys, reserved_amount, actual_amount)

    def settle_now(
        self, keys: Sequence[CounterKey], reserved_amount: int, actual_amount: int
    ) -> dict[CounterKey, int]:
        """``settle`` without a coroutine: the guard settles in place, no task."""
        spent: dict[CounterKey, int] = {}
        for key in keys:
            counter = self._live(key)
            if counter is None:
                continue
            counter[1] = max(0, counter[1] - reserved_amount)
            counter[0] += actual_amount
            spent[key] = counter[0]
        return spent

    async def seed(self, key: CounterKey, spent_nanos: int, ttl_seconds: float) -> None:
        if self._live(key) is not None:
            return
        self._counters[key] = [spent_nanos, 0]
        if ttl_seconds > 0:
            self._expires[key] = self._now() + ttl_seconds

    async def read(self, keys: Sequence[CounterKey]) -> dict[CounterKey, CounterValue]:
        found: dict[CounterKey, CounterValue] = {}
        for key in keys:
            counter = self._live(key)
            if counter is not None:
                found[key] = CounterValue(counter[0], counter[1])
        return found


# KEYS: counter hashes. ARGV[1]: amount; ARGV[1 + i]: limit of KEYS[i], "" = none.
# Returns {0, spent1, reserved1, ...} admitted; {1, i, ...} cold; {2, i, spent, reserved}.
_RESERVE = """
local cold = {1}
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 0 then cold[#cold + 1] = i end
end
if #cold > 1 then return cold end
for i, key in ipairs(KEYS) do
  local limit = ARGV[i + 1]
  if limit ~= '' then
    local v = redis.call('HMGET', key, 'spent', 'reserved')
    local spent = tonumber(v[1]) or 0
    local reserved = tonumber(v[2]) or 0
    if spent + reserved >= tonumber(limit) then return {2, i, spent, reserved} end
  end
end
local out = {0}
for _, key in ipairs(KEYS) do
  local reserved = redis.call('HINCRBY', key, 'reserved', ARGV[1])
  out[#out + 1] = tonumber(redis.call('HGET', key, 'spent')) or 0
  out[#out + 1] = reserved
end
return out
"""

# KEYS: counter hashes. ARGV[1]: reserved amount, ARGV[2]: actual amount.
# Returns the new spent per key, -1 for a key that no longer exists.
_SETTLE = """
local out = {}
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    local reserved = redis.call('HINCRBY', key, 'reserved', -tonumber(ARGV[1]))
    if reserved < 0 then redis.call('HSET', key, 'reserved', 0) end
    out[#out + 1] = redis.call('HINCRBY', key, 'spent', ARGV[2])
  else
    out[#out + 1] = -1
  end
end
return out
"""

# KEYS[1]: counter hash. ARGV[1]: spent, ARGV[2]: ttl seconds (0 = none).
# HSETNX makes it set-if-absent: a concurrent second seed changes nothing.
_SEED = """
if redis.call('HSETNX', KEYS[1], 'spent', ARGV[1]) == 1 then
  redis.call('HSETNX', KEYS[1], 'reserved', 0)
  local ttl = tonumber(ARGV[2])
  if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
  return 1
end
return 0
"""


class _Script:
    """EVALSHA by the locally computed SHA1; on NOSCRIPT (first use, or after a
    SCRIPT FLUSH / failover) EVAL, which also caches the script server-side."""

    def __init__(self, client: Redis, source: str) -> None:
        from redis.exceptions import NoScriptError  # here: redis loads only with redis_url

        self._no_script = NoScriptError
        self._client = client
        self._source = source
        self._sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, keys: Sequence[str], args: Sequence[int | str]) -> Any:
        try:
            return await self._client.evalsha(self._sha, len(keys), *keys, *args)
        except self._no_script:
            return await self._client.eval(self._source, len(keys), *keys, *args)


class RedisCounters:
    """Counters shared by replicas: hashes ``{prefix}budget:{name}:{start}`` with
    fields ``spent``/``reserved``. Every multi-key operation is one Lua script,
    so it is atomic on the server. (On Redis Cluster the keys of one request
    would need a common hash tag; this targets a single primary.)

    Lua numbers are doubles: comparisons are exact up to 2**53 nanos (~9e6
    currency units per counter); the stored values themselves are int64.
    """

    def __init__(self, client: Redis, prefix: str = "llmgw:") -> None:
        self._client = client
        self._prefix = prefix
        self._reserve = _Script(client, _RESERVE)
        self._settle = _Script(client, _SETTLE)
        self._seed = _Script(client, _SEED)

    def redis_key(self, key: CounterKey) -> str:
        return f"{self._prefix}budget:{key.budget}:{key.period_start}"

    async def reserve(self, items: Sequence[ReserveItem], amount: int) -> ReserveOutcome:
        keys = [self.redis_key(item.key) for item in items]
        limits = ["" if item.limit_nanos is None else str(item.limit_nanos) for item in items]
        result = [int(v) for v in await self._reserve(keys, [amount, *limits])]
        status = result[0]
        if status == 1:
            return ReserveOutcome(cold=tuple(items[i - 1].key for i in result[1:]))
        if status == 2:
            key = items[result[1] - 1].key
            return ReserveOutcome(refused=key, values={key: CounterValue(result[2], result[3])})
        return ReserveOutcome(
            values={
                item.key: CounterValue(result[1 + 2 * n], result[2 + 2 * n])
                for n, item in enumerate(items)
            }
        )

    async def settle(
        self, keys: Sequence[CounterKey], reserved_amount: int, actual_amount: int
    ) -> dict[CounterKey, int]:
        if not keys:
            return {}
        result = await self._settle(
            [self.redis_key(k) for k in keys], [reserved_amount, actual_amount]
        )
        return {key: int(v) for key, v in zip(keys, result, strict=True) if int(v) >= 0}

    async def seed(self, key: CounterKey, spent_nanos: int, ttl_seconds: float) -> None:
        ttl = max(0, int(ttl_seconds))
        await self._seed([self.redis_key(key)], [spent_nanos, ttl])

    async def read(self, keys: Sequence[CounterKey]) -> dict[CounterKey, CounterValue]:
        if not keys:
            return {}
        async with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(self.redis_key(key), ["spent", "reserved"])
            rows = await pipe.execute()
        found: dict[CounterKey, CounterValue] = {}
        for key, (spent, reserved) in zip(keys, rows, strict=True):
            if spent is not None:
                found[key] = CounterValue(int(spent), int(reserved or 0))
        return found
