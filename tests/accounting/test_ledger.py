"""Ledger storage contract, on SQLite (``SqliteLedger``), the journal in front
of it (``JournaledLedger``, applied before each read) and PostgreSQL
(``RelayedLedger``, flushed before each read).

PostgreSQL: ``LLMGW_TEST_POSTGRES_URL`` names a server; each test creates a
database with a random name on it and drops it afterwards, so parallel runs
never collide. Unset: testcontainers or an embedded server (``services.py``),
else skipped with the reason.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import random
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import services
from databases import fresh_postgres_database
from llmgw.accounting.ledger.journal import JournaledLedger
from llmgw.accounting.ledger.port import DIMENSIONS, GRANULARITIES, CostQuery, Ledger
from llmgw.accounting.ledger.relay import RelayedLedger
from llmgw.accounting.ledger.sqlite import SqliteLedger
from llmgw.domain.budgets import BudgetScope, ScopeKind
from llmgw.domain.ledger import AttemptStatus, LedgerRow, UsageSource
from llmgw.storage.database import Database, open_database

HOUR = 3600


# -- PostgreSQL: one server per session, one fresh database per test --------


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    yield services.postgres_url()


@pytest.fixture
async def postgres_url(postgres_server_url: str) -> AsyncIterator[str]:
    async with fresh_postgres_database(postgres_server_url) as url:
        yield url


async def open_sqlite(path: Path) -> Database:
    return await open_database(f"sqlite:///{path}")


@pytest.fixture(params=["sqlite", "journal", "postgres"])
async def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Ledger]:
    db = await open_sqlite(tmp_path / "ledger.sqlite3")
    try:
        if request.param in ("sqlite", "journal"):
            impl: Ledger = SqliteLedger(db)
            if request.param == "journal":
                impl = JournaledLedger(SqliteLedger(db), tmp_path / "journal", interval=3600)
            await impl.start()
            try:
                yield impl
            finally:
                await impl.close()
            return
        server = request.getfixturevalue("postgres_server_url")
        async with fresh_postgres_database(server) as url:
            relayed = RelayedLedger(db, url, interval=0.01)
            await relayed.start()
            try:
                yield relayed
            finally:
                await relayed.close()
    finally:
        await db.close()


# -- helpers ------------------------------------------------------------------


def make_row(attempt_id: str, **fields: Any) -> LedgerRow:
    values: dict[str, Any] = {
        "request_id": "req-" + attempt_id,
        "created_at": datetime(2024, 6, 1, 12, tzinfo=UTC).timestamp(),
        "tenant": "acme",
        "project": "search",
        "end_user": "alice",
        "alias": "fast",
        "backend": "openai",
        "model": "gpt-4o-mini",
        "status": AttemptStatus.OK,
        "key_id": "key-1",
        "cost_nanos": 1000,
        "charged_nanos": 1000,
    }
    values.update(fields)
    return LedgerRow(attempt_id=attempt_id, **values)


SUM_FIELDS = (
    "cost_nanos",
    "charged_nanos",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "attempts",
    "unpriced",
    "estimated",
)


def sums_of(rows: Iterable[LedgerRow]) -> tuple[int, ...]:
    totals = [0] * len(SUM_FIELDS)
    for r in rows:
        for i, v in enumerate(
            (
                r.cost_nanos,
                r.charged_nanos,
                r.input_tokens,
                r.cached_input_tokens,
                r.output_tokens,
                1,
                int(not r.priced),
                int(r.usage_source is UsageSource.ESTIMATED),
            )
        ):
            totals[i] += v
    return tuple(totals)


def group_sums(group: Any) -> tuple[int, ...]:
    return tuple(int(getattr(group, f)) for f in SUM_FIELDS)


@functools.cache
def expected_bucket(created_at: float, granularity: str, zone: ZoneInfo) -> float | None:
    """Computed from the row's own instant (not from the rollup hour)."""
    if granularity == "total":
        return None
    if granularity == "hour":
        return float(int(created_at // HOUR) * HOUR)
    local = datetime.fromtimestamp(created_at, zone)
    day = 1 if granularity == "month" else local.day
    return datetime(local.year, local.month, day, tzinfo=zone).timestamp()


def expected_report(
    rows: Iterable[LedgerRow],
    group_by: tuple[str, ...],
    granularity: str,
    zone: ZoneInfo,
    filters: Mapping[str, str] | None = None,
) -> dict[tuple[float | None, tuple[str, ...]], tuple[int, ...]]:
    cells: dict[tuple[float | None, tuple[str, ...]], list[LedgerRow]] = {}
    for r in rows:
        if any(getattr(r, d) != v for d, v in (filters or {}).items()):
            continue
        key = (
            expected_bucket(r.created_at, granularity, zone),
            tuple(getattr(r, d) for d in group_by),
        )
        cells.setdefault(key, []).append(r)
    return {k: sums_of(v) for k, v in cells.items()}


def as_cells(
    report: Any, group_by: tuple[str, ...]
) -> dict[tuple[float | None, tuple[str, ...]], tuple[int, ...]]:
    return {
        (g.bucket_start, tuple(g.dimensions[d] for d in group_by)): group_sums(g)
        for g in report.groups
    }


def random_rows(count: int, seed: int, start: float, span: float) -> list[LedgerRow]:
    """``count`` attempts over requests of 1-5 attempts, random dimensions and
    amounts large enough that any float on the way would lose nanos."""
    rng = random.Random(seed)
    rows: list[LedgerRow] = []
    request = 0
    while len(rows) < count:
        request += 1
        request_start = start + rng.uniform(0, span)
        for attempt in range(min(rng.randint(1, 5), count - len(rows))):
            priced = rng.random() > 0.1
            cost = rng.randint(0, 10**13) if priced else 0
            rows.append(
                LedgerRow(
                    attempt_id=f"r{request}-a{attempt}",
                    request_id=f"r{request}",
                    created_at=request_start + attempt * rng.uniform(0.001, 30),
                    tenant=rng.choice(["t1", "t2", "t3"]),
                    project=rng.choice(["p1", "p2", ""]),
                    end_user=rng.choice(["u1", "u2", "u3", "u4"]),
                    alias="a",
                    backend=rng.choice(["openai", "anthropic", "vllm"]),
                    model=rng.choice(["m1", "m2", "m3"]),
                    status=rng.choice(list(AttemptStatus)),
                    key_id=rng.choice(["k1", "k2"]),
                    input_tokens=rng.randint(0, 200_000),
                    cached_input_tokens=rng.randint(0, 50_000),
                    output_tokens=rng.randint(0, 30_000),
                    cost_nanos=cost,
                    charged_nanos=cost if priced else rng.randint(1, 10**10),
                    priced=priced,
                    usage_source=rng.choice(list(UsageSource)),
                )
            )
    return rows


# -- tests --------------------------------------------------------------------


async def test_every_field_round_trips(ledger: Ledger) -> None:
    row = LedgerRow(
        attempt_id="att-1",
        request_id="req-1",
        created_at=1_717_243_200.123456,
        tenant="tenant-ü",
        project="proj",
        end_user="user@example.com",
        alias="smart",
        backend="anthropic",
        model="claude-sonnet",
        status=AttemptStatus.TRUNCATED,
        principal="svc:search",
        key_id="gk_123",
        upstream_key_id="anthropic-key-2",
        labels=(("team", "search"), ("emoji", "🚀"), ("team", "dup-key-kept")),
        input_tokens=12_345,
        cached_input_tokens=678,
        output_tokens=910,
        cost_nanos=9_007_199_254_740_993,  # 2**53 + 1: not representable as a float
        charged_nanos=9_007_199_254_740_995,
        currency="EUR",
        priced=False,
        price_version="genai-prices-0.2.3",
        usage_source=UsageSource.ESTIMATED,
        latency_ms=4321,
    )
    second = make_row("att-2", request_id="req-1", created_at=row.created_at + 0.5)
    await ledger.record(second)
    await ledger.record(row)
    await ledger.flush()
    assert await ledger.attempts("req-1") == [row, second]
    assert await ledger.attempts("nope") == []
    day = CostQuery(start=row.created_at - HOUR, end=row.created_at + HOUR, group_by=("tenant",))
    report = await ledger.report(day)
    cells = {g.dimensions["tenant"]: g for g in report.groups}
    assert group_sums(cells["tenant-ü"]) == sums_of([row])
    assert report.total.unpriced == 1 and report.total.estimated == 1


async def test_duplicate_attempt_ids_collapse(ledger: Ledger) -> None:
    row = make_row("dup", cost_nanos=700, charged_nanos=700)
    await ledger.record(row)
    await ledger.record(row)
    # Same id, in one group-commit batch, with different content: the first wins.
    await asyncio.gather(
        ledger.record(row),
        ledger.record(make_row("dup", cost_nanos=999_999)),
        ledger.record(make_row("other")),
    )
    await ledger.flush()
    await ledger.record(row)  # again after it was relayed
    await ledger.flush()
    assert await ledger.attempts(row.request_id) == [row]
    window = CostQuery(start=row.created_at - HOUR, end=row.created_at + HOUR)
    total = (await ledger.report(window)).total
    assert total.attempts == 2
    assert total.cost_nanos == 700 + 1000


async def test_thousand_rows_exact_in_every_grouping(ledger: Ledger) -> None:
    zone = ZoneInfo("America/New_York")
    start = datetime(2024, 3, 8, tzinfo=UTC).timestamp()  # spans the March DST change
    rows = random_rows(1000, seed=20240310, start=start, span=40 * 86400)
    await asyncio.gather(*(ledger.record(r) for r in rows))
    await ledger.flush()

    everything = (start - 86400, start + 50 * 86400)
    total = (await ledger.report(CostQuery(*everything))).total
    assert group_sums(total) == sums_of(rows)
    assert total.cost_nanos == sum(r.cost_nanos for r in rows)  # to the nano

    # New York reads the hourly rollup only; UTC reads whole days from the
    # daily rollup (unless end user or key is involved) and the edges hourly.
    for report_zone in (zone, ZoneInfo("UTC")):
        for size in range(len(DIMENSIONS) + 1):
            for group_by in itertools.combinations(DIMENSIONS, size):
                for granularity in GRANULARITIES:
                    query = CostQuery(
                        *everything,
                        group_by=group_by,
                        granularity=granularity,
                        time_zone=str(report_zone),
                    )
                    report = await ledger.report(query)
                    assert as_cells(report, group_by) == expected_report(
                        rows, group_by, granularity, report_zone
                    ), (group_by, granularity, report_zone)
                    assert group_sums(report.total) == sums_of(rows)
    # Odd edges in UTC: partial first and last days come from the hourly rollup.
    odd = (start + 2 * 86400 + 5 * HOUR + 7, start + 31 * 86400 + 17 * HOUR)
    kept = [r for r in rows if start + 2 * 86400 + 6 * HOUR <= r.created_at < odd[1]]
    for group_by in ((), ("tenant",), ("model", "backend")):
        query = CostQuery(*odd, group_by=group_by, granularity="day")
        assert as_cells(await ledger.report(query), group_by) == expected_report(
            kept, group_by, "day", ZoneInfo("UTC")
        ), group_by

    filters = {"tenant": "t2", "model": "m3"}
    query = CostQuery(*everything, group_by=("backend",), granularity="day", filters=filters)
    expected = expected_report(rows, ("backend",), "day", ZoneInfo("UTC"), filters)
    assert as_cells(await ledger.report(query), ("backend",)) == expected

    # A window: an hour bucket counts when its start is in [start, end).
    lo, hi = start + 3 * 86400 + 1800, start + 9 * 86400
    inside = [r for r in rows if start + 3 * 86400 + HOUR <= r.created_at < hi]
    assert group_sums((await ledger.report(CostQuery(lo, hi))).total) == sums_of(inside)

    by_request: dict[str, list[LedgerRow]] = {}
    for r in rows:
        by_request.setdefault(r.request_id, []).append(r)
    for request_id, attempts in by_request.items():
        expected_rows = sorted(attempts, key=lambda r: (r.created_at, r.attempt_id))
        assert await ledger.attempts(request_id) == expected_rows


async def test_day_buckets_follow_dst(ledger: Ledger) -> None:
    zone = ZoneInfo("America/New_York")

    def utc(*args: int) -> float:
        return datetime(*args, tzinfo=UTC).timestamp()  # type: ignore[misc]

    # Fall back on 2024-11-03 (EDT -4 -> EST -5): that local day is 25 hours,
    # from 04:00Z on the 3rd to 05:00Z on the 4th.
    instants = {
        "nov2-late": utc(2024, 11, 3, 3, 30),  # 23:30 EDT on Nov 2
        "nov3-first": utc(2024, 11, 3, 4, 30),  # 00:30 EDT
        "nov3-repeated-hour": utc(2024, 11, 3, 6, 30),  # 01:30 EST, the second 01:30
        "nov3-last": utc(2024, 11, 4, 4, 30),  # 23:30 EST on Nov 3
        "nov4-first": utc(2024, 11, 4, 5, 30),  # 00:30 EST on Nov 4
        # Spring forward on 2024-03-10 (-5 -> -4): a 23-hour day.
        "mar10-first": utc(2024, 3, 10, 5, 30),  # 00:30 EST
        "mar10-last": utc(2024, 3, 11, 3, 30),  # 23:30 EDT
        "mar11-first": utc(2024, 3, 11, 4, 30),  # 00:30 EDT on Mar 11
        "oct31-late": utc(2024, 11, 1, 3, 30),  # 23:30 EDT on Oct 31
    }
    for i, (name, at) in enumerate(instants.items()):
        await ledger.record(make_row(name, created_at=at, cost_nanos=10**i, charged_nanos=10**i))
    await ledger.flush()

    query = CostQuery(utc(2024, 3, 1), utc(2024, 12, 1), granularity="day", time_zone=str(zone))
    days = {g.bucket_start: g.cost_nanos for g in (await ledger.report(query)).groups}
    cost = {name: 10**i for i, name in enumerate(instants)}
    assert days == {
        utc(2024, 11, 2, 4): cost["nov2-late"],
        utc(2024, 11, 3, 4): cost["nov3-first"] + cost["nov3-repeated-hour"] + cost["nov3-last"],
        utc(2024, 11, 4, 5): cost["nov4-first"],
        utc(2024, 3, 10, 5): cost["mar10-first"] + cost["mar10-last"],
        utc(2024, 3, 11, 4): cost["mar11-first"],
        utc(2024, 10, 31, 4): cost["oct31-late"],
    }
    assert utc(2024, 11, 4, 5) - utc(2024, 11, 3, 4) == 25 * HOUR

    months = CostQuery(utc(2024, 3, 1), utc(2024, 12, 1), granularity="month", time_zone=str(zone))
    by_month = {g.bucket_start: g.cost_nanos for g in (await ledger.report(months)).groups}
    assert by_month[utc(2024, 10, 1, 4)] == cost["oct31-late"]
    assert by_month[utc(2024, 11, 1, 4)] == sum(
        cost[n]
        for n in ("nov2-late", "nov3-first", "nov3-repeated-hour", "nov3-last", "nov4-first")
    )
    # The same rows in UTC days: "oct31-late" is November there.
    utc_days = CostQuery(utc(2024, 10, 1), utc(2024, 12, 1), granularity="month")
    assert {g.bucket_start for g in (await ledger.report(utc_days)).groups} == {utc(2024, 11, 1)}


async def test_spent_per_scope(ledger: Ledger) -> None:
    h0 = datetime(2024, 6, 1, tzinfo=UTC).timestamp()
    rows = [
        make_row("a", created_at=h0 + 10, tenant="t1", project="p1", end_user="u1", key_id="k1",
                 charged_nanos=100),
        make_row("b", created_at=h0 + HOUR + 5, tenant="t1", project="p2", end_user="u2",
                 key_id="k1", charged_nanos=20),
        make_row("c", created_at=h0 + 2 * HOUR, tenant="t2", project="p1", end_user="u1",
                 key_id="k2", charged_nanos=3),
        # Unpriced: what counts is the reservation it was charged, not 0.
        make_row("d", created_at=h0 + 5 * HOUR, tenant="t2", project="p3", end_user="u3",
                 key_id="k3", cost_nanos=0, charged_nanos=4000, priced=False),
    ]  # fmt: skip
    for r in rows:
        await ledger.record(r)
    await ledger.flush()

    def scope(kind: ScopeKind, value: str = "") -> BudgetScope:
        return BudgetScope(kind, value)

    assert await ledger.spent(scope(ScopeKind.GLOBAL), h0, None) == 4123
    assert await ledger.spent(scope(ScopeKind.TENANT, "t1"), h0, None) == 120
    assert await ledger.spent(scope(ScopeKind.TENANT, "t2"), h0, None) == 4003
    assert await ledger.spent(scope(ScopeKind.PROJECT, "p1"), h0, None) == 103
    assert await ledger.spent(scope(ScopeKind.USER, "u1"), h0, None) == 103
    assert await ledger.spent(scope(ScopeKind.API_KEY, "k1"), h0, None) == 120
    assert await ledger.spent(scope(ScopeKind.API_KEY, "k3"), h0, None) == 4000
    assert await ledger.spent(scope(ScopeKind.TENANT, "none"), h0, None) == 0
    # [start, end) over hour buckets.
    assert await ledger.spent(scope(ScopeKind.GLOBAL), h0, h0 + 2 * HOUR) == 120
    assert await ledger.spent(scope(ScopeKind.GLOBAL), h0 + HOUR, h0 + 5 * HOUR) == 23
    assert await ledger.spent(scope(ScopeKind.GLOBAL), h0 + 2 * HOUR, None) == 4003
    assert await ledger.spent(scope(ScopeKind.GLOBAL), h0 + 6 * HOUR, None) == 0
