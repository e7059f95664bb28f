"""Request-size limits from config (messages, characters, output tokens,
embedding batch): INVALID_ARGUMENT + BadRequest before any upstream call;
fuzzed so no request produces anything but OK-or-INVALID_ARGUMENT."""

from __future__ import annotations

import grpc
import pytest
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import chat, detail, user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llmgateway.v1 import content_pb2, gateway_service_pb2, gateway_service_pb2_grpc
from llmgw.api.validation import SizeLimits, check_chat, check_embed
from llmgw.domain.errors import InvalidRequestError

LIMITS = SizeLimits(max_messages=3, max_total_characters=50, max_output_tokens=100)


def _chat(
    texts: list[str], max_output_tokens: int | None = None
) -> gateway_service_pb2.ChatRequest:
    request = gateway_service_pb2.ChatRequest(model="m", messages=[user(t) for t in texts])
    if max_output_tokens is not None:
        request.generation_config.max_output_tokens = max_output_tokens
    return request


def _fields(request: gateway_service_pb2.ChatRequest) -> list[str]:
    with pytest.raises(InvalidRequestError) as caught:
        check_chat(request, limits=LIMITS)
    return [v.field for v in caught.value.violations]


def test_size_limits_each_name_their_field() -> None:
    check_chat(_chat(["a" * 20, "b" * 30], 100), limits=LIMITS)  # exactly at every limit
    assert _fields(_chat(["a"] * 4)) == ["messages"]
    assert _fields(_chat(["a" * 51])) == ["messages"]
    assert _fields(_chat(["a"], 101)) == ["generation_config.max_output_tokens"]
    tool = content_pb2.Part(
        tool_call=content_pb2.ToolCall(id="1", name="f", arguments_json=f'{{"a": "{"x" * 60}"}}')
    )
    request = gateway_service_pb2.ChatRequest(
        model="m", messages=[content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=[tool])]
    )
    assert _fields(request) == ["messages"]  # tool-call arguments count as characters
    check_chat(_chat(["a" * 10_000] * 5, 10**6))  # no limits configured: defaults allow it


def test_embedding_characters_and_batch() -> None:
    many = gateway_service_pb2.EmbedRequest(
        model="e", inputs=[gateway_service_pb2.EmbedInput(text="x") for _ in range(5)]
    )
    with pytest.raises(InvalidRequestError):
        check_embed(many, 4)
    long = gateway_service_pb2.EmbedRequest(
        model="e", inputs=[gateway_service_pb2.EmbedInput(text="x" * 51)]
    )
    with pytest.raises(InvalidRequestError) as caught:
        check_embed(long, 10, LIMITS)
    assert caught.value.violations[0].field == "inputs"


async def test_limits_from_config_through_the_server() -> None:
    config = {
        "rate_limits": {
            "max_messages": 2,
            "max_total_characters": 40,
            "max_output_tokens": 64,
            "max_embedding_batch": 2,
        }
    }
    async with gateway_at(config) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            await stub.Chat(chat("demo-chat", "short"))
            cases = [
                (chat("demo-chat", "x" * 41), "messages"),
                (_chat(["a", "b", "c"]), "messages"),
                (_chat(["a"], 65), "generation_config.max_output_tokens"),
            ]
            for request, field in cases:
                request.model = "demo-chat"
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await stub.Chat(request)
                assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                bad = detail(caught.value, error_details_pb2.BadRequest)
                assert bad.field_violations[0].field == field  # type: ignore[attr-defined]
            with pytest.raises(grpc.aio.AioRpcError) as streamed:
                async for _ in stub.StreamChat(
                    gateway_service_pb2.StreamChatRequest(chat=chat("demo-chat", "y" * 41))
                ):
                    pass
            assert streamed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            inputs = [gateway_service_pb2.EmbedInput(text="t") for _ in range(3)]
            with pytest.raises(grpc.aio.AioRpcError) as batch:
                await stub.Embed(
                    gateway_service_pb2.EmbedRequest(model="demo-embedding", inputs=inputs)
                )
            assert batch.value.code() == grpc.StatusCode.INVALID_ARGUMENT


texts = st.lists(st.text(max_size=30), max_size=6)
limits = st.builds(
    SizeLimits,
    max_messages=st.integers(1, 5),
    max_total_characters=st.integers(0, 60),
    max_output_tokens=st.integers(0, 200),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1)), limits)
def test_fuzz_size_validation_only_accepts_or_lists_violations(
    chunks: list[str], max_output: int | None, size: SizeLimits
) -> None:
    request = _chat(chunks, max_output)
    try:
        check_chat(request, limits=size)
    except InvalidRequestError as error:
        assert error.violations and all(v.field for v in error.violations)
        return
    total = sum(len(t) for t in chunks)
    assert len(chunks) <= size.max_messages
    assert not size.max_total_characters or total <= size.max_total_characters
    assert not size.max_output_tokens or max_output is None or max_output <= size.max_output_tokens
