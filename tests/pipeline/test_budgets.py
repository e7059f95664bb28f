"""Budgets: reservation bound, seeding, rollover, alerts, store, webhook (no Redis).

The fakes at the top are shared with ``test_budget_redis``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiohttp import web
from llmgw.accounting.budget_counters import BudgetCounters, CounterKey, MemoryCounters, ReserveItem
from llmgw.domain.budgets import Budget, BudgetScope, Enforcement, Period, ScopeKind
from llmgw.domain.errors import BudgetExhaustedError, EtagMismatchError
from llmgw.outbound.webhook import AlertWebhook, WebhookError
from llmgw.pipeline.budget import BudgetAlert, BudgetGuard
from llmgw.storage.budgets import BudgetStore
from llmgw.storage.database import Database, open_database

UNIT = 1_000_000_000  # nanos per currency unit


class FakeLedger:
    """``spent`` answers from a table keyed by (scope, start); ``gate`` holds
    every answer until set (to make seeds overlap); ``calls`` counts queries."""

    def __init__(self, sums: dict[tuple[BudgetScope, float], int] | None = None) -> None:
        self.sums = sums or {}
        self.calls: list[tuple[BudgetScope, float, float | None]] = []
        self.gate: asyncio.Event | None = None
        self.waiting = 0

    async def spent(self, scope: BudgetScope, start: float, end: float | None) -> int:
        self.calls.append((scope, start, end))
        if self.gate is not None:
            self.waiting += 1
            await self.gate.wait()
        return self.sums.get((scope, start), 0)


@dataclass
class WallClock:
    now: float

    def __call__(self) -> float:
        return self.now


@dataclass
class Collector:
    alerts: list[BudgetAlert] = field(default_factory=list)

    async def __call__(self, alert: BudgetAlert) -> None:
        self.alerts.append(alert)


async def wait_until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    """Poll ``predicate`` until true or fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.01)


def make_guard(
    store: BudgetStore,
    counters: BudgetCounters,
    ledger: FakeLedger,
    wall: WallClock,
    budgets: Sequence[Budget] = (),
    notify: Any = None,
) -> BudgetGuard:
    return BudgetGuard(
        store,
        counters,
        ledger.spent,
        notify,
        config_budgets=budgets,
        wall_clock=wall,
        refresh_seconds=0,
    )


async def hammer(
    guards: Sequence[BudgetGuard],
    scopes: Sequence[BudgetScope],
    requests: int = 200,
    reserve: int = 3 * UNIT // 2,
    actual: int = UNIT,
) -> tuple[int, int]:
    """``requests`` concurrent reserve/settle cycles spread over ``guards``;
    returns (admitted, refused)."""
    admitted = refused = 0

    async def one(n: int) -> None:
        nonlocal admitted, refused
        guard = guards[n % len(guards)]
        try:
            reservation = await guard.reserve(scopes, reserve)
        except BudgetExhaustedError:
            refused += 1
            return
        admitted += 1
        for _ in range(random.randint(0, 8)):  # interleave with the others
            await asyncio.sleep(0)
        await guard.settle(reservation, actual)

    await asyncio.gather(*(one(n) for n in range(requests)))
    return admitted, refused


@asynccontextmanager
async def alert_receiver(fail_first: int = 0) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback HTTP server recording alert bodies; the first ``fail_first``
    requests get a 500 (and are not recorded)."""
    received: list[dict[str, Any]] = []
    seen = 0

    async def handle(request: web.Request) -> web.Response:
        nonlocal seen
        seen += 1
        body = orjson.loads(await request.read())
        if seen <= fail_first:
            return web.Response(status=500)
        received.append(body)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/alerts", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/alerts", received
    finally:
        await runner.cleanup()


MARCH = 1_741_000_000.0  # 2025-03-03 UTC
APRIL = 1_743_600_000.0  # 2025-04-02 UTC
TENANT = BudgetScope(ScopeKind.TENANT, "acme")
PROJECT = BudgetScope(ScopeKind.PROJECT, "web")


def hard(limit_units: int = 10, name: str = "acme-monthly", **kw: Any) -> Budget:
    return Budget(name, TENANT, limit_units * UNIT, **kw)


@pytest.fixture
async def db(tmp_path: Any) -> AsyncIterator[Database]:
    database = await open_database(f"sqlite:///{tmp_path}/budgets.sqlite3")
    yield database
    await database.close()


@pytest.fixture
async def store(db: Database) -> BudgetStore:
    budget_store = BudgetStore(db)
    await budget_store.migrate()
    return budget_store


@asynccontextmanager
async def started(guard: BudgetGuard) -> AsyncIterator[BudgetGuard]:
    await guard.start()
    try:
        yield guard
    finally:
        await guard.close()


# ----- counters ----------------------------------------------------------------


async def test_memory_counters_bound_under_200_concurrent_requests() -> None:
    counters = MemoryCounters()
    key = CounterKey("b", 0)
    await counters.seed(key, 0, 0)
    limit, reserve, actual = 10 * UNIT, 3 * UNIT // 2, UNIT
    admitted = 0

    async def one() -> None:
        nonlocal admitted
        outcome = await counters.reserve([ReserveItem(key, limit)], reserve)
        if not outcome.admitted:
            assert outcome.refused == key
            return
        admitted += 1
        for _ in range(random.randint(0, 8)):
            await asyncio.sleep(0)
        await counters.settle([key], reserve, actual)

    await asyncio.gather(*(one() for _ in range(200)))
    value = (await counters.read([key]))[key]
    assert value.reserved == 0
    assert value.spent == admitted * actual
    assert value.spent <= limit + reserve
    assert admitted >= 6


async def test_memory_counters_reserve_is_all_or_nothing() -> None:
    counters = MemoryCounters()
    a, b = CounterKey("a", 0), CounterKey("b", 0)
    assert (await counters.reserve([ReserveItem(a, 5), ReserveItem(b, None)], 1)).cold == (a, b)
    await counters.seed(a, 5, 0)
    await counters.seed(b, 0, 0)
    await counters.seed(a, 999, 0)  # set-if-absent: ignored
    refused = await counters.reserve([ReserveItem(b, None), ReserveItem(a, 5)], 1)
    assert refused.refused == a and refused.values[a].spent == 5
    assert (await counters.read([a, b]))[b].reserved == 0  # b untouched by the refusal


async def test_memory_counters_expire_with_ttl() -> None:
    wall = WallClock(100.0)
    counters = MemoryCounters(now=wall)
    key = CounterKey("a", 0)
    await counters.seed(key, 7, ttl_seconds=10)
    assert (await counters.read([key]))[key].spent == 7
    wall.now = 111.0
    assert await counters.read([key]) == {}
    assert await counters.settle([key], 1, 1) == {}  # an expired key is not re-created


# ----- guard -------------------------------------------------------------------


async def test_guard_bound_under_200_concurrent_requests(store: BudgetStore) -> None:
    guard = make_guard(store, MemoryCounters(), FakeLedger(), WallClock(MARCH), [hard()])
    async with started(guard):
        admitted, refused = await hammer([guard], [TENANT, PROJECT])
        [status] = await guard.statuses()
    assert admitted + refused == 200 and admitted >= 6
    assert status.spent_nanos == admitted * UNIT <= 10 * UNIT + 3 * UNIT // 2
    assert status.reserved_nanos == 0


async def test_no_budget_means_no_io(store: BudgetStore) -> None:
    class Exploding:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"counters.{name} used on the fast path")

    ledger = FakeLedger()
    guard = make_guard(store, Exploding(), ledger, WallClock(MARCH), [hard()])  # type: ignore[arg-type]
    async with started(guard):
        reservation = await guard.reserve([PROJECT, BudgetScope(ScopeKind.USER, "u")], UNIT)
        await guard.settle(reservation, UNIT)
    assert ledger.calls == []


async def test_exhausted_error_names_scope_and_reset(store: BudgetStore) -> None:
    ledger = FakeLedger({(TENANT, 1_740_787_200.0): 10 * UNIT})  # 2025-03-01 UTC
    guard = make_guard(store, MemoryCounters(), ledger, WallClock(MARCH), [hard()])
    async with started(guard):
        with pytest.raises(BudgetExhaustedError) as caught:
            await guard.reserve([TENANT], UNIT)
    error = caught.value
    assert error.subject == "tenants/acme"
    assert error.metadata == {
        "budget": "acme-monthly",
        "limit": "10",
        "spent": "10",
        "currencyCode": "USD",
        "scope": "tenants/acme",
        "resetTime": "2025-04-01T00:00:00Z",
    }


async def test_soft_budget_never_rejects_and_reports_pressure(store: BudgetStore) -> None:
    soft = Budget("soft", PROJECT, 2 * UNIT, enforcement=Enforcement.SOFT)
    down = Budget("down", TENANT, 4 * UNIT, enforcement=Enforcement.DOWNGRADE)
    guard = make_guard(store, MemoryCounters(), FakeLedger(), WallClock(MARCH), [soft, down])
    async with started(guard):
        assert guard.pressure([PROJECT, TENANT]) == 0.0
        for _ in range(5):
            await guard.settle(await guard.reserve([PROJECT, TENANT], UNIT), UNIT)
        assert guard.pressure([PROJECT, TENANT]) == 250.0
        assert guard.pressure([TENANT]) == 125.0
        statuses = {s.budget.name: s for s in await guard.statuses()}
    assert statuses["soft"].spent_nanos == 5 * UNIT
    assert statuses["soft"].remaining_nanos == 0
    assert [a.threshold for a in statuses["down"].alerts] == [75, 90, 100]


async def test_settle_twice_counts_once(store: BudgetStore) -> None:
    guard = make_guard(store, MemoryCounters(), FakeLedger(), WallClock(MARCH), [hard()])
    async with started(guard):
        reservation = await guard.reserve([TENANT], 2 * UNIT)
        await asyncio.gather(guard.settle(reservation, UNIT), guard.settle(reservation, UNIT))
        await guard.settle(reservation, 5 * UNIT)
        await guard.release(reservation)
        [status] = await guard.statuses()
    assert (status.spent_nanos, status.reserved_nanos) == (UNIT, 0)


async def test_release_returns_the_reservation(store: BudgetStore) -> None:
    guard = make_guard(store, MemoryCounters(), FakeLedger(), WallClock(MARCH), [hard(2)])
    async with started(guard):
        first = await guard.reserve([TENANT], 2 * UNIT)
        with pytest.raises(BudgetExhaustedError):
            await guard.reserve([TENANT], UNIT)
        await guard.release(first)
        await guard.release(await guard.reserve([TENANT], UNIT))


async def test_concurrent_seeds_do_not_double(store: BudgetStore) -> None:
    start = 1_740_787_200.0
    ledger = FakeLedger({(TENANT, start): 4 * UNIT})
    ledger.gate = asyncio.Event()
    counters = MemoryCounters()
    wall = WallClock(MARCH)
    one = make_guard(store, counters, ledger, wall, [hard()])
    two = make_guard(store, counters, ledger, wall)
    async with started(one), started(two):
        pending = [asyncio.create_task(g.reserve([TENANT], UNIT)) for g in (one, two, one)]
        await wait_until(lambda: ledger.waiting == 2)  # one query per guard, both in flight
        ledger.gate.set()
        for reservation in await asyncio.gather(*pending):
            await one.release(reservation)
        [status] = await one.statuses()
    assert status.spent_nanos == 4 * UNIT
    assert len(ledger.calls) == 2


async def test_period_rollover_reseeds_from_the_ledger(store: BudgetStore) -> None:
    march, april = 1_740_787_200.0, 1_743_465_600.0
    ledger = FakeLedger({(TENANT, march): 9 * UNIT, (TENANT, april): 2 * UNIT})
    wall = WallClock(MARCH)
    guard = make_guard(store, MemoryCounters(now=wall), ledger, wall, [hard()])
    async with started(guard):
        await guard.settle(await guard.reserve([TENANT], UNIT), UNIT)
        with pytest.raises(BudgetExhaustedError):
            await guard.reserve([TENANT], UNIT)
        wall.now = APRIL
        await guard.settle(await guard.reserve([TENANT], UNIT), UNIT)
        [status] = await guard.statuses()
    assert status.period_start == april
    assert status.spent_nanos == 3 * UNIT
    assert status.reset_time == 1_746_057_600.0  # 2025-05-01
    assert [c[1] for c in ledger.calls] == [march, april]


async def test_alerts_fire_once_per_threshold_per_period(store: BudgetStore) -> None:
    collector = Collector()
    wall = WallClock(MARCH)
    guard = make_guard(
        store, MemoryCounters(now=wall), FakeLedger(), wall, [hard()], notify=collector
    )
    async with started(guard):
        for _ in range(12):  # 12 units against 10: 75, 90 and 100 % crossed
            try:
                await guard.settle(await guard.reserve([TENANT], UNIT), UNIT)
            except BudgetExhaustedError:
                break
        await wait_until(lambda: len(collector.alerts) == 3)
        wall.now = APRIL
        await guard.settle(await guard.reserve([TENANT], 8 * UNIT), 8 * UNIT)
        await wait_until(lambda: len(collector.alerts) == 4)
    got = [(a.threshold, a.severity, a.spent_nanos) for a in collector.alerts]
    assert got == [
        (75, "warning", 8 * UNIT),
        (90, "critical", 9 * UNIT),
        (100, "exhausted", 10 * UNIT),
        (75, "warning", 8 * UNIT),
    ]
    assert collector.alerts[3].period_start == 1_743_465_600.0


async def test_fired_thresholds_are_cached(store: BudgetStore) -> None:
    fired: list[int] = []
    original = store.fire

    async def counting_fire(budget: str, period_start: int, threshold: int, spent: int) -> bool:
        fired.append(threshold)
        return await original(budget, period_start, threshold, spent)

    store.fire = counting_fire  # type: ignore[method-assign]
    guard = make_guard(store, MemoryCounters(), FakeLedger(), WallClock(MARCH), [hard(100)])
    async with started(guard):
        for _ in range(80):
            await guard.settle(await guard.reserve([TENANT], UNIT), UNIT)
    assert fired == [75]  # 6 settlements above 75 % asked the database once


async def test_config_budgets_yield_to_admin_changes(db: Database) -> None:
    store = BudgetStore(db)
    wall = WallClock(MARCH)
    first = make_guard(store, MemoryCounters(), FakeLedger(), wall, [hard(10)])
    async with started(first):
        assert [b.limit_nanos for b in first.budgets()] == [10 * UNIT]
    restarted = make_guard(store, MemoryCounters(), FakeLedger(), wall, [hard(20)])
    async with started(restarted):  # config changed, row still from config: config wins
        assert [b.limit_nanos for b in restarted.budgets()] == [20 * UNIT]
        etag = (await store.get("acme-monthly")).etag  # type: ignore[union-attr]
        await restarted.upsert(hard(30), etag=etag)
        with pytest.raises(EtagMismatchError):
            await restarted.upsert(hard(40), etag=etag)
    again = make_guard(store, MemoryCounters(), FakeLedger(), wall, [hard(20)])
    async with started(again):  # changed through the admin plane: admin wins
        assert [b.limit_nanos for b in again.budgets()] == [30 * UNIT]
        assert await again.delete("acme-monthly")
        assert again.budgets() == []


async def test_refresh_loop_picks_up_changes_from_another_replica(store: BudgetStore) -> None:
    class TickClock:
        def __init__(self) -> None:
            self.tick = asyncio.Event()

        def now(self) -> float:
            return 0.0

        async def sleep(self, seconds: float) -> None:
            await self.tick.wait()
            self.tick.clear()

        def jitter(self) -> float:
            return 0.0

    clock = TickClock()
    ledger, wall = FakeLedger(), WallClock(MARCH)
    other = make_guard(store, MemoryCounters(), ledger, wall)
    guard = BudgetGuard(
        store, MemoryCounters(), ledger.spent, clock=clock, wall_clock=wall, refresh_seconds=5
    )
    async with started(guard), started(other):
        await other.upsert(hard(1))
        assert guard.budgets() == []
        clock.tick.set()
        await wait_until(lambda: len(guard.budgets()) == 1)


async def test_store_round_trip_and_etags(store: BudgetStore) -> None:
    budget = Budget(
        "p",
        PROJECT,
        5,
        Period.WEEKLY,
        Enforcement.DOWNGRADE,
        (50, 100),
        "Europe/Berlin",
        "EUR",
    )
    created = await store.upsert(budget)
    assert (await store.get("p")) == created
    with pytest.raises(EtagMismatchError) as caught:
        await store.upsert(budget, etag="stale")
    assert caught.value.metadata["etag"] == created.etag
    with pytest.raises(EtagMismatchError):
        await store.upsert(hard(name="missing"), etag="x")
    assert [s.budget for s in await store.list()] == [budget]
    assert await store.fire("p", 100, 50, 3) is True
    assert await store.fire("p", 100, 50, 4) is False
    assert [(a.threshold, a.spent_nanos) for a in await store.alerts("p", 100)] == [(50, 3)]
    assert await store.delete("p") and not await store.delete("p")


# ----- webhook -----------------------------------------------------------------


def _alert() -> BudgetAlert:
    return BudgetAlert("b", "tenants/acme", 90, "critical", 9 * UNIT, 10 * UNIT, "USD", MARCH)


async def _no_sleep(_seconds: float) -> None:
    return None


async def test_webhook_retries_a_500_and_delivers_once() -> None:
    async with alert_receiver(fail_first=1) as (url, received):
        webhook = AlertWebhook(url, timeout=5, sleep=_no_sleep)
        try:
            await webhook(_alert())
        finally:
            await webhook.aclose()
    assert received == [
        {
            "type": "budget_alert",
            "budget": "b",
            "scope": "tenants/acme",
            "threshold": 90,
            "severity": "critical",
            "spentNanos": 9 * UNIT,
            "limitNanos": 10 * UNIT,
            "spent": "9",
            "limit": "10",
            "currencyCode": "USD",
            "periodStart": "2025-03-03T11:06:40Z",
        }
    ]


async def test_webhook_gives_up_after_three_tries_and_never_follows_redirects() -> None:
    hits: list[str] = []

    async def failing(request: web.Request) -> web.Response:
        hits.append(request.path)
        if request.path == "/moved":
            raise web.HTTPFound("/target")
        return web.Response(status=503 if request.path == "/down" else 400)

    app = web.Application()
    app.router.add_route("*", "/{name}", failing)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        for path in ("/down", "/moved", "/bad"):
            webhook = AlertWebhook(base + path, sleep=_no_sleep)
            with pytest.raises(WebhookError):
                await webhook(_alert())
            await webhook.aclose()
    finally:
        await runner.cleanup()
    assert hits == ["/down"] * 3 + ["/moved", "/bad"]


async def test_webhook_connection_refused_is_retried() -> None:
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    webhook = AlertWebhook("http://127.0.0.1:9/alerts", timeout=2, backoff=0.5, sleep=record)
    with pytest.raises(WebhookError):
        await webhook(_alert())
    await webhook.aclose()
    assert sleeps == [0.5, 1.0]


async def test_guard_delivers_alerts_through_the_webhook(store: BudgetStore) -> None:
    async with alert_receiver(fail_first=1) as (url, received):
        webhook = AlertWebhook(url, sleep=_no_sleep)
        guard = make_guard(
            store, MemoryCounters(), FakeLedger(), WallClock(MARCH), [hard(4)], notify=webhook
        )
        async with started(guard):
            await guard.settle(await guard.reserve([TENANT], 3 * UNIT), 3 * UNIT)
            await wait_until(lambda: len(received) == 1)
        await webhook.aclose()
    assert received[0]["threshold"] == 75 and received[0]["spentNanos"] == 3 * UNIT


async def test_unreachable_counters_fail_closed_and_retryable(store: BudgetStore) -> None:
    """Redis down: a request a budget applies to is refused as UNAVAILABLE
    (retry shortly), never admitted unchecked and never INTERNAL."""
    from llmgw.accounting.budget_counters import RedisCounters
    from llmgw.domain.errors import GatewayOverloadedError
    from redis.asyncio import Redis

    client = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)  # nothing listens
    guard = make_guard(store, RedisCounters(client), FakeLedger(), WallClock(APRIL), [hard()])
    try:
        async with started(guard):
            with pytest.raises(GatewayOverloadedError):
                await guard.reserve([TENANT], UNIT)
            unrelated = await guard.reserve([PROJECT], UNIT)  # no budget: no I/O at all
            await guard.settle(unrelated, UNIT)
    finally:
        await client.aclose()
