"""Budget forecast in GetCosts and ListRecommendations, through a running
gateway whose ledger is filled by real requests to a fake upstream; one
recommendation's arithmetic is re-derived from the ledger's own figures."""

from __future__ import annotations

from decimal import Decimal

import grpc
import pytest
from conftest import gateway_at
from helpers import chat
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2_grpc,
)
from llmgw.accounting.forecast import forecast
from upstream_fakes import FakeOpenAI

KEY = "sk-fake"
NANOS = 1_000_000_000
_pb = admin_service_pb2
PRICES = {
    "fake/dear-model": {"input_per_million_tokens": "10", "output_per_million_tokens": "30"},
    "fake/cheap-model": {"input_per_million_tokens": "1", "output_per_million_tokens": "2"},
    "fake/weak-model": {"input_per_million_tokens": "0.1", "output_per_million_tokens": "0.1"},
}
TOOLS = ["streaming", "tools"]


def _nanos(money: object) -> int:
    return int(money.units) * NANOS + int(money.nanos)  # type: ignore[attr-defined]


def _settings(url: str) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": url,
                "api_keys": [KEY],
                "models": [
                    {"id": "dear-model", "capabilities": TOOLS},
                    {"id": "cheap-model", "capabilities": TOOLS},
                    {"id": "weak-model", "capabilities": ["streaming"]},  # lacks tools
                ],
            },
            {
                "name": "vllm",
                "kind": "openai_compatible",
                "preset": "vllm",
                "base_url": url,
                "api_keys": [KEY],
                "models": [{"id": "qwen", "capabilities": TOOLS}],
            },
        ],
        "prices": PRICES,
        "budgets": {
            "vllm_hourly_rate": "3.6",
            "budgets": [{"name": "daily", "limit": "5", "period": "daily"}],
        },
    }


@pytest.fixture
async def stubs():  # type: ignore[no-untyped-def]
    async with FakeOpenAI(api_key=KEY) as fake, gateway_at(_settings(fake.base_url)) as running:
        async with grpc.aio.insecure_channel(running.data_address) as data:
            async with grpc.aio.insecure_channel(running.admin_address) as admin:
                yield (
                    gateway_service_pb2_grpc.GatewayServiceStub(data),
                    admin_service_pb2_grpc.AdminServiceStub(admin),
                )


async def _traffic(stub) -> None:  # type: ignore[no-untyped-def]
    await stub.Chat(chat("fake/dear-model", "the same question"))
    await stub.Chat(chat("fake/dear-model", "the same question"))  # an exact repeat
    await stub.Chat(chat("fake/dear-model", "another question"))
    await stub.Chat(chat("vllm/qwen", "a local question"))


async def test_recommendations_carry_figures_that_add_up(stubs) -> None:  # type: ignore[no-untyped-def]
    stub, admin = stubs
    await _traffic(stub)
    costs = await admin.GetCosts(
        _pb.GetCostsRequest(
            start_time={"seconds": 0},
            group_by=[_pb.COST_DIMENSION_BACKEND, _pb.COST_DIMENSION_MODEL],
        )
    )
    dear = next(r for r in costs.rows if r.dimensions["model"] == "dear-model")
    qwen = next(r for r in costs.rows if r.dimensions["model"] == "qwen")
    reply = await admin.ListRecommendations(_pb.ListRecommendationsRequest(lookback_days=1))
    by_kind = {r.kind: r for r in reply.recommendations}

    cheaper = by_kind[_pb.RECOMMENDATION_KIND_CHEAPER_MODEL]
    assert (cheaper.model, cheaper.alternative_model) == ("dear-model", "cheap-model")
    assert cheaper.request_count == 3 and _nanos(cheaper.observed_cost) == _nanos(dear.cost)
    tokens_in, tokens_out = dear.usage.input_token_count, dear.usage.output_token_count
    # cheap-model at list price for the same mix: $1/M in, $2/M out = 1000 / 2000 nanos a token
    assert _nanos(cheaper.alternative_cost) == tokens_in * 1000 + tokens_out * 2000
    assert _nanos(cheaper.savings) == _nanos(dear.cost) - _nanos(cheaper.alternative_cost)
    assert f"saving {Decimal(_nanos(cheaper.savings)) / NANOS:f}".rstrip("0") in cheaper.summary

    cache = by_kind[_pb.RECOMMENDATION_KIND_RESPONSE_CACHE]
    assert (cache.repeat_request_count, cache.request_count) == (1, 4)
    assert cache.repeat_share == pytest.approx(0.25)
    one_dear_call = _nanos(dear.cost) // 3  # the three dear calls bill the same mix
    assert _nanos(cache.savings) == one_dear_call

    even = by_kind[_pb.RECOMMENDATION_KIND_SELF_HOSTED_BREAK_EVEN]
    assert even.backend == "backends/vllm" and even.alternative_model == "cheap-model"
    uptime = even.uptime.ToNanoseconds() / 1e9
    assert uptime > 0
    assert _nanos(even.hourly_rate) == 3_600_000_000
    # $3.6/h = $0.001/s = 1_000_000 nanos a second of uptime
    assert abs(_nanos(even.observed_cost) - uptime * 1_000_000) <= 1
    q_in, q_out = qwen.usage.input_token_count, qwen.usage.output_token_count
    assert _nanos(even.alternative_cost) == q_in * 1000 + q_out * 2000
    assert even.break_even_tokens_per_hour == int(
        Decimal(3_600_000_000) / (Decimal(q_in * 1000 + q_out * 2000) / (q_in + q_out))
    )


async def test_lookback_out_of_range_is_invalid(stubs) -> None:  # type: ignore[no-untyped-def]
    _, admin = stubs
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await admin.ListRecommendations(_pb.ListRecommendationsRequest(lookback_days=91))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_get_costs_forecasts_each_budget_period(stubs) -> None:  # type: ignore[no-untyped-def]
    stub, admin = stubs
    await _traffic(stub)
    costs = await admin.GetCosts(_pb.GetCostsRequest(start_time={"seconds": 0}))
    (daily,) = [b for b in costs.budgets if b.budget == "budgets/daily"]
    spent, projected = _nanos(daily.spent), _nanos(daily.projected_spend)
    start = daily.period_start_time.ToNanoseconds() / 1e9
    reset = daily.reset_time.ToNanoseconds() / 1e9
    assert 0 < spent < projected < _nanos(daily.limit)  # $5 is far: no exhaustion time
    assert not daily.HasField("projected_exhaustion_time")
    # A global daily budget whose limit lies between spend and projection: the
    # run rate reaches it inside the period, at start + limit / rate.
    limit = (spent + projected) // 2
    budget = _pb.Budget(name="budgets/tight", period=_pb.BUDGET_PERIOD_DAILY)
    setattr(budget, "global", True)  # a keyword in Python
    budget.limit.CopyFrom(daily.limit)
    budget.limit.units, budget.limit.nanos = divmod(limit, NANOS)
    await admin.UpdateBudget(_pb.UpdateBudgetRequest(budget=budget, allow_missing=True))
    costs = await admin.GetCosts(_pb.GetCostsRequest(start_time={"seconds": 0}))
    (tight,) = [b for b in costs.budgets if b.budget == "budgets/tight"]
    assert tight.HasField("projected_exhaustion_time")
    exhausts = tight.projected_exhaustion_time.ToNanoseconds() / 1e9
    rate = _nanos(tight.projected_spend) / (reset - start)  # nanos/s the projection implies
    assert start < exhausts < reset
    assert exhausts - start == pytest.approx(limit / rate, rel=1e-3)


@pytest.mark.parametrize(
    ("spent", "limit", "now", "end", "projected", "exhausts"),
    [
        (100, 1000, 10.0, 100.0, 1000, 100.0),  # on track to hit 100 % at the reset
        (100, 1000, 50.0, 100.0, 200, None),  # 200 by the end: never reaches the limit
        (300, 1000, 10.0, 100.0, 3000, 33.333333333333336),  # 100 % a third in
        (0, 1000, 10.0, 100.0, 0, None),  # no spend, no rate
        (1500, 1000, 10.0, 100.0, 15000, None),  # already exhausted
        (100, 1000, 10.0, None, 100, 100.0),  # lifetime: no end, same rate
        (1, 10**12, 3.0, 10.0, 3, None),  # 1 x 10/3 = 3.33 -> 3 (half-even nanos)
    ],
)
def test_forecast_arithmetic(
    spent: int, limit: int, now: float, end: float | None, projected: int, exhausts: float | None
) -> None:
    result = forecast(spent, limit, 0.0, end, now)
    assert result.projected_nanos == projected
    if exhausts is None:
        assert result.exhaustion_time is None
    else:
        assert result.exhaustion_time == pytest.approx(exhausts)
