"""vLLM hours in budgets, through the running gateway: the sidecar's uptime x
hourly rate (the GetCosts fixed-cost line) counts toward the budgets that
cover it (the global budget by default, ``budgets.fixed_cost_budgets``):
their spend and percentage, their alerts (without any request) and a hard
budget's limit; the ledger itself holds no row for it."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from aiohttp import web
from conftest import gateway_at
from helpers import chat, error_info
from llmgateway.v1 import admin_service_pb2 as _pb
from llmgateway.v1 import admin_service_pb2_grpc, gateway_service_pb2_grpc
from upstream_fakes import FakeOpenAI

# 36000 USD an hour = 10 USD a second: a 2 USD budget fills in 0.2 s of uptime.
RATE = "36000"


def _settings(url: str, **budgets: object) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "vllm",
                "kind": "openai_compatible",
                "preset": "vllm",
                "base_url": url,
                "models": [{"id": "qwen"}],
            }
        ],
        "budgets": {
            "global_limit": "2",
            "vllm_hourly_rate": RATE,
            "refresh_seconds": 0.05,
            "budgets": [
                {"name": "team", "scope": "tenant", "value": "default", "limit": "2",
                 "enforcement": "soft"},
            ],
            **budgets,
        },
    }  # fmt: skip


async def _budgets(admin) -> dict[str, _pb.Budget]:  # type: ignore[no-untyped-def]
    reply = await admin.ListBudgets(_pb.ListBudgetsRequest())
    return {b.name: b for b in reply.budgets}


async def _until(admin, done, seconds: float = 15.0) -> dict[str, _pb.Budget]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        budgets = await _budgets(admin)
        if done(budgets):
            return budgets
        assert time.monotonic() < deadline, f"not reached: {budgets}"
        await asyncio.sleep(0.05)


def _units(money) -> float:  # type: ignore[no-untyped-def]
    return money.units + money.nanos / 1e9


async def test_vllm_hours_fill_the_global_budget_fire_alerts_and_stop_requests() -> None:
    async with FakeOpenAI(api_key=None) as fake:
        async with gateway_at(_settings(fake.base_url)) as running:
            async with (
                grpc.aio.insecure_channel(running.admin_address) as admin_channel,
                grpc.aio.insecure_channel(running.data_address) as data_channel,
            ):
                admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
                stub = gateway_service_pb2_grpc.GatewayServiceStub(data_channel)
                # No request at all: the sidecar's hours alone cross the thresholds.
                budgets = await _until(
                    admin,
                    lambda b: {75, 90} <= {a.threshold_percent for a in b["budgets/global"].alerts},
                )
                first = budgets["budgets/global"]
                assert first.percent_used >= 90 and _units(first.spent) >= 1.8
                assert budgets["budgets/team"].percent_used == 0  # not covering the hours
                assert not budgets["budgets/team"].alerts

                costs = await admin.GetCosts(_pb.GetCostsRequest(start_time={"seconds": 0}))
                (line,) = costs.fixed_costs
                assert line.backend == "vllm" and _units(line.cost) > 0
                by_name = {b.budget: b for b in costs.budgets}
                assert _units(by_name["budgets/global"].ledger_spent) == 0  # no ledger row
                assert _units(by_name["budgets/global"].spent) > 0

                # The global budget is hard: past 100 % the hours leave nothing to spend.
                await _until(admin, lambda b: b["budgets/global"].percent_used >= 100)
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await stub.Chat(chat("qwen"))
                assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                assert error_info(caught.value).reason == "BUDGET_EXHAUSTED"
                assert not fake.requests


async def test_the_covering_budgets_are_configurable() -> None:
    async with FakeOpenAI(api_key=None) as fake:
        settings = _settings(fake.base_url, fixed_cost_budgets=["team"])
        async with gateway_at(settings) as running:
            async with grpc.aio.insecure_channel(running.admin_address) as channel:
                admin = admin_service_pb2_grpc.AdminServiceStub(channel)
                budgets = await _until(
                    admin, lambda b: {a.threshold_percent for a in b["budgets/team"].alerts} >= {75}
                )
                assert budgets["budgets/global"].percent_used == 0
                assert not budgets["budgets/global"].alerts


async def test_alerts_fire_from_the_hours_alone_without_any_call() -> None:
    """No request and no admin read: the guard's refresh loop notices the
    hours crossing the thresholds and the webhook receives the alerts."""
    received: list[dict[str, object]] = []
    both = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        if {a["threshold"] for a in received} >= {75, 90}:
            both.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/alerts", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with FakeOpenAI(api_key=None) as fake:
            url = f"http://127.0.0.1:{port}/alerts"
            async with gateway_at(_settings(fake.base_url, webhook_url=url)):
                await asyncio.wait_for(both.wait(), timeout=15)
    finally:
        await runner.cleanup()
    first = next(a for a in received if a["threshold"] == 75)
    assert first["budget"] == "global" and first["type"] == "budget_alert"
    assert {a["budget"] for a in received} == {"global"}  # "team" does not cover the hours


class _Hours:
    """Stands in for FixedCosts: 300 nanos of uptime cost in any period."""

    async def nanos(self, start: float, end: float) -> int:
        return 300


async def test_counters_add_the_hours_to_covered_budgets_only_and_never_seed_them() -> None:
    from llmgw.accounting.budget_counters import CounterKey, MemoryCounters, ReserveItem
    from llmgw.accounting.fixed_costs import FixedCostCounters

    inner = MemoryCounters()
    counters = FixedCostCounters(inner, _Hours(), frozenset({"global"}))  # type: ignore[arg-type]
    covered, other = CounterKey("global", 0), CounterKey("team", 0)
    for key in (covered, other):
        await counters.seed(key, 100, 0)
    assert {k: v.spent for k, v in (await counters.read([covered, other])).items()} == {
        covered: 400,
        other: 100,
    }
    assert (await inner.read([covered]))[covered].spent == 100  # the counter: requests only
    # A hard limit of 500 with 300 of hours leaves 200: one reservation of 150 fits.
    first = await counters.reserve([ReserveItem(covered, 500)], 150)
    assert first.admitted and first.values[covered].spent == 400
    second = await counters.reserve([ReserveItem(covered, 500)], 150)
    assert second.refused == covered
    assert await counters.settle([covered, other], 150, 50) == {covered: 450, other: 150}
