"""llmgateway.client against an in-process scripted GatewayService (no gateway)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from helpers import user
from llmgateway.client import (
    ClientOptions,
    GatewayClient,
    InvalidArgumentError,
    UnavailableError,
    error_from_rpc,
    response_text,
)
from llmgateway.v1 import content_pb2, gateway_service_pb2, gateway_service_pb2_grpc


def _status(code: grpc.StatusCode, message: str, *details: Any) -> grpc.Status:
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    proto = status_pb2.Status(code=code.value[0], message=message, details=packed)
    return rpc_status.to_status(proto)


UNAVAILABLE = _status(
    grpc.StatusCode.UNAVAILABLE,
    "try later",
    error_details_pb2.ErrorInfo(reason="NO_HEALTHY_BACKEND", domain="llmgateway.example.com"),
    error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(nanos=250_000_000)),
)
INVALID = _status(
    grpc.StatusCode.INVALID_ARGUMENT,
    "bad",
    error_details_pb2.ErrorInfo(reason="INVALID_REQUEST", domain="llmgateway.example.com"),
    error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field="messages", description="empty")
        ]
    ),
    error_details_pb2.RequestInfo(request_id="req-1"),
)


@dataclass
class Script(gateway_service_pb2_grpc.GatewayServiceServicer):
    """Fails the first ``failures`` calls with ``status``, then answers ``ok``."""

    status: grpc.Status = field(default_factory=lambda: UNAVAILABLE)
    failures: int = 0
    fail_after_start: bool = False
    calls: int = 0
    metadata: list[dict[str, str]] = field(default_factory=list)

    async def Chat(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self.calls += 1
        self.metadata.append(dict(context.invocation_metadata() or ()))
        if self.calls <= self.failures:
            await context.abort_with_status(self.status)
        return gateway_service_pb2.ChatResponse(
            candidates=[gateway_service_pb2.Candidate(message=user("ok"))]
        )

    async def StreamChat(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self.calls += 1
        if self.fail_after_start:
            yield gateway_service_pb2.StreamChatResponse(start=gateway_service_pb2.StreamStart())
            yield gateway_service_pb2.StreamChatResponse(
                delta=gateway_service_pb2.StreamDelta(text="partial")
            )
            await context.abort_with_status(self.status)
        if self.calls <= self.failures:
            await context.abort_with_status(self.status)
        yield gateway_service_pb2.StreamChatResponse(start=gateway_service_pb2.StreamStart())
        yield gateway_service_pb2.StreamChatResponse(
            delta=gateway_service_pb2.StreamDelta(text="o")
        )
        yield gateway_service_pb2.StreamChatResponse(
            delta=gateway_service_pb2.StreamDelta(text="k")
        )
        yield gateway_service_pb2.StreamChatResponse(final=gateway_service_pb2.StreamFinal())


@pytest.fixture
async def served() -> AsyncIterator[tuple[Script, str]]:
    script = Script()
    server = grpc.aio.server()
    gateway_service_pb2_grpc.add_GatewayServiceServicer_to_server(script, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield script, f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


class _Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _client(address: str, **options: Any) -> tuple[GatewayClient, _Sleeps]:
    client = GatewayClient(address, api_key="k-123", options=ClientOptions(**options))
    sleeps = _Sleeps()
    client._sleep = sleeps
    return client, sleeps


async def test_retries_after_retry_info_delay_and_sends_the_key(
    served: tuple[Script, str],
) -> None:
    script, address = served
    script.failures = 2
    client, sleeps = _client(address, max_attempts=3)
    async with client:
        reply = await client.chat("m", "hi")
    assert response_text(reply) == "ok"
    assert script.calls == 3 and sleeps.delays == [0.25, 0.25]
    assert all(m.get("authorization") == "Bearer k-123" for m in script.metadata)


async def test_gives_up_after_max_attempts_and_caps_the_delay(
    served: tuple[Script, str],
) -> None:
    script, address = served
    script.failures = 5
    client, sleeps = _client(address, max_attempts=2, max_retry_delay=0.1)
    async with client:
        with pytest.raises(UnavailableError) as failed:
            await client.chat("m", "hi")
    assert script.calls == 2 and sleeps.delays == [0.1]
    assert failed.value.reason == "NO_HEALTHY_BACKEND" and failed.value.retry_delay == 0.25


async def test_no_retry_without_retry_info_and_details_decoded(
    served: tuple[Script, str],
) -> None:
    script, address = served
    script.failures, script.status = 1, INVALID
    client, sleeps = _client(address)
    async with client:
        with pytest.raises(InvalidArgumentError) as bad:
            await client.chat("m", "hi")
    assert script.calls == 1 and sleeps.delays == []
    assert not bad.value.retryable and bad.value.request_id == "req-1"
    assert [(v.field, v.description) for v in bad.value.field_violations] == [
        ("messages", "empty")
    ]


async def test_no_retry_when_the_deadline_is_shorter_than_the_delay(
    served: tuple[Script, str],
) -> None:
    script, address = served
    script.failures = 1
    client, sleeps = _client(address)
    async with client:
        with pytest.raises(UnavailableError):
            await client.chat("m", "hi", timeout=0.2)
    assert script.calls == 1 and sleeps.delays == []


async def test_stream_retried_before_its_first_message(served: tuple[Script, str]) -> None:
    script, address = served
    script.failures = 1
    client, sleeps = _client(address)
    async with client:
        stream = client.stream_chat("m", [content_pb2.Message()])
        assert [t async for t in stream] == ["o", "k"]
    assert script.calls == 2 and sleeps.delays == [0.25] and stream.final is not None


async def test_started_stream_is_never_retried(served: tuple[Script, str]) -> None:
    script, address = served
    script.fail_after_start = True
    client, sleeps = _client(address)
    received: list[str] = []
    async with client:
        with pytest.raises(UnavailableError):
            async for text in client.stream_chat("m", "hi"):
                received.append(text)
    assert received == ["partial"] and script.calls == 1 and sleeps.delays == []


async def test_error_without_details_keeps_code_and_message(
    served: tuple[Script, str],
) -> None:
    _script, address = served
    async with grpc.aio.insecure_channel(address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as raw:
            await stub.Embed(gateway_service_pb2.EmbedRequest())
    error = error_from_rpc(raw.value)
    assert error.code == grpc.StatusCode.UNIMPLEMENTED and error.reason == ""
    assert error.retry_delay is None and error.details == []
