"""Routing strategies through the server, over backends that differ in price
and observed latency."""

from __future__ import annotations

import grpc
import pytest
from conftest import gateway_at
from helpers import chat
from llmgateway.v1 import gateway_service_pb2_grpc, routing_pb2
from upstream_fakes import FakeOpenAI, Reply


def _backend(name: str, url: str, tier: int) -> dict[str, object]:
    return {
        "name": name,
        "kind": "openai_compatible",
        "base_url": url,
        "models": [{"id": f"{name}-model", "quality_tier": tier, "context_window": 8000}],
    }


def _price(per_million_in: str, per_million_out: str) -> dict[str, str]:
    return {
        "input_per_million_tokens": per_million_in,
        "output_per_million_tokens": per_million_out,
    }


@pytest.fixture
async def three():
    async with (
        FakeOpenAI(api_key=None) as dear,
        FakeOpenAI(api_key=None) as cheap,
        FakeOpenAI(api_key=None) as slow,
    ):
        slow.default = Reply(first_byte_delay=0.15)
        settings = {
            "demo_enabled": False,
            "backends": [
                _backend("dear", dear.base_url, 3),
                _backend("cheap", cheap.base_url, 1),
                _backend("slow", slow.base_url, 2),
            ],
            "prices": {
                "dear/dear-model": {
                    "input_per_million_tokens": "10",
                    "output_per_million_tokens": "30",
                },
                "cheap/cheap-model": {
                    "input_per_million_tokens": "0.1",
                    "output_per_million_tokens": "0.4",
                },
                "slow/slow-model": {
                    "input_per_million_tokens": "1",
                    "output_per_million_tokens": "2",
                },
            },
            "aliases": {"pool": ["slow/slow-model", "dear/dear-model", "cheap/cheap-model"]},
            "routing": {"strategies": {"pool": "quality"}, "latency_exploration": 0},
        }
        async with gateway_at(settings) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                yield gateway_service_pb2_grpc.GatewayServiceStub(channel)


def _with(strategy: int, **extra: object):  # type: ignore[no-untyped-def]
    return chat("pool", routing=routing_pb2.RoutingOptions(strategy=strategy, **extra))


async def test_cost_strategy_serves_the_cheapest(three) -> None:
    response = await three.Chat(_with(routing_pb2.ROUTING_STRATEGY_PRIORITIZE_COST))
    assert response.route.backend == "cheap"


async def test_alias_default_strategy_is_quality(three) -> None:
    assert (await three.Chat(chat("pool"))).route.backend == "dear"


async def test_latency_strategy_learns_the_fastest(three) -> None:
    latency = routing_pb2.ROUTING_STRATEGY_PRIORITIZE_LATENCY
    # Unmeasured targets are tried first, so every backend gets a sample.
    seen = {(await three.Chat(_with(latency))).route.backend for _ in range(3)}
    assert seen == {"slow", "dear", "cheap"}
    after = [(await three.Chat(_with(latency))).route.backend for _ in range(5)]
    assert "slow" not in after  # 150 ms slower than the others: never chosen again


async def test_max_cost_and_capabilities_filter_before_any_call(three) -> None:
    from google.type import money_pb2

    cheap_only = _with(
        routing_pb2.ROUTING_STRATEGY_PRIORITIZE_QUALITY,
        max_cost=money_pb2.Money(currency_code="USD", nanos=1_000_000),
    )
    assert (await three.Chat(cheap_only)).route.backend == "cheap"
    vision = _with(
        routing_pb2.ROUTING_STRATEGY_CAPABILITY_MATCH,
        required_capabilities=[routing_pb2.CAPABILITY_VISION],
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await three.Chat(vision)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
