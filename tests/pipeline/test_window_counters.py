"""The in-process sliding windows (``pipeline.window_counters``): the same
counts, keys and refusals as the ``limits`` library's ``MemoryStorage`` on
the same clock, no lock or task per call, bounded memory; and caller limits'
plan cache and one-window admission."""

from __future__ import annotations

import asyncio

import pytest
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from llmgw.domain.clock import SystemClock
from llmgw.domain.errors import RateLimitedError
from llmgw.domain.principal import Principal
from llmgw.pipeline import ratelimit
from llmgw.pipeline.ratelimit import CallerDefaults, CallerLimits, LimitSet
from llmgw.pipeline.window_counters import (
    SWEEP_BATCH,
    Counter,
    LocalWindowStorage,
    WindowCounters,
)
from window_clock import WindowClock


@pytest.fixture
def window(monkeypatch: pytest.MonkeyPatch) -> WindowClock:
    return WindowClock(monkeypatch, start=6_000_000.0)  # a minute boundary


async def test_same_answers_and_counters_as_the_library_memory_storage(window) -> None:
    """One scripted sequence of hits, tests and clock moves through the
    library's limiter on ``MemoryStorage`` and through ``WindowCounters`` on
    ``LocalWindowStorage``: every answer and every stored counter agree."""
    library_storage, local_storage = MemoryStorage(), LocalWindowStorage()
    library = SlidingWindowCounterRateLimiter(library_storage)
    local = WindowCounters(local_storage)
    items = [RateLimitItemPerMinute(10), RateLimitItemPerSecond(3, 5)]
    script = [(0, 4), (1, 3), (0, 1), (1, 1), (0, 6), (1, 2)] * 3
    steps = [7.0, 0.5, 13.0, 31.0, 2.0, 59.0]
    for n, (which, cost) in enumerate(script):
        item = items[which]
        counter = Counter.of(item, "caller", "tenants/t", "rpm")
        assert counter.key == item.key_for("caller", "tenants/t", "rpm")
        assert await local.test(counter, cost) == await library.test(
            item, "caller", "tenants/t", "rpm", cost=cost
        )
        assert await local.hit(counter, cost) == await library.hit(
            item, "caller", "tenants/t", "rpm", cost=cost
        )
        for key in {*library_storage.storage, *local_storage.storage}:
            assert await local_storage.get(key) == await library_storage.get(key)
        window.advance(steps[n % len(steps)])
    await asyncio.sleep(0)  # let the library's expiry task finish before the loop closes


async def test_a_refused_hit_counts_nothing_and_no_task_is_started(window) -> None:
    storage = LocalWindowStorage()
    counters = WindowCounters(storage)
    counter = Counter.of(RateLimitItemPerMinute(5), "c", "tenants/t", "rpm")
    assert await counters.hit(counter, 4)
    before = dict(storage.storage)
    assert not await counters.hit(counter, 2)  # 4 + 2 > 5
    assert dict(storage.storage) == before
    assert await counters.hit(counter, 1)
    assert storage.timer is None and not storage.locks  # no expiry task, no lock
    stats = await counters.get_window_stats(counter)
    assert stats.remaining == 0


async def test_expired_counters_are_swept_in_bounded_batches(window) -> None:
    storage = LocalWindowStorage()
    counters = WindowCounters(storage)
    item = RateLimitItemPerMinute(1)
    for n in range(SWEEP_BATCH + 10):
        assert await counters.hit(Counter.of(item, "c", f"users/{n}", "rpm"))
    assert len(storage.storage) == SWEEP_BATCH + 10
    window.advance(121)  # every counter expired (two windows)
    assert await counters.hit(Counter.of(item, "c", "users/new", "rpm"))
    assert len(storage.storage) == 10 + 1  # one batch dropped, then the new counter
    assert await counters.hit(Counter.of(item, "c", "users/newer", "rpm"))
    new = [Counter.of(item, "c", f"users/{n}", "rpm").key for n in ("new", "newer")]
    assert sorted(storage.storage) == [
        storage.sliding_window_keys(key, 60, window.now)[1] for key in new
    ]
    assert len(storage.expirations) == 2


async def test_an_expired_counter_read_again_counts_zero(window) -> None:
    storage = LocalWindowStorage()
    assert await storage.incr("k", 10, 3) == 3
    assert await storage.get("k") == 3
    window.advance(10)
    assert await storage.get("k") == 0
    assert "k" not in storage.storage and "k" not in storage.expirations


async def test_one_window_admits_with_one_hit_and_a_refusal_consumes_nothing(window) -> None:
    limits = CallerLimits(None, SystemClock(), CallerDefaults(tenant=LimitSet(input_tpm=100)))
    calls: list[str] = []
    limiter = limits._limiter
    hit, test = limiter.hit, limiter.test

    async def counted_hit(counter: Counter, cost: int = 1) -> bool:
        calls.append(f"hit {cost}")
        return await hit(counter, cost)

    async def counted_test(counter: Counter, cost: int = 1) -> bool:
        calls.append(f"test {cost}")
        return await test(counter, cost)

    limiter.hit, limiter.test = counted_hit, counted_test  # type: ignore[method-assign]
    caller = Principal(subject="a", tenant="t")
    await limits.admit(caller, "", 60)
    with pytest.raises(RateLimitedError) as caught:
        await limits.admit(caller, "", 60)
    assert caught.value.subject == "tenants/t:input_tpm"
    await limits.admit(caller, "", 40)  # the refusal took nothing
    assert calls == ["hit 60", "hit 60", "hit 40"]


async def test_plans_are_cached_per_caller_and_bounded(
    window, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "_MAX_PLANS", 8)
    limits = CallerLimits(
        None, SystemClock(), CallerDefaults(tenant=LimitSet(rpm=100), user=LimitSet(rpm=1))
    )
    caller = Principal(subject="a", tenant="t")
    for n in range(20):
        await limits.admit(caller, f"user-{n}", 1)
        assert len(limits._plans) <= 8
    with pytest.raises(RateLimitedError) as caught:
        await limits.admit(caller, "user-3", 1)  # planned again after the clear
    assert caught.value.subject == "tenants/t/users/user-3:rpm"
    limits.set_defaults(CallerDefaults(tenant=LimitSet(rpm=100)))  # no per-user limit now
    assert not limits._plans
    await limits.admit(caller, "user-3", 1)
    await limits.admit(caller, "user-4", 1)
    assert len(limits._plans) == 1  # the end user no longer matters
