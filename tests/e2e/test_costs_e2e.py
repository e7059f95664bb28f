"""Cost accounting and budgets through the running gateway (one replica, SQLite).

Every response's cost is summed by GetCosts to the nano; streamed and unary
calls with the same usage cost the same; a cancelled stream bills what was
produced, once; a hard budget rejects with RESOURCE_EXHAUSTED + QuotaFailure +
ErrorInfo(BUDGET_EXHAUSTED) and admitted spend stays within the stated bound
under 200 concurrent requests; UpdateBudget changes it at run time.
"""

from __future__ import annotations

import asyncio
import random
import time

import grpc
import pytest
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import chat, detail, error_info
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    generation_pb2,
    routing_pb2,
)
from upstream_fakes import FakeOpenAI, Reply

KEY = "sk-fake"
NANOS = 1_000_000_000
# $2 / $8 per million tokens: 11 input + 4 output tokens = 22_000 + 32_000 nanos.
PRICES = {"fake/priced-model": {"input_per_million_tokens": "2", "output_per_million_tokens": "8"}}


def _settings(url: str, **extra: object) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": url,
                "api_keys": [KEY],
                "models": [
                    {"id": "priced-model", "capabilities": ["streaming"], "max_output_tokens": 50},
                    {"id": "mystery-model", "capabilities": ["streaming"]},
                ],
                "retry": {"max_retries": 0},
            }
        ],
        "prices": PRICES,
        **extra,
    }


def _nanos(money: object) -> int:
    return int(money.units) * NANOS + int(money.nanos)  # type: ignore[attr-defined]


def _since() -> admin_service_pb2.GetCostsRequest:
    request = admin_service_pb2.GetCostsRequest()
    request.start_time.FromSeconds(int(time.time()) - 3600)
    return request


@pytest.fixture
async def fake():
    async with FakeOpenAI(api_key=KEY) as upstream:
        yield upstream


async def _stubs(running):
    data = grpc.aio.insecure_channel(running.data_address)
    admin = grpc.aio.insecure_channel(running.admin_address)
    return (
        data,
        admin,
        gateway_service_pb2_grpc.GatewayServiceStub(data),
        admin_service_pb2_grpc.AdminServiceStub(admin),
    )


async def _stream_final(stub, request) -> gateway_service_pb2.StreamFinal:
    final = None
    async for event in stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=request)):
        if event.HasField("final"):
            final = event.final
    assert final is not None
    return final


async def test_get_costs_sums_every_response_to_the_nano(fake) -> None:
    async with gateway_at(_settings(fake.base_url)) as running:
        data, admin, stub, admin_stub = await _stubs(running)
        async with data, admin:
            costs: list[int] = []
            for i in range(30):
                request = chat("priced-model", f"question {i}")
                request.attribution.project = f"projects/p{i % 3}"
                request.attribution.end_user_id = f"user-{i % 2}"
                if i % 2:
                    final = await _stream_final(stub, request)
                    costs.append(_nanos(final.cost.total))
                else:
                    response = await stub.Chat(request)
                    costs.append(_nanos(response.cost.total))
            assert all(c == 54_000 for c in costs), costs  # streamed == unary for equal usage
            report = await admin_stub.GetCosts(_since())
            assert _nanos(report.total_cost) == sum(costs)
            assert report.total_usage.input_token_count == 30 * 11
            by_project = _since()
            by_project.group_by.append(admin_service_pb2.COST_DIMENSION_PROJECT)
            rows = (await admin_stub.GetCosts(by_project)).rows
            assert {r.dimensions["project"]: _nanos(r.cost) for r in rows} == {
                "p0": 10 * 54_000,
                "p1": 10 * 54_000,
                "p2": 10 * 54_000,
            }
            filtered = _since()
            filtered.filter = 'project = "projects/p1" AND end_user = "user-1"'
            assert _nanos((await admin_stub.GetCosts(filtered)).total_cost) == 5 * 54_000


async def test_request_id_lookup_lists_every_attempt(fake) -> None:
    fake.enqueue(Reply(status=503, error_type="overloaded"))
    settings = _settings(fake.base_url)
    settings["backends"][0]["retry"] = {  # type: ignore[index]
        "max_retries": 1,
        "initial_backoff_seconds": 0.01,
    }
    async with gateway_at(settings) as running:
        data, admin, stub, admin_stub = await _stubs(running)
        async with data, admin:
            response = await stub.Chat(chat("priced-model", request_id="what-did-it-cost"))
            lookup = _since()
            lookup.filter = 'request_id = "what-did-it-cost"'
            report = await admin_stub.GetCosts(lookup)
    statuses = [e.status for e in report.entries]
    assert statuses == [admin_service_pb2.ATTEMPT_STATUS_ERROR, admin_service_pb2.ATTEMPT_STATUS_OK]
    assert _nanos(report.total_cost) == _nanos(response.cost.total) == 54_000
    ok = report.entries[1]
    assert (ok.backend, ok.model, ok.usage.output_token_count) == ("fake", "priced-model", 4)
    assert ok.usage_source == admin_service_pb2.USAGE_SOURCE_PROVIDER


async def test_cancelled_stream_bills_what_was_produced_once(fake) -> None:
    fake.enqueue(Reply(chunks=["tok "] * 400, chunk_delay=0.01))
    async with gateway_at(_settings(fake.base_url)) as running:
        data, admin, stub, admin_stub = await _stubs(running)
        async with data, admin:
            request = chat("priced-model", request_id="cancel-me")
            call = stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=request))
            deltas = 0
            async for event in call:
                if event.HasField("delta"):
                    deltas += 1
                    if deltas == 20:
                        break
            call.cancel()
            await asyncio.wait_for(fake.disconnected.wait(), 5)
            lookup = _since()
            lookup.filter = 'request_id = "cancel-me"'
            deadline = time.monotonic() + 5
            while True:  # the handler's finally bills after the cancel reached it
                report = await admin_stub.GetCosts(lookup)
                if report.entries or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.02)
    (entry,) = report.entries
    assert entry.status == admin_service_pb2.ATTEMPT_STATUS_CANCELLED
    assert entry.usage_source == admin_service_pb2.USAGE_SOURCE_ESTIMATED
    # At least the 20 relayed chunks ("tok " = 1 token each), never the whole answer.
    assert 20 <= entry.usage.output_token_count < 400
    usage = entry.usage
    assert _nanos(entry.cost) == usage.input_token_count * 2000 + usage.output_token_count * 8000


async def test_unpriced_model_is_reported_and_charged_its_reservation(fake) -> None:
    settings = _settings(
        fake.base_url,
        budgets={
            "unpriced_reservation": "0.05",
            "budgets": [{"name": "all", "limit": "100", "enforcement": "soft"}],
        },
    )
    async with gateway_at(settings) as running:
        data, admin, stub, admin_stub = await _stubs(running)
        async with data, admin:
            response = await stub.Chat(chat("mystery-model"))
            assert response.cost.estimated
            report = await admin_stub.GetCosts(_since())
            assert report.unpriced_request_count == 1
            listing = await admin_stub.ListBudgets(admin_service_pb2.ListBudgetsRequest())
            (budget,) = listing.budgets
    assert _nanos(budget.spent) == 50_000_000  # charged at its reservation, never free


async def test_hard_budget_rejects_with_quota_failure_and_update_budget_reopens(fake) -> None:
    # Each request reserves 11 x $2/M + 50 x $8/M = 422_000 nanos and costs 54_000.
    settings = _settings(
        fake.base_url,
        budgets={
            "budgets": [{"name": "tiny", "scope": "project", "value": "ads", "limit": "0.0005"}]
        },
    )
    async with gateway_at(settings) as running:
        data, admin, stub, admin_stub = await _stubs(running)
        async with data, admin:
            request = chat("priced-model")
            request.attribution.project = "projects/ads"
            admitted = 0
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                for _ in range(20):
                    await stub.Chat(request)
                    admitted += 1
            error = caught.value
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            info = error_info(error)
            assert info.reason == "BUDGET_EXHAUSTED"
            assert info.metadata["budget"] == "tiny" and info.metadata["resetTime"]
            quota = detail(error, error_details_pb2.QuotaFailure)
            assert quota.violations[0].subject  # type: ignore[attr-defined]
            assert admitted == 10  # 10 x 54_000 = 540_000 >= 500_000: the 11th is refused
            other = chat("priced-model")  # another project is not limited
            await stub.Chat(other)
            listing = await admin_stub.ListBudgets(admin_service_pb2.ListBudgetsRequest())
            (listed,) = listing.budgets
            assert _nanos(listed.spent) == 10 * 54_000
            assert [a.threshold_percent for a in listed.alerts] == [75, 90, 100]
            (status,) = (await admin_stub.GetCosts(_since())).budgets
            assert status.scope == "projects/ads" and status.percent_used >= 100
            assert _nanos(status.spent) == _nanos(status.ledger_spent) == 10 * 54_000  # no drift
            update = admin_service_pb2.UpdateBudgetRequest(
                budget=admin_service_pb2.Budget(name="budgets/tiny", etag=listed.etag)
            )
            update.budget.limit.currency_code = "USD"
            update.budget.limit.units = 1
            update.update_mask.paths.append("limit")
            updated = await admin_stub.UpdateBudget(update)
            assert _nanos(updated.budget.limit) == NANOS
            assert updated.budget.project == "projects/ads"
            await stub.Chat(request)  # admitted again


async def test_two_hundred_concurrent_requests_stay_within_the_bound(fake) -> None:
    limit = 1_000_000  # about 18 requests of 54_000; each reserves 422_000
    settings = _settings(
        fake.base_url,
        budgets={"budgets": [{"name": "burst", "limit": "0.001"}]},
    )
    fake.default_chunks = ["a"] * 4
    async with gateway_at(settings) as running:
        data, admin, stub, admin_stub = await _stubs(running)
        async with data, admin:

            async def one(i: int) -> bool:
                try:
                    await stub.Chat(chat("priced-model", f"q{i}"))
                    return True
                except grpc.aio.AioRpcError as error:
                    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                    return False

            results = await asyncio.gather(*(one(i) for i in range(200)))
            report = await admin_stub.GetCosts(_since())
    admitted = sum(results)
    spent = _nanos(report.total_cost)
    assert spent == admitted * 54_000
    assert spent <= limit + 422_000, (admitted, spent)
    assert admitted >= 2


async def test_max_cost_caps_one_request(fake) -> None:
    async with gateway_at(_settings(fake.base_url)) as running:
        data, admin, stub, _ = await _stubs(running)
        async with data, admin:
            request = chat("priced-model")
            request.routing.CopyFrom(routing_pb2.RoutingOptions())
            request.routing.max_cost.currency_code = "USD"
            request.routing.max_cost.nanos = 1_000  # below the 22_000 nanos input alone
            request.generation_config.CopyFrom(generation_pb2.GenerationConfig(max_output_tokens=10))
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Chat(request)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_thousand_requests_sum_to_the_nano(fake) -> None:
    rng = random.Random(7)
    replies = [
        Reply(input_tokens=rng.randint(1, 5000), output_tokens=rng.randint(1, 3000))
        for _ in range(1000)
    ]
    fake.enqueue(*replies)
    async with gateway_at(_settings(fake.base_url)) as running:
        data, admin, stub, admin_stub = await _stubs(running)
        async with data, admin:
            gate = asyncio.Semaphore(16)

            async def one(i: int) -> int:
                async with gate:
                    response = await stub.Chat(chat("priced-model", f"n{i}"))
                    return _nanos(response.cost.total)

            costs = await asyncio.gather(*(one(i) for i in range(1000)))
            report = await admin_stub.GetCosts(_since())
            by_model = _since()
            by_model.group_by.append(admin_service_pb2.COST_DIMENSION_MODEL)
            by_model.granularity = admin_service_pb2.COST_GRANULARITY_DAY
            rows = (await admin_stub.GetCosts(by_model)).rows
    expected = sum(2000 * r.input_tokens + 8000 * r.output_tokens for r in replies)
    assert sum(costs) == expected == _nanos(report.total_cost)
    assert sum(_nanos(r.cost) for r in rows) == expected
    assert sum(r.request_count for r in rows) == 1000


async def test_vllm_uptime_is_its_own_cost_line(fake) -> None:
    settings = _settings(fake.base_url, budgets={"vllm_hourly_rate": "3.6"})
    settings["backends"].append(  # type: ignore[attr-defined]
        {
            "name": "vllm",
            "kind": "openai_compatible",
            "base_url": fake.base_url,
            "api_keys": [KEY],
            "models": [{"id": "qwen", "capabilities": ["streaming"]}],
        }
    )
    async with gateway_at(settings) as running:
        data, admin, stub, admin_stub = await _stubs(running)
        async with data, admin:
            response = await stub.Chat(chat("qwen"))
            assert _nanos(response.cost.total) == 0  # self-hosted: not per token
            await asyncio.sleep(0.2)  # let some uptime accrue
            report = await admin_stub.GetCosts(_since())
    (line,) = report.fixed_costs
    assert line.backend == "vllm" and line.name == "vllm-uptime"
    seconds = line.uptime.ToNanoseconds() / 1e9
    assert seconds >= 0.2
    assert _nanos(line.hourly_rate) == 3_600_000_000
    assert abs(_nanos(line.cost) - seconds * 1_000_000) <= 1  # $3.6/h = 1000 nanos/ms
    assert _nanos(report.grand_total_cost) == _nanos(report.total_cost) + _nanos(line.cost)


async def test_soft_budget_pressure_downgrades_to_the_cheaper_model(fake) -> None:
    settings = _settings(
        fake.base_url,
        prices={
            **PRICES,
            "fake/mystery-model": {
                "input_per_million_tokens": "0.1",
                "output_per_million_tokens": "0.1",
            },
        },
        aliases={"smart": ["fake/priced-model", "fake/mystery-model"]},
        routing={"allow_downgrade": ["smart"]},
        budgets={"budgets": [{"name": "soft", "limit": "0.0002", "enforcement": "soft"}]},
    )
    async with gateway_at(settings) as running:
        data, admin, stub, _ = await _stubs(running)
        async with data, admin:
            served = [(await stub.Chat(chat("smart"))).route.model for _ in range(6)]
    # 54_000 nanos each: past 75 % of 200_000 after the third request.
    assert served[:3] == ["priced-model"] * 3
    assert served[3:] == ["mystery-model"] * 3


async def test_update_budget_of_a_missing_budget_is_not_found_unless_allow_missing(fake) -> None:
    async with gateway_at(_settings(fake.base_url)) as running:
        data, admin, _, admin_stub = await _stubs(running)
        async with data, admin:
            budget = admin_service_pb2.Budget(name="budgets/new", tenant="tenants/acme")
            budget.limit.currency_code = "USD"
            budget.limit.units = 3
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await admin_stub.UpdateBudget(admin_service_pb2.UpdateBudgetRequest(budget=budget))
            assert missing.value.code() == grpc.StatusCode.NOT_FOUND
            assert error_info(missing.value).reason == "BUDGET_NOT_FOUND"
            created = await admin_stub.UpdateBudget(
                admin_service_pb2.UpdateBudgetRequest(budget=budget, allow_missing=True)
            )
            assert created.budget.tenant == "tenants/acme"
            assert created.budget.period == admin_service_pb2.BUDGET_PERIOD_MONTHLY
            with pytest.raises(grpc.aio.AioRpcError) as filtered:
                await admin_stub.ListBudgets(admin_service_pb2.ListBudgetsRequest(filter="x = 1"))
            assert filtered.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            listing = await admin_stub.ListBudgets(admin_service_pb2.ListBudgetsRequest())
    assert [b.name for b in listing.budgets] == ["budgets/new"]


async def test_missing_usage_is_estimated_never_a_silent_zero(fake) -> None:
    """Some OpenAI-compatible servers report no usage: the answer is billed on
    an estimate, marked estimated, in the response and in the ledger."""
    chunks = ["word "] * 40  # 200 characters -> 50 estimated output tokens
    fake.enqueue(
        Reply(chunks=chunks, input_tokens=0, output_tokens=0),
        Reply(chunks=chunks, input_tokens=0, output_tokens=0),
    )
    async with gateway_at(_settings(fake.base_url)) as running:
        data, admin, stub, admin_stub = await _stubs(running)
        async with data, admin:
            unary = await stub.Chat(chat("priced-model", request_id="no-usage-1"))
            final = await _stream_final(stub, chat("priced-model", request_id="no-usage-2"))
            lookup = _since()
            lookup.filter = 'request_id = "no-usage-2"'
            (entry,) = (await admin_stub.GetCosts(lookup)).entries
    for usage, cost in ((unary.usage, unary.cost), (final.usage, final.cost)):
        assert usage.output_token_count == 50 and usage.input_token_count > 0
        assert cost.estimated
        assert _nanos(cost.total) == usage.input_token_count * 2000 + 50 * 8000
    assert entry.usage_source == admin_service_pb2.USAGE_SOURCE_ESTIMATED
    assert _nanos(entry.cost) == _nanos(final.cost.total)
