"""The telemetry step in a real in-process gateway: first in every chain,
its finalizer sees the whole call; labels stay bounded; success sampling."""

from __future__ import annotations

import grpc
import pytest
from conftest import gateway_at
from helpers import chat
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc
from llmgw.app import Running
from llmgw.observability.metrics import Instruments
from llmgw.observability.request_log import RequestLog
from llmgw.pipeline.context import Operation
from upstream_fakes import FakeOpenAI, Reply


def test_success_sampling() -> None:
    draws = iter([0.05, 0.5, 0.09, 0.99])
    log = RequestLog(success_sample=0.1, draw=lambda: next(draws))
    assert [log.wanted(True) for _ in range(4)] == [True, False, True, False]
    assert log.wanted(False)  # failures always
    assert not RequestLog(success_sample=0.0).wanted(True)
    assert RequestLog(success_sample=1.0, draw=lambda: 1 / 0).wanted(True)  # never draws


def test_tenant_labels_can_be_switched_off() -> None:
    on, off = Instruments(tenant_labels=True), Instruments(tenant_labels=False)
    for instruments in (on, off):
        instruments.charged("m", "b", "acme", 5, "USD")
        instruments.refused("rpm", "tenants", "acme")
    cost = {"model": "m", "backend": "b", "currency": "USD"}
    assert on.registry.get_sample_value("llmgw_cost_nanos_total", {**cost, "tenant": "acme"}) == 5
    assert off.registry.get_sample_value("llmgw_cost_nanos_total", {**cost, "tenant": ""}) == 5
    assert (
        off.registry.get_sample_value(
            "llmgw_rate_limit_refusals_total", {"limit": "rpm", "scope": "tenants", "tenant": ""}
        )
        == 1
    )


@pytest.mark.parametrize("operation", list(Operation))
async def test_telemetry_is_first_in_every_chain(operation: Operation) -> None:
    async with gateway_at() as running:
        chain = running.built.gateway.chains[operation]
        assert chain.names[0] == "telemetry"


async def test_a_stream_cut_by_the_client_is_counted_and_closed() -> None:
    """Cancelled streams write telemetry too (the issue: they wrote nothing)."""
    async with FakeOpenAI(api_key="sk-fake") as fake:
        fake.enqueue(Reply(chunks=["x"] * 100, chunk_delay=0.05))
        settings = {
            "demo_enabled": False,
            "backends": [
                {
                    "name": "slow",
                    "kind": "openai_compatible",
                    "base_url": fake.base_url,
                    "api_keys": ["sk-fake"],
                    "models": [{"id": "slow-model", "capabilities": ["streaming"]}],
                }
            ],
        }
        async with gateway_at(settings) as running:
            await _cancel_mid_stream(running)


async def _cancel_mid_stream(running: Running) -> None:
    registry = running.built.gateway.telemetry.instruments.registry
    async with grpc.aio.insecure_channel(running.data_address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        call = stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=chat("slow-model")))
        async for _ in call:
            break
        call.cancel()
    labels = {
        "gen_ai_operation_name": "chat",
        "gen_ai_provider_name": "slow",
        "gen_ai_request_model": "slow-model",
        "gen_ai_response_model": "slow-model",
        "backend": "slow",
        "error_type": "CancelledError",
    }
    name = "gen_ai_client_operation_duration_seconds_count"
    for _ in range(200):  # the server sees the cancel shortly after the client
        if registry.get_sample_value(name, labels) == 1:
            break
        await _tick()
    assert registry.get_sample_value(name, labels) == 1
    assert registry.get_sample_value("llmgw_open_streams", {}) == 0


async def _tick() -> None:
    import asyncio

    await asyncio.sleep(0.01)


def test_duration_exemplars_carry_the_trace_ids() -> None:
    """With tracing on the duration and TTFT histograms get exemplars (OpenMetrics)."""
    from llmgw.observability.metrics import CallOutcome
    from prometheus_client.openmetrics.exposition import generate_latest

    instruments = Instruments()
    ids = {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}
    genai = ("chat", "openai", "fast", "gpt", "primary")
    instruments.call(genai, CallOutcome(0.3, tokens=(5, 9), first_token=0.05, exemplar=ids))
    lines = generate_latest(instruments.registry).decode().splitlines()
    duration = [x for x in lines if "operation_duration_seconds_bucket" in x and "#" in x]
    ttft = [x for x in lines if "first_token_seconds_bucket" in x and "#" in x]
    assert len(duration) == 1 and ids["trace_id"] in duration[0] and 'le="0.32"' in duration[0]
    assert len(ttft) == 1 and ids["span_id"] in ttft[0]
