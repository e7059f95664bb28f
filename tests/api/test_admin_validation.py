"""Caller input the proto types allow but the gateway must refuse (issue 10
item 9): ``INVALID_ARGUMENT`` + ``BadRequest`` naming the field, through the
real server, and nothing changed or billed.

* ``SwitchBackend.ttl`` of 10,000 years (``Duration.ToTimedelta`` overflows:
  was ``INTERNAL``), negative, or with out-of-range nanos;
* ``UpdateBudget`` with currency ``"\\0\\0"`` or a currency other than the
  price book's, or an enforcement or period value this gateway does not know;
* ``RoutingOptions.max_cost`` in another currency (was accepted and compared
  with USD nanos as if it were USD).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from conftest import gateway_at
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2
from helpers import chat, detail, error_info
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    routing_pb2,
)
from upstream_fakes import FakeOpenAI

KEY = "sk-fake"
YEAR = 365 * 86_400
_pb = admin_service_pb2


@pytest.fixture
async def env() -> AsyncIterator[Any]:
    async with FakeOpenAI(api_key=KEY) as fake:
        settings = {
            "demo_enabled": False,
            "backends": [
                {
                    "name": "primary",
                    "kind": "openai_compatible",
                    "base_url": fake.base_url,
                    "api_keys": [KEY],
                    "models": [{"id": "fast-model"}],
                },
                {
                    "name": "secondary",
                    "kind": "openai_compatible",
                    "base_url": fake.base_url,
                    "api_keys": [KEY],
                    "models": [{"id": "fast-model"}],
                },
            ],
            "aliases": {"chain": ["primary/fast-model", "secondary/fast-model"]},
            "budgets": {"budgets": [{"name": "cap", "limit": "5"}]},
        }
        async with gateway_at(settings) as running:
            async with (
                grpc.aio.insecure_channel(running.data_address) as data,
                grpc.aio.insecure_channel(running.admin_address) as admin,
            ):
                yield (
                    gateway_service_pb2_grpc.GatewayServiceStub(data),
                    admin_service_pb2_grpc.AdminServiceStub(admin),
                    fake,
                )


def _violations(error: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert error_info(error).reason == "INVALID_REQUEST"
    bad = detail(error, error_details_pb2.BadRequest)
    return [(v.field, v.reason) for v in bad.field_violations]  # type: ignore[attr-defined]


async def _route(admin: Any) -> Any:
    routes = (await admin.ListRoutes(_pb.ListRoutesRequest())).routes
    return next(r for r in routes if r.name == "routes/chain")


async def _successes(admin: Any, action: str) -> int:
    events = (await admin.ListAuditEvents(_pb.ListAuditEventsRequest())).events
    return sum(1 for e in events if e.action == action and e.outcome == _pb.AUDIT_OUTCOME_SUCCESS)


@pytest.mark.parametrize(
    "ttl",
    [
        duration_pb2.Duration(seconds=10_000 * YEAR),
        duration_pb2.Duration(seconds=-5),
        duration_pb2.Duration(seconds=0, nanos=-1),
        duration_pb2.Duration(seconds=1, nanos=2_000_000_000),
        duration_pb2.Duration(seconds=2 * YEAR),
    ],
    ids=["ten-thousand-years", "negative", "negative-nanos", "nanos-overflow", "two-years"],
)
async def test_switch_ttl_out_of_range_is_invalid_argument(env: Any, ttl: Any) -> None:
    _, admin, _ = env
    before = await _route(admin)
    request = _pb.SwitchBackendRequest(
        route="routes/chain", backend="backends/secondary", model_id="fast-model", ttl=ttl
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.SwitchBackend(request)
    (violation,) = _violations(caught.value)
    assert violation[0] == "ttl"
    after = await _route(admin)
    assert after.etag == before.etag and not after.HasField("active_override")
    assert await _successes(admin, "SwitchBackend") == 0


async def test_a_one_day_ttl_is_accepted(env: Any) -> None:
    _, admin, _ = env
    request = _pb.SwitchBackendRequest(
        route="routes/chain",
        backend="backends/secondary",
        model_id="fast-model",
        ttl=duration_pb2.Duration(seconds=86_400),
    )
    response = await admin.SwitchBackend(request)
    assert response.route.active_override.HasField("expire_time")


@pytest.mark.parametrize(
    ("currency", "reason"),
    [("\0\0", "INVALID_CURRENCY"), ("usd", "INVALID_CURRENCY"), ("EUR", "UNSUPPORTED_CURRENCY")],
    ids=["nul-bytes", "lowercase", "other-currency"],
)
async def test_update_budget_currency_is_checked(env: Any, currency: str, reason: str) -> None:
    _, admin, _ = env
    before = (await admin.ListBudgets(_pb.ListBudgetsRequest())).budgets
    for name, allow_missing in (("budgets/cap", False), ("budgets/fresh", True)):
        request = _pb.UpdateBudgetRequest(budget=_pb.Budget(name=name), allow_missing=allow_missing)
        request.budget.limit.currency_code = currency
        request.budget.limit.units = 7
        request.update_mask.paths.append("limit")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await admin.UpdateBudget(request)
        assert _violations(caught.value) == [("budget.limit.currency_code", reason)]
    after = (await admin.ListBudgets(_pb.ListBudgetsRequest())).budgets
    assert [(b.name, b.limit.units, b.etag) for b in after] == [
        (b.name, b.limit.units, b.etag) for b in before
    ]
    assert await _successes(admin, "UpdateBudget") == 0


@pytest.mark.parametrize("field", ["enforcement", "period"])
async def test_update_budget_with_an_enum_value_unknown_here_is_invalid(
    env: Any, field: str
) -> None:
    """Proto enums are open: a newer client can send a value this gateway
    does not know (the admin fuzz found enforcement 24 answering INTERNAL)."""
    _, admin, _ = env
    request = _pb.UpdateBudgetRequest(budget=_pb.Budget(name="budgets/cap"))
    setattr(request.budget, field, 24)
    request.update_mask.paths.append(field)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.UpdateBudget(request)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(caught.value) == [(f"budget.{field}", "VALUE_OUT_OF_RANGE")]
    assert await _successes(admin, "UpdateBudget") == 0


async def test_update_budget_in_the_price_book_currency_still_works(env: Any) -> None:
    _, admin, _ = env
    request = _pb.UpdateBudgetRequest(budget=_pb.Budget(name="budgets/cap"))
    request.budget.limit.currency_code = "USD"
    request.budget.limit.units = 7
    request.update_mask.paths.append("limit")
    updated = await admin.UpdateBudget(request)
    assert (updated.budget.limit.units, updated.budget.limit.currency_code) == (7, "USD")


@pytest.mark.parametrize(
    ("currency", "reason"), [("EUR", "UNSUPPORTED_CURRENCY"), ("\0\0", "INVALID_CURRENCY")]
)
async def test_max_cost_in_another_currency_is_refused_before_any_call(
    env: Any, currency: str, reason: str
) -> None:
    stub, admin, fake = env
    request = chat("chain")
    request.routing.CopyFrom(routing_pb2.RoutingOptions())
    request.routing.max_cost.currency_code = currency
    request.routing.max_cost.units = 1000
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(request)
    assert _violations(caught.value) == [("routing.max_cost.currency_code", reason)]
    assert fake.requests == []  # never reached the upstream
    (budget,) = (await admin.ListBudgets(_pb.ListBudgetsRequest())).budgets
    assert budget.spent.units == 0 and budget.spent.nanos == 0  # nothing billed


async def test_stream_heartbeat_interval_out_of_range_is_refused_before_any_call(env: Any) -> None:
    """``ToTimedelta`` of a 10,000-year heartbeat used to overflow mid-stream."""
    stub, _, fake = env
    request = gateway_service_pb2.StreamChatRequest(chat=chat("chain"))
    request.stream_options.heartbeat_interval.seconds = 10_000 * YEAR
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in stub.StreamChat(request):
            pass
    assert _violations(caught.value) == [
        ("stream_options.heartbeat_interval", "VALUE_OUT_OF_RANGE")
    ]
    assert fake.requests == []
