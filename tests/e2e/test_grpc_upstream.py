"""End to end: generated stub -> gateway -> fake upstream (real wire formats).

Covers what only the whole path shows: client cancellation reaching the
upstream socket, a truncated upstream stream surfacing as an error (never a
clean end), upstream failures mapped through the error table, and money on
the wire.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import chat, detail, error_info, system, user
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc
from upstream_fakes import FakeAnthropic, FakeOpenAI, Reply

KEY = "sk-fake"


def _settings(openai_url: str, anthropic_url: str) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "openai",
                "kind": "openai",
                "base_url": openai_url,
                "api_keys": [KEY],
                "models": [
                    {"id": "gpt-4o-mini", "capabilities": ["streaming", "tools"]},
                    {
                        "id": "text-embedding-3-small",
                        "type": "embedding",
                        "capabilities": ["embeddings"],
                    },
                ],
            },
            {
                "name": "anthropic",
                "kind": "anthropic",
                "base_url": anthropic_url,
                "api_keys": [KEY],
                "models": [{"id": "claude-haiku-4-5", "max_output_tokens": 1000}],
            },
        ],
    }


@pytest.fixture
async def upstreams():
    async with FakeOpenAI(api_key=KEY) as openai, FakeAnthropic(api_key=KEY) as anthropic:
        yield openai, anthropic


@pytest.fixture
async def stub(upstreams):
    openai, anthropic = upstreams
    async with gateway_at(_settings(openai.base_url, anthropic.base_url)) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            yield gateway_service_pb2_grpc.GatewayServiceStub(channel)


async def test_chat_through_openai_is_priced_in_nanos(stub, upstreams) -> None:
    openai, _ = upstreams
    openai.enqueue(Reply(chunks=["Hi"], input_tokens=1_000_000, output_tokens=1_000_000))
    response = await stub.Chat(chat("gpt-4o-mini"))
    assert response.candidates[0].message.parts[0].text == "Hi"
    # gpt-4o-mini: $0.15 in + $0.60 out per million tokens (genai-prices).
    total = response.cost.total
    assert (total.units, total.nanos) == (0, 750_000_000)
    assert response.cost.input.nanos == 150_000_000
    assert not response.cost.estimated


async def test_haiku_alias_through_anthropic(stub, upstreams) -> None:
    _, anthropic = upstreams
    anthropic.enqueue(Reply(chunks=["Bonjour"], input_tokens=10, output_tokens=3))
    request = gateway_service_pb2.ChatRequest(
        model="haiku", messages=[system("Speak French."), user("Hello")]
    )
    response = await stub.Chat(request)
    assert response.route.alias == "haiku" and response.route.backend == "anthropic"
    assert response.candidates[0].message.parts[0].text == "Bonjour"
    sent = anthropic.requests[-1].json
    assert sent["system"] == "Speak French." and sent["max_tokens"] == 1000
    assert response.cost.total.nanos > 0


async def test_stream_through_anthropic(stub, upstreams) -> None:
    _, anthropic = upstreams
    anthropic.enqueue(Reply(chunks=["a", "b", "c"], input_tokens=5))
    events = [
        e
        async for e in stub.StreamChat(
            gateway_service_pb2.StreamChatRequest(chat=chat("claude-haiku-4-5"))
        )
    ]
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[0] == "start" and kinds[-1] == "final"
    assert set(kinds[1:-1]) == {"delta"}  # deltas of one read may be merged
    assert "".join(e.delta.text for e in events[1:-1]) == "abc"
    final = events[-1].final
    assert final.usage.input_token_count == 5 and final.usage.output_token_count == 3
    assert final.cost.total.nanos > 0


async def test_client_cancel_closes_the_upstream_stream(stub, upstreams) -> None:
    openai, _ = upstreams
    openai.enqueue(Reply(chunks=["tok"] * 500, chunk_delay=0.01))
    call = stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=chat("gpt-4o-mini")))
    received = 0
    async for event in call:
        if event.WhichOneof("event") == "delta":
            received += 1
            if received == 3:
                break
    call.cancel()
    await asyncio.wait_for(openai.disconnected.wait(), timeout=5)
    assert openai.disconnects == 1


async def test_truncated_upstream_stream_ends_with_unavailable(stub, upstreams) -> None:
    openai, _ = upstreams
    openai.enqueue(Reply(chunks=["a", "b", "c", "d"], cut_after_chunks=2))
    text = ""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for event in stub.StreamChat(
            gateway_service_pb2.StreamChatRequest(chat=chat("gpt-4o-mini"))
        ):
            assert event.WhichOneof("event") != "final"
            text += event.delta.text
    assert text == "ab"  # what came before the cut, nothing more
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    info = error_info(caught.value)
    assert info.reason == "UPSTREAM_STREAM_INTERRUPTED"
    assert info.metadata["backend"] == "openai"
    detail(caught.value, error_details_pb2.RetryInfo)


async def test_upstream_rate_limit_maps_to_resource_exhausted(stub, upstreams) -> None:
    openai, _ = upstreams
    openai.enqueue(
        Reply(status=429, error_type="rate_limit_exceeded", headers={"retry-after": "7"})
    )
    # retry-after (7 s) does not fit in the 3 s deadline and there is no other
    # target: the caller gets the upstream's retry delay at once.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat("gpt-4o-mini"), timeout=3)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_info(caught.value).reason == "UPSTREAM_RATE_LIMITED"
    retry = detail(caught.value, error_details_pb2.RetryInfo)
    assert retry.retry_delay.seconds == 7  # type: ignore[attr-defined]


async def test_upstream_auth_failure_is_internal_not_unauthenticated(upstreams) -> None:
    openai, anthropic = upstreams
    settings = _settings(openai.base_url, anthropic.base_url)
    settings["backends"][0]["api_keys"] = ["sk-revoked-canary-000111"]  # type: ignore[index]
    async with (
        gateway_at(settings) as running,
        grpc.aio.insecure_channel(running.data_address) as channel,
    ):
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Chat(chat("gpt-4o-mini"))
    assert caught.value.code() == grpc.StatusCode.INTERNAL
    assert error_info(caught.value).reason == "UPSTREAM_AUTH_FAILED"
    assert "sk-revoked" not in (caught.value.details() or "")


async def test_upstream_context_length_is_invalid_argument(stub, upstreams) -> None:
    openai, _ = upstreams
    openai.enqueue(Reply(status=400, error_type="context_length_exceeded"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat("gpt-4o-mini"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(caught.value).reason == "CONTEXT_LENGTH_EXCEEDED"


async def test_deadline_propagates_to_the_upstream_attempt(stub, upstreams) -> None:
    openai, _ = upstreams
    openai.enqueue(Reply(first_byte_delay=3.0))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat("gpt-4o-mini"), timeout=0.5)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_embed_through_openai(stub, upstreams) -> None:
    response = await stub.Embed(
        gateway_service_pb2.EmbedRequest(
            model="text-embedding-3-small",
            inputs=[gateway_service_pb2.EmbedInput(text=t) for t in ("x", "y")],
        )
    )
    assert len(response.embeddings) == 2
    assert response.route.backend == "openai"
    assert response.usage.input_token_count > 0
