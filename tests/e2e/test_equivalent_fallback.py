"""FALLBACK_MODE_EQUIVALENT through the running gateway: a request falls back
only to models of the route in the first target's equivalence group (``tier``
in the model config), never to another tier; the default mode uses the whole
chain."""

from __future__ import annotations

from contextlib import AsyncExitStack

import grpc
import pytest
from conftest import gateway_at
from helpers import chat
from llmgateway.v1 import admin_service_pb2 as _pb
from llmgateway.v1 import admin_service_pb2_grpc, gateway_service_pb2_grpc, routing_pb2
from upstream_fakes import FakeOpenAI, Reply

KEY = "sk-fake"
NO_RETRY = {"max_retries": 0}
EQUIVALENT = routing_pb2.RoutingOptions(fallback_mode=routing_pb2.FALLBACK_MODE_EQUIVALENT)


def _backend(name: str, url: str, model: str, tier: str) -> dict[str, object]:
    return {
        "name": name,
        "kind": "openai_compatible",
        "base_url": url,
        "api_keys": [KEY],
        "models": [{"id": model, "tier": tier}],
        "retry": NO_RETRY,
    }


@pytest.fixture
async def env():
    async with AsyncExitStack() as stack:
        fast_a, smart, fast_b = [
            await stack.enter_async_context(FakeOpenAI(api_key=KEY)) for _ in range(3)
        ]
        settings = {
            "demo_enabled": False,
            "backends": [
                _backend("fast-a", fast_a.base_url, "mini-a", "fast"),
                _backend("smart", smart.base_url, "big", "smart"),
                _backend("fast-b", fast_b.base_url, "mini-b", "fast"),
                _backend("plain", fast_b.base_url, "untiered", ""),
            ],
            "aliases": {
                "quick": ["fast-a/mini-a", "smart/big", "fast-b/mini-b"],
                "bare": ["plain/untiered", "smart/big"],
            },
        }
        running = await stack.enter_async_context(gateway_at(settings))
        channel = await stack.enter_async_context(grpc.aio.insecure_channel(running.data_address))
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        stub.admin_address = running.admin_address  # type: ignore[attr-defined]
        yield stub, fast_a, smart, fast_b


async def test_equivalent_skips_other_tiers_and_serves_from_the_same_tier(env) -> None:
    stub, fast_a, smart, fast_b = env
    fast_a.enqueue(Reply(status=503))
    fast_b.enqueue(Reply(chunks=["same tier"]))
    response = await stub.Chat(chat("quick", routing=EQUIVALENT))
    assert response.candidates[0].message.parts[0].text == "same tier"
    assert response.route.backend == "fast-b" and response.route.model == "mini-b"
    assert list(response.route.failed_backends) == ["fast-a"]
    assert not smart.requests  # "big" is tier smart: never tried


async def test_equivalent_fails_rather_than_leave_the_group(env) -> None:
    stub, fast_a, smart, fast_b = env
    fast_a.enqueue(Reply(status=503))
    fast_b.enqueue(Reply(status=503))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat("quick", routing=EQUIVALENT))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert len(fast_a.requests) == 1 and len(fast_b.requests) == 1
    assert not smart.requests


async def test_default_mode_falls_back_along_the_whole_chain(env) -> None:
    stub, fast_a, smart, fast_b = env
    fast_a.enqueue(Reply(status=503))
    smart.enqueue(Reply(chunks=["next in chain"]))
    response = await stub.Chat(chat("quick"))
    assert response.route.backend == "smart"
    assert not fast_b.requests


async def test_equivalent_without_a_tier_keeps_to_the_same_model(env) -> None:
    stub, _, smart, fast_b = env
    fast_b.enqueue(Reply(status=503))  # "plain" shares fast_b's fake upstream
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.Chat(chat("bare", routing=EQUIVALENT))
    assert not smart.requests


async def test_route_explanation_shows_what_equivalent_leaves_out(env) -> None:
    stub, fast_a, smart, fast_b = env
    async with grpc.aio.insecure_channel(stub.admin_address) as channel:
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        reply = await admin.ExplainRoute(
            _pb.ExplainRouteRequest(chat=chat("quick", routing=EQUIVALENT))
        )
    rows = [(c.position, c.backend, [(k.check, k.passed) for k in c.checks if not k.passed])
            for c in reply.candidates]  # fmt: skip
    assert rows == [
        (1, "backends/fast-a", []),
        (2, "backends/fast-b", []),
        (0, "backends/smart", [("FALLBACK_MODE", False)]),
    ]
    assert "tier 'fast'" in reply.candidates[2].checks[0].detail
    assert not (fast_a.requests or smart.requests or fast_b.requests)
