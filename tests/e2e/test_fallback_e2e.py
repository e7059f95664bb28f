"""Fallback through the running gateway to fake upstreams (regressions for the
fallback bugs users report in other gateways: fallback after a partial stream,
Retry-After ignored, caller errors falling back, retries duplicating content)."""

from __future__ import annotations

import time

import grpc
import pytest
from conftest import gateway_at
from helpers import chat, error_info
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    routing_pb2,
)
from upstream_fakes import FakeAnthropic, FakeOpenAI, Reply

KEY = "sk-fake"
FAST_RETRY = {"initial_backoff_seconds": 0.01, "max_backoff_seconds": 0.05, "max_retries": 2}


def _settings(openai_url: str, anthropic_url: str) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "primary",
                "kind": "openai_compatible",
                "base_url": openai_url,
                "api_keys": [KEY],
                "models": [{"id": "fast-model", "capabilities": ["streaming"]}],
                "retry": FAST_RETRY,
                "circuit_breaker": {"failure_threshold": 3, "cooldown_seconds": 30},
            },
            {
                "name": "secondary",
                "kind": "anthropic",
                "base_url": anthropic_url,
                "api_keys": [KEY],
                "models": [{"id": "claude-haiku-4-5", "max_output_tokens": 100}],
                "retry": FAST_RETRY,
            },
        ],
        "aliases": {
            "chain": ["primary/fast-model", "secondary/claude-haiku-4-5"],
            "first": ["primary/fast-model"],
            "second": ["secondary/claude-haiku-4-5"],
        },
    }


@pytest.fixture
async def env():
    async with FakeOpenAI(api_key=KEY) as primary, FakeAnthropic(api_key=KEY) as secondary:
        async with gateway_at(_settings(primary.base_url, secondary.base_url)) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                stub.admin_address = running.admin_address  # type: ignore[attr-defined]
                yield stub, primary, secondary


async def test_overloaded_primary_falls_back_and_route_says_so(env) -> None:
    stub, primary, secondary = env
    primary.enqueue(*[Reply(status=503, error_type="overloaded")] * 3)
    secondary.enqueue(Reply(chunks=["from secondary"]))
    response = await stub.Chat(chat("chain"))
    assert response.candidates[0].message.parts[0].text == "from secondary"
    assert response.route.backend == "secondary"
    assert list(response.route.failed_backends) == ["primary"]
    assert len(primary.requests) == 3  # first try + 2 retries, then fallback
    assert response.route.attempt_count == 4 and response.route.alias == "chain"


async def test_transient_failure_is_retried_on_the_same_backend(env) -> None:
    stub, primary, secondary = env
    primary.enqueue(Reply(status=502), Reply(chunks=["second try"]))
    response = await stub.Chat(chat("chain"))
    assert response.route.backend == "primary"
    assert response.candidates[0].message.parts[0].text == "second try"
    # Retried then served by the primary: it was never given up on.
    assert list(response.route.failed_backends) == []
    assert response.route.attempt_count == 2
    assert not secondary.requests


async def test_retry_after_ms_is_waited_for(env) -> None:
    stub, primary, _ = env
    primary.enqueue(Reply(status=429, headers={"retry-after-ms": "300"}), Reply(chunks=["ok"]))
    started = time.monotonic()
    response = await stub.Chat(chat("chain"))
    assert time.monotonic() - started >= 0.3
    assert response.route.backend == "primary"


async def test_caller_error_does_not_fall_back(env) -> None:
    stub, primary, secondary = env
    primary.enqueue(Reply(status=400, error_type="invalid_request_error"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat("chain"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(primary.requests) == 1 and not secondary.requests


async def test_stream_falls_back_before_the_first_delta(env) -> None:
    stub, primary, secondary = env
    # The primary cuts its stream before any content: nothing reached the caller.
    primary.enqueue(*[Reply(chunks=["a", "b"], cut_after_chunks=0)] * 3)
    secondary.enqueue(Reply(chunks=["x", "y"]))
    events = [
        e async for e in stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=chat("chain")))
    ]
    assert events[0].start.route.backend == "secondary"
    assert list(events[0].start.route.failed_backends) == ["primary"]
    assert events[0].start.route.attempt_count == 4 and events[0].start.route.alias == "chain"
    assert list(events[-1].final.route.failed_backends) == ["primary"]
    assert "".join(e.delta.text for e in events if e.WhichOneof("event") == "delta") == "xy"
    assert events[-1].WhichOneof("event") == "final"


async def test_stream_never_falls_back_after_a_delta(env) -> None:
    stub, primary, secondary = env
    primary.enqueue(Reply(chunks=["partial ", "answer ", "more"], cut_after_chunks=1))
    texts = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for event in stub.StreamChat(
            gateway_service_pb2.StreamChatRequest(chat=chat("chain"))
        ):
            if event.WhichOneof("event") == "delta":
                texts.append(event.delta.text)
    assert texts == ["partial "]  # delivered once, never duplicated by a retry
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert error_info(caught.value).reason == "UPSTREAM_STREAM_INTERRUPTED"
    assert not secondary.requests


async def test_fallback_mode_none_uses_only_the_first_target(env) -> None:
    stub, primary, secondary = env
    primary.enqueue(*[Reply(status=503)] * 3)
    request = chat(
        "chain", routing=routing_pb2.RoutingOptions(fallback_mode=routing_pb2.FALLBACK_MODE_NONE)
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(request)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert not secondary.requests


async def test_request_fallback_models_extend_the_chain(env) -> None:
    stub, primary, secondary = env
    primary.enqueue(*[Reply(status=500)] * 3)
    secondary.enqueue(Reply(chunks=["rescued"]))
    request = chat(
        "fast-model", routing=routing_pb2.RoutingOptions(fallback_models=["claude-haiku-4-5"])
    )
    response = await stub.Chat(request)
    assert response.route.backend == "secondary"
    assert response.route.alias == ""  # a model id, not an alias; never the fallback's


async def test_fallback_to_another_alias_reports_the_alias_asked_for(env) -> None:
    stub, primary, secondary = env
    primary.enqueue(*[Reply(status=500)] * 3)
    secondary.enqueue(Reply(chunks=["rescued"]))
    request = chat("first", routing=routing_pb2.RoutingOptions(fallback_models=["second"]))
    response = await stub.Chat(request)
    assert response.route.backend == "secondary"
    assert response.route.alias == "first"  # what was asked, not "second"
    assert list(response.route.failed_backends) == ["primary"]
    assert response.route.attempt_count == 4


async def test_breaker_opens_and_skips_the_failing_backend(env) -> None:
    stub, primary, _ = env
    primary.default = Reply(status=500)
    for _ in range(2):
        response = await stub.Chat(chat("chain"))
        assert response.route.backend == "secondary"
    calls = len(primary.requests)
    assert calls == 3  # threshold 3 consecutive failures: the breaker is open now
    response = await stub.Chat(chat("chain"))
    assert response.route.backend == "secondary"
    # Routing moves the open-circuit target behind the healthy one: no wasted attempt.
    assert list(response.route.failed_backends) == []
    assert len(primary.requests) == calls

    async with grpc.aio.insecure_channel(stub.admin_address) as channel:
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        health = await admin.GetHealth(admin_service_pb2.GetHealthRequest())
    reports = {b.backend: b for b in health.backends}
    (breaker,) = reports["primary"].circuit_breakers
    assert breaker.state == admin_service_pb2.CIRCUIT_STATE_OPEN
    assert breaker.trip_count == 1 and breaker.retry_after.seconds > 0
    assert reports["primary"].health.state == admin_service_pb2.HEALTH_STATE_UNHEALTHY
    assert reports["secondary"].health.state == admin_service_pb2.HEALTH_STATE_HEALTHY


async def test_get_metrics_reports_attempts_errors_latency_and_cost(env) -> None:
    stub, primary, secondary = env
    primary.enqueue(*[Reply(status=503, error_type="overloaded")] * 3)
    secondary.enqueue(Reply(chunks=["a"], input_tokens=10), Reply(chunks=["b", "c"]))
    await stub.Chat(chat("chain"))
    async for _ in stub.StreamChat(
        gateway_service_pb2.StreamChatRequest(chat=chat("claude-haiku-4-5"))
    ):
        pass
    async with grpc.aio.insecure_channel(stub.admin_address) as channel:
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        metrics = await admin.GetMetrics(admin_service_pb2.GetMetricsRequest())
        only = await admin.GetMetrics(
            admin_service_pb2.GetMetricsRequest(backends=["backends/primary"])
        )
    rows = {r.backend: r for r in metrics.rows}
    failing, serving = rows["backends/primary"], rows["backends/secondary"]
    assert failing.request_count == 3 and dict(failing.error_counts) == {"UNAVAILABLE": 3}
    assert failing.circuit_breaker.state == admin_service_pb2.CIRCUIT_STATE_OPEN
    assert failing.circuit_breaker.trip_count == 1
    assert serving.request_count == 2 and not serving.error_counts
    assert serving.p50_latency.ToNanoseconds() > 0
    assert serving.p50_time_to_first_token.ToNanoseconds() > 0
    assert serving.output_tokens_per_second > 0
    assert serving.cost.nanos > 0 or serving.cost.units > 0
    assert [r.backend for r in only.rows] == ["backends/primary"]
    # The window starts at the last snapshot before now - 300 s, or at process
    # start when the process is younger (this one is).
    span = metrics.window_end_time.ToNanoseconds() - metrics.window_start_time.ToNanoseconds()
    assert 0 < span <= 300 * 10**9
