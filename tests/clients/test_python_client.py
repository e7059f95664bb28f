"""The Python convenience client (llmgateway.client) against a live ``llmgw serve``."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from live_gateway import EXPECT_TEXT, World, live_world
from llmgateway.client import (
    CancelledError,
    ClientOptions,
    DeadlineExceededError,
    GatewayClient,
    GatewayError,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
    UnauthenticatedError,
    response_text,
)

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "clients" / "python" / "examples" / "chat.py"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with live_world(tmp_path / "gateway") as running:
        yield running


async def test_python_client_live_scenarios(world: World) -> None:
    async with grpc.aio.insecure_channel(world.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", "liveness", "readiness", "llmgateway.v1.GatewayService"):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING, name

    async with GatewayClient(world.address, api_key=world.api_key) as client:
        reply = await client.chat("fake-model", "hi", timeout=10)
        assert response_text(reply) == EXPECT_TEXT
        # The key went as metadata, never upstream or in the body.
        assert world.api_key not in str(world.fast.requests[-1].json)

        stream = client.stream_chat("fake-model", "hi", timeout=10)
        assert "".join([text async for text in stream]) == EXPECT_TEXT
        assert stream.final is not None and stream.usage is not None and stream.cost is not None
        assert stream.usage.output_token_count == 4
        assert stream.cost.total.units > 0 or stream.cost.total.nanos > 0

        cancelled = client.stream_chat("slow-model", "hi", timeout=30)
        async for _text in cancelled:
            break  # leaving the loop cancels the call
        assert cancelled.final is None
        assert await world.slow_upstream_disconnected()

        deltas = 0
        with pytest.raises(DeadlineExceededError):
            async for _text in client.stream_chat("slow-model", "hi", timeout=0.5):
                deltas += 1
        assert deltas >= 1
        with pytest.raises(DeadlineExceededError):
            await client.chat("sleepy-model", "hi", timeout=0.5)

        with pytest.raises(NotFoundError) as typo:
            await client.chat("fake-modle", "hi")
        assert typo.value.reason == "MODEL_NOT_FOUND"
        assert typo.value.domain == "llmgateway.example.com" and typo.value.request_id

        with pytest.raises(InvalidArgumentError) as bad:
            await client.chat("fake-model", [])
        assert bad.value.reason == "INVALID_REQUEST"
        assert any(v.field.startswith("messages") for v in bad.value.field_violations)

    # Retries honour RetryInfo: 2 attempts, about RetryInfo's delay apart.
    options = ClientOptions(max_attempts=2, max_retry_delay=5)
    async with GatewayClient(world.address, api_key=world.api_key, options=options) as client:
        before = len(world.limited.requests)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(ResourceExhaustedError) as limited:
            await client.chat("limited-model", "hi", timeout=20)
        assert limited.value.reason == "UPSTREAM_RATE_LIMITED"
        assert limited.value.retry_delay is not None and limited.value.retryable
        assert len(world.limited.requests) - before == 2
        assert loop.time() - started >= limited.value.retry_delay * 0.9

    async with GatewayClient(world.address) as anonymous:
        with pytest.raises(UnauthenticatedError) as denied:
            await anonymous.chat("fake-model", "hi")
        assert denied.value.reason == "API_KEY_INVALID"


async def test_python_client_explicit_cancel(world: World) -> None:
    async with GatewayClient(world.address, api_key=world.api_key) as client:
        stream = client.stream_chat("slow-model", "hi", timeout=30)
        received: list[str] = []
        with pytest.raises((CancelledError, GatewayError, asyncio.CancelledError)):
            async for text in stream:
                received.append(text)
                stream.cancel()
        assert received and stream.final is None
        assert await world.slow_upstream_disconnected()


async def test_python_example_runs(world: World) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        # The checkout's llmgateway package, as pytest's pythonpath has it.
        env={**os.environ, **world.env(), "PYTHONPATH": str(EXAMPLE.parents[1])},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output_bytes, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    output = output_bytes.decode(errors="replace")
    assert process.returncode == 0, output
    assert f"chat: {EXPECT_TEXT}" in output
    assert f"stream: {EXPECT_TEXT}\nfinal: 4 output tokens" in output
    assert "deadline: DEADLINE_EXCEEDED" in output
    assert "error: NOT_FOUND reason MODEL_NOT_FOUND" in output
