"""Budgets across three replicas: one Redis, one store (SQLite file or PostgreSQL).

Needs ``LLMGW_TEST_REDIS_URL`` (skipped, with the reason, when unset);
``LLMGW_TEST_POSTGRES_URL`` switches the shared store from one SQLite file
to a fresh PostgreSQL database created (and dropped) per test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
import services
from databases import fresh_postgres_database
from llmgw.accounting.budget_counters import CounterKey, RedisCounters, ReserveItem, _Script
from llmgw.domain.budgets import Budget
from llmgw.domain.errors import BudgetExhaustedError
from llmgw.outbound.webhook import AlertWebhook
from llmgw.pipeline.budget import BudgetGuard
from llmgw.storage.budgets import BudgetStore
from llmgw.storage.database import Database, open_database
from redis.asyncio import BlockingConnectionPool, Redis
from test_budgets import (
    APRIL,
    MARCH,
    PROJECT,
    TENANT,
    UNIT,
    Collector,
    FakeLedger,
    WallClock,
    alert_receiver,
    hammer,
    make_guard,
    wait_until,
)

REDIS_URL = services.redis().url
POSTGRES_URL = services.postgres().url

pytestmark = pytest.mark.skipif(not REDIS_URL, reason=services.redis().reason)

MARCH_START = 1_740_787_200.0
APRIL_START = 1_743_465_600.0


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    # A blocking pool: 200 concurrent requests wait for a connection instead of
    # failing with "Too many connections" (redis-py's default pool raises).
    client = Redis(connection_pool=BlockingConnectionPool.from_url(REDIS_URL, max_connections=16))
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    value = f"llmgw-test-{uuid.uuid4().hex}:"
    yield value
    keys = [key async for key in redis.scan_iter(match=value + "*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
async def databases(tmp_path: Any) -> AsyncIterator[list[Database]]:
    """Three connections (one per replica) to one fresh shared database."""
    async with AsyncExitStack() as stack:
        if POSTGRES_URL:
            url = await stack.enter_async_context(fresh_postgres_database(POSTGRES_URL))
        else:
            url = f"sqlite:///{tmp_path}/shared.sqlite3"
        found: list[Database] = []
        for _ in range(3):
            db = await open_database(url)
            stack.push_async_callback(db.close)
            found.append(db)
        yield found


def replicas(
    databases: list[Database],
    redis: Redis,
    prefix: str,
    ledger: FakeLedger,
    wall: WallClock,
    budgets: list[Budget],
    notify: Any = None,
) -> list[BudgetGuard]:
    return [
        make_guard(BudgetStore(db), RedisCounters(redis, prefix), ledger, wall, budgets, notify)
        for db in databases
    ]


async def start_all(stack: AsyncExitStack, guards: list[BudgetGuard]) -> None:
    for guard in guards:  # sequential: concurrent first migrations race on SQLite DDL
        await guard.start()
        stack.push_async_callback(guard.close)


def hard(limit_units: int = 10) -> Budget:
    return Budget("acme-monthly", TENANT, limit_units * UNIT)


async def test_three_replicas_bound_under_200_concurrent_requests(
    databases: list[Database], redis: Redis, prefix: str
) -> None:
    guards = replicas(databases, redis, prefix, FakeLedger(), WallClock(MARCH), [hard()])
    async with AsyncExitStack() as stack:
        await start_all(stack, guards)
        admitted, refused = await hammer(guards, [TENANT, PROJECT])
        [status] = await guards[1].statuses()
    assert admitted + refused == 200 and admitted >= 6
    assert status.spent_nanos == admitted * UNIT <= 10 * UNIT + 3 * UNIT // 2
    assert status.reserved_nanos == 0


async def test_alerts_fire_once_across_replicas_and_webhook_gets_each_once(
    databases: list[Database], redis: Redis, prefix: str
) -> None:
    async with alert_receiver(fail_first=1) as (url, received), AsyncExitStack() as stack:

        async def no_sleep(_seconds: float) -> None:
            return None

        webhook = AlertWebhook(url, sleep=no_sleep)
        stack.push_async_callback(webhook.aclose)
        collector = Collector()

        async def both(alert: Any) -> None:
            await collector(alert)
            await webhook(alert)

        guards = replicas(
            databases, redis, prefix, FakeLedger(), WallClock(MARCH), [hard()], notify=both
        )
        await start_all(stack, guards)
        await hammer(guards, [TENANT], requests=60, reserve=UNIT // 2, actual=UNIT // 2)
        await wait_until(lambda: len(received) == 3)
        for guard in guards:
            await guard.close()  # every notification in flight is done
        statuses = await guards[0].statuses()
    assert sorted(a["threshold"] for a in received) == [75, 90, 100]
    assert sorted(a.threshold for a in collector.alerts) == [75, 90, 100]
    assert [a.threshold for a in statuses[0].alerts] == [75, 90, 100]


async def test_concurrent_seeds_from_two_replicas_do_not_double(
    databases: list[Database], redis: Redis, prefix: str
) -> None:
    ledger = FakeLedger({(TENANT, MARCH_START): 4 * UNIT})
    ledger.gate = asyncio.Event()
    guards = replicas(databases[:2], redis, prefix, ledger, WallClock(MARCH), [hard()])
    async with AsyncExitStack() as stack:
        await start_all(stack, guards)
        pending = [asyncio.create_task(g.reserve([TENANT], UNIT)) for g in guards]
        await wait_until(lambda: ledger.waiting == 2)
        ledger.gate.set()
        for guard, reservation in zip(guards, await asyncio.gather(*pending), strict=True):
            await guard.release(reservation)
        [status] = await guards[0].statuses()
    assert status.spent_nanos == 4 * UNIT


async def test_period_rollover_uses_a_fresh_counter_with_a_ttl(
    databases: list[Database], redis: Redis, prefix: str
) -> None:
    ledger = FakeLedger({(TENANT, MARCH_START): 10 * UNIT, (TENANT, APRIL_START): UNIT})
    wall = WallClock(MARCH)
    [guard] = replicas(databases[:1], redis, prefix, ledger, wall, [hard()])
    async with AsyncExitStack() as stack:
        await start_all(stack, [guard])
        with pytest.raises(BudgetExhaustedError) as caught:
            await guard.reserve([TENANT], UNIT)
        assert caught.value.metadata["resetTime"] == "2025-04-01T00:00:00Z"
        wall.now = APRIL
        await guard.settle(await guard.reserve([TENANT], UNIT), UNIT)
        [status] = await guard.statuses()
    assert (status.period_start, status.spent_nanos) == (APRIL_START, 2 * UNIT)
    ttl = await redis.ttl(f"{prefix}budget:acme-monthly:{int(APRIL_START)}")
    assert 28 * 86400 < ttl <= 31 * 86400  # until May 1st plus the margin


async def test_redis_counters_atomic_over_scopes_and_set_if_absent_seed(
    redis: Redis, prefix: str
) -> None:
    counters = RedisCounters(redis, prefix)
    a, b = CounterKey("a", 0), CounterKey("b", 0)
    assert (await counters.reserve([ReserveItem(a, 5), ReserveItem(b, None)], 1)).cold == (a, b)
    await asyncio.gather(counters.seed(a, 4, 0), counters.seed(a, 4, 0), counters.seed(b, 0, 60))
    assert (await counters.read([a]))[a].spent == 4
    assert await redis.ttl(counters.redis_key(a)) == -1  # total budget: never expires
    admitted = await counters.reserve([ReserveItem(b, None), ReserveItem(a, 5)], 3)
    assert admitted.admitted and admitted.values[a].reserved == 3
    refused = await counters.reserve([ReserveItem(b, None), ReserveItem(a, 5)], 1)
    assert refused.refused == a
    assert (await counters.read([b]))[b].reserved == 3  # the refusal changed nothing
    assert await counters.settle([a, b, CounterKey("gone", 0)], 3, 2) == {a: 6, b: 2}
    assert await redis.exists(f"{prefix}budget:gone:0") == 0


async def test_script_falls_back_to_eval_on_noscript(redis: Redis) -> None:
    script = _Script(redis, f"-- {uuid.uuid4().hex}\nreturn 42")
    assert await redis.script_exists(script._sha) == [False]
    assert await script([], []) == 42
    assert await redis.script_exists(script._sha) == [True]
    assert await script([], []) == 42
