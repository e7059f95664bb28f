"""Fault injection through the real server against fake upstreams.

The matrix (each row is a test here or, where marked, in the named module):

| # | upstream behaviour                         | expected                                   |
|---|--------------------------------------------|--------------------------------------------|
| 1 | 500, then OK                               | retried on the same backend, served        |
| 2 | 429, retry-after shorter than the deadline | waited, retried on the same backend        |
| 3 | 429, retry-after longer than the deadline  | no wait: the next target serves at once    |
| 4 | 401 on one key of two                      | the other key serves (test_keys.py)        |
| 5 | 503 storm                                  | breaker opens, backend skipped; after the  |
|   |                                            | cool-down one probe passes and closes it   |
| 6 | answer slower than the request timeout     | TIMEOUT, next target serves                |
| 7 | stream cut before / after the first token  | fallback / UNAVAILABLE, no duplicate text  |
|   |                                            | (test_fallback_e2e.py)                     |
| 8 | slow first token, first-token timeout set  | abandoned, next target streams             |
| 9 | every target down                          | UNAVAILABLE + RetryInfo, every attempt in  |
|   |                                            | ErrorInfo.metadata.triedBackends           |
|10 | caller cancels / deadline passes           | upstream sees the disconnect within        |
|   |                                            | 100 ms; no retry starts afterwards         |
"""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import chat, detail, error_info
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc
from manual_clock import ManualClock
from upstream_fakes import FakeOpenAI, Reply


def _backend(name: str, url: str, **extra: object) -> dict[str, object]:
    return {
        "name": name,
        "kind": "openai_compatible",
        "base_url": url,
        "models": [{"id": "m", "capabilities": ["streaming"]}],
        "retry": {"initial_backoff_seconds": 0.01, "max_backoff_seconds": 0.05, "max_retries": 2},
        **extra,
    }


@pytest.fixture
async def pair():
    """Two fake upstreams behind one alias: ``first`` then ``second``."""
    async with FakeOpenAI(api_key=None) as first, FakeOpenAI(api_key=None) as second:
        yield first, second


async def _stub_for(settings: dict[str, object], clock: object = None):  # type: ignore[no-untyped-def]
    running_cm = gateway_at(settings, clock=clock)  # type: ignore[arg-type]
    running = await running_cm.__aenter__()
    channel = grpc.aio.insecure_channel(running.data_address)
    return running_cm, channel, gateway_service_pb2_grpc.GatewayServiceStub(channel)


def _settings(first: FakeOpenAI, second: FakeOpenAI, **first_extra: object) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "backends": [
            _backend("first", first.base_url, **first_extra),
            _backend("second", second.base_url),
        ],
        "aliases": {"chain": ["first/m", "second/m"]},
    }


@pytest.fixture
async def gateway(pair):
    first, second = pair
    running_cm, channel, stub = await _stub_for(_settings(first, second))
    yield stub, first, second
    await channel.close()
    await running_cm.__aexit__(None, None, None)


async def test_1_500_then_ok_is_retried_on_the_same_backend(gateway) -> None:
    stub, first, second = gateway
    first.enqueue(Reply(status=500), Reply(chunks=["ok"]))
    response = await stub.Chat(chat("chain"))
    assert response.route.backend == "first" and len(first.requests) == 2
    assert not second.requests


async def test_2_short_retry_after_is_waited_for(gateway) -> None:
    stub, first, _ = gateway
    first.enqueue(Reply(status=429, headers={"retry-after": "1"}), Reply(chunks=["ok"]))
    started = time.monotonic()
    response = await stub.Chat(chat("chain"), timeout=10)
    assert time.monotonic() - started >= 1.0
    assert response.route.backend == "first"


async def test_3_long_retry_after_moves_to_the_next_target_at_once(gateway) -> None:
    stub, first, _ = gateway
    first.enqueue(Reply(status=429, headers={"retry-after": "120"}))
    started = time.monotonic()
    response = await stub.Chat(chat("chain"), timeout=10)
    assert time.monotonic() - started < 2.0
    assert response.route.backend == "second"
    assert list(response.route.failed_backends) == ["first"]


async def test_5_503_storm_opens_the_breaker_and_half_open_recovers(pair) -> None:
    """On a driven clock: the 30 s cool-down passes without waiting for it."""
    first, second = pair
    settings = _settings(
        first, second, circuit_breaker={"failure_threshold": 3, "cooldown_seconds": 30}
    )
    clock = ManualClock()
    running_cm, channel, stub = await _stub_for(settings, clock)
    try:
        first.default = Reply(status=503)
        assert (await stub.Chat(chat("chain"))).route.backend == "second"  # 3 failures: open
        calls = len(first.requests)
        first.default = Reply(chunks=["recovered"])
        clock.advance(29.9)
        assert (await stub.Chat(chat("chain"))).route.backend == "second"
        assert len(first.requests) == calls  # skipped while open, even just before the end
        clock.advance(0.2)  # cool-down over: half-open
        response = await stub.Chat(chat("chain"))
        assert response.route.backend == "first"  # the probe succeeded and closed it
        assert len(first.requests) == calls + 1
        assert (await stub.Chat(chat("chain"))).route.backend == "first"
    finally:
        await channel.close()
        await running_cm.__aexit__(None, None, None)


async def test_6_request_timeout_moves_to_the_next_target(pair) -> None:
    first, second = pair
    settings = _settings(first, second, request_timeout_seconds=0.3)
    settings["backends"][0]["retry"] = {"max_retries": 0}  # type: ignore[index]
    running_cm, channel, stub = await _stub_for(settings)
    try:
        first.enqueue(Reply(first_byte_delay=5))
        started = time.monotonic()
        response = await stub.Chat(chat("chain"), timeout=10)
        assert response.route.backend == "second"
        assert time.monotonic() - started < 2.0
    finally:
        await channel.close()
        await running_cm.__aexit__(None, None, None)


async def test_8_slow_first_token_is_abandoned_for_the_next_target(pair) -> None:
    first, second = pair
    settings = _settings(first, second, first_token_timeout_seconds=0.3)
    settings["backends"][0]["retry"] = {"max_retries": 0}  # type: ignore[index]
    running_cm, channel, stub = await _stub_for(settings)
    try:
        first.enqueue(Reply(first_byte_delay=5))
        second.enqueue(Reply(chunks=["fast"]))
        events = [
            e
            async for e in stub.StreamChat(
                gateway_service_pb2.StreamChatRequest(chat=chat("chain")), timeout=10
            )
        ]
        assert events[0].start.route.backend == "second"
        assert "".join(e.delta.text for e in events if e.WhichOneof("event") == "delta") == "fast"
        await asyncio.wait_for(first.disconnected.wait(), timeout=1)  # abandoned upstream closed
    finally:
        await channel.close()
        await running_cm.__aexit__(None, None, None)


async def test_9_all_targets_down_lists_every_attempt(gateway) -> None:
    stub, first, second = gateway
    first.default = Reply(status=502)
    second.default = Reply(status=503)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat("chain"))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    info = error_info(caught.value)
    assert info.metadata["triedBackends"] == "first,first,first,second,second,second"
    detail(caught.value, error_details_pb2.RetryInfo)
    assert "502" not in (caught.value.details() or "")  # upstream text stays in the logs


async def _until(condition, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Poll ``condition`` with a deadline (no fixed sleeps)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


@pytest.mark.parametrize("how", ["cancel", "deadline"])
async def test_10_cancellation_reaches_the_upstream_and_stops_retries(pair, how: str) -> None:
    first, second = pair
    running_cm = gateway_at(_settings(first, second))
    running = await running_cm.__aenter__()
    channel = grpc.aio.insecure_channel(running.data_address)
    try:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        await _cancel_and_check(stub, first, second, how, running.costs.ledger)
    finally:
        await channel.close()
        await running_cm.__aexit__(None, None, None)


async def _cancel_and_check(stub, first, second, how: str, ledger) -> None:  # type: ignore[no-untyped-def]
    first.enqueue(Reply(first_byte_delay=5))
    request_id = f"cancel-{how}"
    if how == "cancel":
        call = stub.Chat(chat("chain", request_id=request_id))
        await _until(lambda: len(first.requests) == 1)  # the attempt waits on the upstream
        started = time.monotonic()
        call.cancel()
    else:
        started = time.monotonic() + 0.3
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Chat(chat("chain", request_id=request_id), timeout=0.3)
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    await asyncio.wait_for(first.disconnected.wait(), timeout=2)
    assert time.monotonic() - started < 0.15  # within 100 ms of the cancel (plus 50 ms slack)
    # the call is over in the gateway (its ledger rows are written when the
    # chain ends) and it made no retry and no fallback
    deadline = time.monotonic() + 5
    while not (rows := await ledger.attempts(request_id)):
        assert time.monotonic() < deadline, "the cancelled call never settled"
        await asyncio.sleep(0.005)
    status = "cancelled" if how == "cancel" else "error"  # a deadline is the upstream timing out
    assert [(row.backend, row.status.value) for row in rows] == [("first", status)]
    assert len(first.requests) == 1 and not second.requests
