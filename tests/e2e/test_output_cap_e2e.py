"""The output cap a budget reservation assumes is the cap sent upstream, and
``routing.max_cost`` is enforced during generation (issue 10, items 2 and 3).

Through the real server against fake OpenAI and Anthropic upstreams: what the
upstream received (``max_tokens``), the finish reason, and what was billed."""

from __future__ import annotations

import grpc
import pytest
from conftest import gateway_at
from helpers import chat
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc, generation_pb2
from upstream_fakes import FakeAnthropic, FakeOpenAI, Reply

KEY = "sk-fake"
IN_NANOS, OUT_NANOS = 2_000, 8_000  # $2 / $8 per million tokens
DEFAULT_CAP = 777  # budgets.default_max_output_tokens in these tests


def _backend(name: str, kind: str, url: str, model: dict[str, object]) -> dict[str, object]:
    return {
        "name": name,
        "kind": kind,
        "base_url": url,
        "api_keys": [KEY],
        "models": [{"capabilities": ["streaming"], **model}],
        "retry": {"max_retries": 0},
    }


def _settings(*backends: dict[str, object], budgets: bool = True) -> dict[str, object]:
    prices = {
        f"{b['name']}/{m['id']}": {  # type: ignore[index]
            "input_per_million_tokens": "2",
            "output_per_million_tokens": "8",
        }
        for b in backends
        for m in b["models"]  # type: ignore[attr-defined]
    }
    settings: dict[str, object] = {"demo_enabled": False, "backends": list(backends)}
    settings["prices"] = prices
    if budgets:
        settings["budgets"] = {
            "default_max_output_tokens": DEFAULT_CAP,
            "budgets": [{"name": "all", "limit": "2", "enforcement": "hard"}],
        }
    return settings


def _nanos(money: object) -> int:
    return int(money.units) * 1_000_000_000 + int(money.nanos)  # type: ignore[attr-defined]


async def _final(stub, request) -> gateway_service_pb2.StreamFinal:  # type: ignore[no-untyped-def]
    final = None
    async for event in stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=request)):
        if event.HasField("final"):
            final = event.final
    assert final is not None
    return final


@pytest.mark.parametrize("model_cap", [0, 50])
async def test_openai_dialect_receives_the_reserved_cap_unary_and_streamed(model_cap: int) -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        backend = _backend(
            "fake", "openai_compatible", fake.base_url, {"id": "m", "max_output_tokens": model_cap}
        )
        async with gateway_at(_settings(backend)) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                response = await stub.Chat(chat("m"))
                final = await _final(stub, chat("m"))
    expected = model_cap or DEFAULT_CAP
    assert [r.json["max_tokens"] for r in fake.requests] == [expected, expected]
    for usage, cost in ((response.usage, response.cost), (final.usage, final.cost)):
        billed = usage.input_token_count * IN_NANOS + usage.output_token_count * OUT_NANOS
        assert _nanos(cost.total) == billed > 0


async def test_anthropic_dialect_receives_the_reserved_cap_not_its_own_default() -> None:
    async with FakeAnthropic(api_key=KEY) as fake:
        backend = _backend("claude", "anthropic", fake.base_url, {"id": "claude-haiku-4-5"})
        async with gateway_at(_settings(backend)) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                await stub.Chat(chat("claude-haiku-4-5"))
                await _final(stub, chat("claude-haiku-4-5"))
    assert [r.json["max_tokens"] for r in fake.requests] == [DEFAULT_CAP, DEFAULT_CAP]


async def test_a_caller_cap_is_sent_unchanged_and_no_budgets_send_none() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        backend = _backend("fake", "openai_compatible", fake.base_url, {"id": "m"})
        async with gateway_at(_settings(backend, budgets=False)) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                await stub.Chat(chat("m"))
                capped = chat("m")
                capped.generation_config.CopyFrom(
                    generation_pb2.GenerationConfig(max_output_tokens=9)
                )
                await stub.Chat(capped)
    assert "max_tokens" not in fake.requests[0].json
    assert fake.requests[1].json["max_tokens"] == 9


def _max_cost(request: object, nanos: int) -> None:
    request.routing.max_cost.currency_code = "USD"  # type: ignore[attr-defined]
    request.routing.max_cost.nanos = nanos  # type: ignore[attr-defined]


MAX_COST = 10_000_000  # $0.01: ~1249 output tokens after a short prompt


async def test_max_cost_sets_the_cap_and_an_answer_stopped_there_is_cost_capped() -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.enqueue(Reply(finish_reason="length", output_tokens=1000))
        backend = _backend("fake", "openai_compatible", fake.base_url, {"id": "m"})
        async with gateway_at(_settings(backend, budgets=False)) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                request = chat("m")
                _max_cost(request, MAX_COST)
                response = await stub.Chat(request)
    sent = fake.requests[0].json["max_tokens"]
    assert sent >= 1024  # what the up-front check assumed fits
    assert sent * OUT_NANOS <= MAX_COST
    assert response.candidates[0].finish_reason == generation_pb2.FINISH_REASON_COST_CAP
    usage = response.usage
    billed = usage.input_token_count * IN_NANOS + usage.output_token_count * OUT_NANOS
    assert _nanos(response.cost.total) == billed <= MAX_COST


async def test_a_stream_past_max_cost_is_stopped_billed_and_cost_capped() -> None:
    chunks = ["abcdefgh"] * 2000  # ~4000 estimated tokens: far past the cap
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.enqueue(Reply(chunks=chunks))  # an upstream that ignores max_tokens
        backend = _backend("fake", "openai_compatible", fake.base_url, {"id": "m"})
        async with gateway_at(_settings(backend, budgets=False)) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                request = chat("m")
                _max_cost(request, MAX_COST)
                text, final = "", None
                stream = gateway_service_pb2.StreamChatRequest(chat=request)
                async for event in stub.StreamChat(stream):
                    if event.HasField("delta"):
                        text += event.delta.text
                    if event.HasField("final"):
                        final = event.final
    assert final is not None
    assert final.candidates[0].finish_reason == generation_pb2.FINISH_REASON_COST_CAP
    usage = final.usage
    affordable = (MAX_COST - usage.input_token_count * IN_NANOS) // OUT_NANOS
    assert fake.requests[0].json["max_tokens"] == affordable
    assert len(text) < len("".join(chunks))  # stopped early
    assert usage.output_token_count == -(-len(text) // 4)  # what was produced
    billed = usage.input_token_count * IN_NANOS + usage.output_token_count * OUT_NANOS
    assert _nanos(final.cost.total) == billed
    assert billed <= MAX_COST + 2 * OUT_NANOS  # at most the last chunk past the cap
