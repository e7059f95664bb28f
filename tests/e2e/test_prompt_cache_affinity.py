"""``CachePolicy.prompt_cache_key`` through the running gateway: forwarded to
the upstream as ``prompt_cache_key``, and sticky across a pool of fake vLLM
replicas serving the same model (rendezvous hashing): the same key always
reaches the same healthy replica; when one fails only its keys move."""

from __future__ import annotations

from contextlib import AsyncExitStack

import grpc
import pytest
from conftest import gateway_at
from helpers import chat
from llmgateway.v1 import admin_service_pb2 as _pb
from llmgateway.v1 import admin_service_pb2_grpc, gateway_service_pb2_grpc, routing_pb2
from upstream_fakes import FakeOpenAI, Reply

KEYS = [f"conversation-{i}" for i in range(24)]
REPLICAS = ("vllm-a", "vllm-b", "vllm-c")


def _keyed(key: str) -> routing_pb2.RoutingOptions:
    return routing_pb2.RoutingOptions(cache_policy=routing_pb2.CachePolicy(prompt_cache_key=key))


@pytest.fixture
async def pool():
    async with AsyncExitStack() as stack:
        fakes = {n: await stack.enter_async_context(FakeOpenAI(api_key=None)) for n in REPLICAS}
        settings = {
            "demo_enabled": False,
            "backends": [
                {
                    "name": name,
                    "kind": "openai_compatible",
                    "preset": "vllm",
                    "base_url": fake.base_url,
                    "models": [{"id": "qwen"}],
                    "retry": {"max_retries": 0},
                    "circuit_breaker": {"failure_threshold": 1, "cooldown_seconds": 600},
                }
                for name, fake in fakes.items()
            ],
            "aliases": {"qwen-pool": [f"{name}/qwen" for name in REPLICAS]},
        }
        running = await stack.enter_async_context(gateway_at(settings))
        data = await stack.enter_async_context(grpc.aio.insecure_channel(running.data_address))
        admin = await stack.enter_async_context(grpc.aio.insecure_channel(running.admin_address))
        yield (
            gateway_service_pb2_grpc.GatewayServiceStub(data),
            admin_service_pb2_grpc.AdminServiceStub(admin),
            fakes,
        )


async def _placement(stub) -> dict[str, str]:  # type: ignore[no-untyped-def]
    placed = {}
    for key in KEYS:
        response = await stub.Chat(chat("qwen-pool", routing=_keyed(key)))
        placed[key] = response.route.backend
    return placed


async def test_key_is_forwarded_and_sticks_to_one_replica(pool) -> None:
    stub, _, fakes = pool
    first = await _placement(stub)
    assert await _placement(stub) == first  # the same key, the same replica
    assert set(first.values()) == set(REPLICAS)  # and the keys spread over the pool
    for name, fake in fakes.items():
        sent = [r.json["prompt_cache_key"] for r in fake.requests]
        assert sorted(sent) == sorted([k for k, b in first.items() if b == name] * 2)


async def test_without_a_key_the_chain_order_decides(pool) -> None:
    stub, _, fakes = pool
    for _ in range(3):
        assert (await stub.Chat(chat("qwen-pool"))).route.backend == "vllm-a"
    assert "prompt_cache_key" not in fakes["vllm-a"].requests[0].json


async def test_a_failed_replica_moves_only_its_own_keys(pool) -> None:
    stub, admin, fakes = pool
    before = await _placement(stub)
    owned = [k for k, b in before.items() if b == "vllm-a"]
    fakes["vllm-a"].default = Reply(status=503)
    # The first of its keys fails over at once (threshold 1 opens the breaker)...
    response = await stub.Chat(chat("qwen-pool", routing=_keyed(owned[0])))
    assert list(response.route.failed_backends) == ["vllm-a"]
    calls = len(fakes["vllm-a"].requests)
    after = await _placement(stub)
    # ...then its keys go to the other replicas without a call to it; nobody else moves.
    assert len(fakes["vllm-a"].requests) == calls
    assert {k: b for k, b in after.items() if k not in owned} == {
        k: b for k, b in before.items() if k not in owned
    }
    assert all(after[k] in ("vllm-b", "vllm-c") for k in owned)
    assert {after[k] for k in owned} == {"vllm-b", "vllm-c"}  # spread, not one hot spare

    fakes["vllm-a"].default = Reply()
    await admin.ResetCircuitBreaker(_pb.ResetCircuitBreakerRequest(backend="backends/vllm-a"))
    assert await _placement(stub) == before  # healthy again: its keys come back


async def test_engines_not_known_to_take_the_key_do_not_receive_it() -> None:
    # Strict OpenAI-compatible APIs (Mistral) refuse unknown fields with a 422,
    # which would fail the call: only OpenAI and vLLM get prompt_cache_key.
    async with FakeOpenAI(api_key="sk-m") as mistral, FakeOpenAI(api_key=None) as custom:
        settings = {
            "demo_enabled": False,
            "backends": [
                {"name": "mistral", "kind": "openai_compatible", "preset": "mistral",
                 "base_url": mistral.base_url, "api_keys": ["sk-m"], "models": [{"id": "small"}]},
                {"name": "custom", "kind": "openai_compatible", "base_url": custom.base_url,
                 "models": [{"id": "local"}]},
            ],
        }  # fmt: skip
        async with gateway_at(settings) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                for model in ("small", "local"):
                    await stub.Chat(chat(model, routing=_keyed("conversation-1")))
        for fake in (mistral, custom):
            (request,) = fake.requests
            assert "prompt_cache_key" not in request.json
