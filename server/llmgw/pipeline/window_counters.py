"""The sliding-window counters caller limits count with, on precomputed keys.

``WindowCounters`` does what the ``limits`` library's
``SlidingWindowCounterRateLimiter`` does (``test``, ``hit``,
``get_window_stats``) but on a ``Counter`` whose storage key was built once,
when the caller's limits were planned, instead of by ``key_for`` on every
call. The key is the same string ``key_for`` builds, and on any storage it
makes the same storage calls as the library's limiter: on Redis the same keys
and Lua scripts, so replicas sharing limits behave exactly as before.

``LocalWindowStorage`` is the one-replica store (no Redis). The library's
async ``MemoryStorage`` takes an ``asyncio.Lock`` per key, awaits a ``get``
inside every ``incr`` and starts a new expiry task about once per call; this
subclass keeps its sliding-window semantics and key format (the counters are
the same ``storage``/``expirations`` dicts) but counts synchronously: the read
and the write of a hit have no ``await`` between them, so one event loop needs
no lock, and a hit is an atomic check-and-add by construction. Expiry is lazy
(a counter read after its expiry counts 0 and is dropped) plus a bounded sweep
on every new counter: counters are kept in a heap by expiry, and each new one
drops at most ``SWEEP_BATCH`` expired others, so memory stays bounded by the
counters of live windows without any timer task. ``WindowCounters`` calls its
synchronous ``window``/``acquire`` directly; the async storage methods remain
for anything that uses it as a ``limits`` storage.

Time: windows are keyed by ``time.time()`` of this module (epoch seconds, as
the library's are); tests freeze it here and in the library
(``tests/window_clock.py``). Reset times in ``get_window_stats`` are on the
real clock, as the library's limiter computes them.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.storage.base import SlidingWindowCounterSupport
from limits.util import WindowStats

SWEEP_BATCH = 64  # expired counters dropped at most per new counter
_reset_clock = time.time  # reset times: real epoch seconds, as the library's strategies


@dataclass(frozen=True, slots=True)
class Counter:
    """One sliding window of one subject: ``key`` is ``item.key_for(*ids)``."""

    key: str
    limit: int
    expiry: int  # window length, seconds

    @classmethod
    def of(cls, item: RateLimitItem, *ids: str) -> Counter:
        return cls(item.key_for(*ids), item.amount, item.get_expiry())


class LocalWindowStorage(MemoryStorage):
    """``MemoryStorage`` for one event loop, without locks or expiry tasks
    (see the module docstring). Counters only: the moving-window methods are
    the library's, unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self._expiring: list[tuple[float, str]] = []  # (expires at, key), a heap

    def _count(self, key: str, now: float) -> int:
        """The counter of ``key``; 0 (and dropped) once expired, as ``MemoryStorage.get``."""
        if self.expirations.get(key, 0) <= now:
            if key in self.storage:
                del self.storage[key]
            self.expirations.pop(key, None)
            return 0
        return self.storage[key]

    def _add(self, key: str, expiry: float, amount: int, now: float) -> int:
        """``MemoryStorage.incr``: a counter's expiry is set when it starts."""
        count = self._count(key, now) + amount
        self.storage[key] = count
        if count == amount:
            expires = now + expiry
            self.expirations[key] = expires
            heapq.heappush(self._expiring, (expires, key))
            self._sweep(now)
        return count

    def _sweep(self, now: float) -> None:
        expiring, swept = self._expiring, 0
        while expiring and expiring[0][0] <= now and swept < SWEEP_BATCH:
            expires, key = heapq.heappop(expiring)
            swept += 1
            if self.expirations.get(key) == expires:  # not restarted since
                self.storage.pop(key, None)
                del self.expirations[key]

    def window(self, key: str, expiry: int, now: float) -> tuple[int, float, int, float, str]:
        """``get_sliding_window`` plus the current window's key."""
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous = self._count(previous_key, now)
        current = self._count(current_key, now)
        previous_ttl = 0.0 if previous == 0 else (1 - (((now - expiry) / expiry) % 1)) * expiry
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous, previous_ttl, current, current_ttl, current_key

    def acquire(self, key: str, limit: int, expiry: int, amount: int) -> bool:
        """``acquire_sliding_window_entry``, synchronously: refuse (counting
        nothing) if ``amount`` more would pass ``limit``, else count it. The
        library re-checks after its ``incr`` for a concurrent hit; with no
        ``await`` in between there is none."""
        if amount > limit:
            return False
        now = time.time()
        previous, previous_ttl, current, _, current_key = self.window(key, expiry, now)
        if math.floor(previous * previous_ttl / expiry + current) + amount > limit:
            return False
        self._add(current_key, 2 * expiry, amount, now)
        return True

    # ----- the async storage API (``limits`` strategies), same work ------------

    async def get(self, key: str) -> int:
        return self._count(key, time.time())

    async def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        return self._add(key, expiry, amount, time.time())

    async def decr(self, key: str, amount: int = 1) -> int:
        count = max(self._count(key, time.time()) - amount, 0)
        self.storage[key] = count
        return count

    async def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        return self.window(key, expiry, time.time())[:4]

    async def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        return self.acquire(key, limit, expiry, amount)


class WindowCounters:
    """``SlidingWindowCounterRateLimiter`` on ``Counter`` keys (module docstring)."""

    def __init__(self, storage: Storage) -> None:
        if not isinstance(storage, SlidingWindowCounterSupport):
            raise NotImplementedError(f"no sliding windows in {type(storage).__name__}")
        self._storage: SlidingWindowCounterSupport = storage
        self._local = storage if isinstance(storage, LocalWindowStorage) else None

    async def _window(self, counter: Counter) -> tuple[int, float, int, float]:
        if self._local is not None:
            return self._local.window(counter.key, counter.expiry, time.time())[:4]
        return await self._storage.get_sliding_window(counter.key, counter.expiry)

    async def test(self, counter: Counter, cost: int = 1) -> bool:
        """Whether ``cost`` more fits now (counts nothing)."""
        previous, previous_ttl, current, _ = await self._window(counter)
        weighted = previous * previous_ttl / counter.expiry + current
        return weighted < counter.limit - cost + 1

    async def hit(self, counter: Counter, cost: int = 1) -> bool:
        """Count ``cost`` if it fits (an atomic check-and-add), else count nothing."""
        if self._local is not None:
            return self._local.acquire(counter.key, counter.limit, counter.expiry, cost)
        return await self._storage.acquire_sliding_window_entry(
            counter.key, counter.limit, counter.expiry, cost
        )

    async def get_window_stats(self, counter: Counter) -> WindowStats:
        """(reset time in epoch seconds, remaining), as the library computes them."""
        previous, previous_ttl, current, current_ttl = await self._window(counter)
        expiry = counter.expiry
        weighted = previous * previous_ttl / expiry + current
        remaining = max(0, counter.limit - math.floor(weighted))
        now = _reset_clock()
        if not (previous or current):
            return WindowStats(now, remaining)
        previous_reset = previous_ttl % (expiry / previous) if previous else math.inf
        current_reset = current_ttl % expiry if current else math.inf
        return WindowStats(now + min(previous_reset, current_reset), remaining)


__all__ = ["SWEEP_BATCH", "Counter", "LocalWindowStorage", "WindowCounters"]
