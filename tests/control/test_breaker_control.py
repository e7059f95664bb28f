"""Circuit breaker control through the running gateway's admin plane:
OpenCircuitBreaker takes a backend out until ResetCircuitBreaker (audited),
refusals are counted, and ``success_threshold`` probes close a half-open
breaker (on a driven clock: no waiting for the cool-down)."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack

import grpc
import pytest
from conftest import gateway_at
from helpers import chat, error_info
from llmgateway.v1 import admin_service_pb2 as _pb
from llmgateway.v1 import admin_service_pb2_grpc, gateway_service_pb2_grpc
from manual_clock import ManualClock
from upstream_fakes import FakeOpenAI, Reply


def _backend(name: str, url: str, **breaker: object) -> dict[str, object]:
    return {
        "name": name,
        "kind": "openai_compatible",
        "base_url": url,
        "models": [{"id": "m"}],
        "retry": {"max_retries": 0},
        "circuit_breaker": {"failure_threshold": 1, "cooldown_seconds": 30, **breaker},
    }


async def _env(stack: AsyncExitStack, clock: ManualClock | None = None, **breaker: object):  # type: ignore[no-untyped-def]
    first = await stack.enter_async_context(FakeOpenAI(api_key=None))
    second = await stack.enter_async_context(FakeOpenAI(api_key=None))
    settings = {
        "demo_enabled": False,
        "backends": [
            _backend("first", first.base_url, **breaker),
            _backend("second", second.base_url, **breaker),
        ],
        "aliases": {"chain": ["first/m", "second/m"]},
    }
    running = await stack.enter_async_context(gateway_at(settings, clock=clock))
    data = await stack.enter_async_context(grpc.aio.insecure_channel(running.data_address))
    admin = await stack.enter_async_context(grpc.aio.insecure_channel(running.admin_address))
    return (
        gateway_service_pb2_grpc.GatewayServiceStub(data),
        admin_service_pb2_grpc.AdminServiceStub(admin),
        first,
        second,
    )


async def _breaker(admin, backend: str) -> _pb.CircuitBreakerReport:  # type: ignore[no-untyped-def]
    health = await admin.GetHealth(_pb.GetHealthRequest())
    (report,) = next(b for b in health.backends if b.backend == backend).circuit_breakers
    return report


async def test_forced_open_takes_a_backend_out_until_reset_and_counts_refusals() -> None:
    async with AsyncExitStack() as stack:
        stub, admin, first, second = await _env(stack)
        opened = await admin.OpenCircuitBreaker(
            _pb.OpenCircuitBreakerRequest(backend="backends/first", reason="GPU swap")
        )
        (report,) = opened.circuit_breakers
        assert report.model == "m" and report.state == _pb.CIRCUIT_STATE_OPEN
        assert report.forced_open

        response = await stub.Chat(chat("chain"))
        assert response.route.backend == "second" and not first.requests
        # The second fails too: the loop reaches the forced-open first and is refused.
        second.enqueue(Reply(status=503))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Chat(chat("chain"))
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE and not first.requests
        report = await _breaker(admin, "first")
        assert report.forced_open and report.rejected_count == 1
        assert not report.HasField("retry_after")  # no cool-down ends a forced open

        reset = await admin.ResetCircuitBreaker(
            _pb.ResetCircuitBreakerRequest(backend="backends/first", model_id="m", reason="back")
        )
        assert [r.state for r in reset.circuit_breakers] == [_pb.CIRCUIT_STATE_CLOSED]
        assert (await stub.Chat(chat("chain"))).route.backend == "first"

        events = (await admin.ListAuditEvents(_pb.ListAuditEventsRequest())).events
        assert [(e.action, e.target, e.outcome, e.reason) for e in events] == [
            ("ResetCircuitBreaker", "backends/first/models/m", _pb.AUDIT_OUTCOME_SUCCESS, "back"),
            ("OpenCircuitBreaker", "backends/first", _pb.AUDIT_OUTCOME_SUCCESS, "GPU swap"),
        ]
        assert json.loads(events[1].after_json) == {"m": "open"}


async def test_unknown_backend_or_model_is_not_found_and_audited() -> None:
    async with AsyncExitStack() as stack:
        _, admin, _, _ = await _env(stack)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await admin.OpenCircuitBreaker(_pb.OpenCircuitBreakerRequest(backend="backends/nope"))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await admin.ResetCircuitBreaker(
                _pb.ResetCircuitBreakerRequest(backend="backends/first", model_id="other")
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert error_info(caught.value).reason
        events = (await admin.ListAuditEvents(_pb.ListAuditEventsRequest())).events
        assert [(e.action, e.outcome) for e in events] == [
            ("ResetCircuitBreaker", _pb.AUDIT_OUTCOME_FAILURE),
            ("OpenCircuitBreaker", _pb.AUDIT_OUTCOME_FAILURE),
        ]


@pytest.mark.parametrize("threshold", [1, 2, 3])
async def test_half_open_closes_after_success_threshold_probes(threshold: int) -> None:
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        stub, admin, first, _ = await _env(stack, clock, success_threshold=threshold)
        first.enqueue(Reply(status=503))
        assert (await stub.Chat(chat("chain"))).route.backend == "second"  # first: open
        assert (await _breaker(admin, "first")).state == _pb.CIRCUIT_STATE_OPEN
        clock.advance(30.1)
        states = []
        for _ in range(threshold):
            assert (await stub.Chat(chat("chain"))).route.backend == "first"  # a probe
            states.append((await _breaker(admin, "first")).state)
        assert states == [_pb.CIRCUIT_STATE_HALF_OPEN] * (threshold - 1) + [
            _pb.CIRCUIT_STATE_CLOSED
        ]
