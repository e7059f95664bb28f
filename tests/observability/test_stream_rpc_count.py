"""Every StreamChat is counted once in ``llmgw_rpc_requests_total``, whatever
its outcome, with tracing off (the API's status interceptor counts streams
without a per-message hop; the chain's telemetry step no longer does).

A real ``llmgw serve`` with authentication on (a bootstrap key) and tracing
off; one StreamChat of each outcome: refused by authentication before the
chain (no key: UNAUTHENTICATED), refused by validation before the chain (no
``chat``: INVALID_ARGUMENT), failed inside the chain (unknown model:
NOT_FOUND), cancelled by the caller mid-stream (CANCELLED) and answered
(OK). The scrape must show exactly one of each and five in all.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import pytest
from helpers import chat
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc
from processes import start_gateway, wait_ready
from test_metrics_scrape import Samples, parse, scrape, value
from upstream_fakes import FakeOpenAI, Reply

pytestmark = pytest.mark.slow

KEY = "sk-fake"
CALLER_KEY = "bootstrap-stream-count-0123456789abcdef"
RPCS = "llmgw_rpc_requests_total"
Request = gateway_service_pb2.StreamChatRequest


def config(upstream: str) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "probe_interval_seconds": 0,
        "shutdown_grace_seconds": 1,
        "auth": {"bootstrap_admin_key": CALLER_KEY},
        "backends": [
            {
                "name": "primary",
                "kind": "openai_compatible",
                "base_url": upstream,
                "api_keys": [KEY],
                "models": [{"id": "fast-model", "capabilities": ["streaming"]}],
            }
        ],
    }


async def _refused(call: grpc.aio.UnaryStreamCall) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in call:
            pass
    return caught.value.code()


async def traffic(address: str, upstream: FakeOpenAI) -> None:
    signed = (("authorization", f"Bearer {CALLER_KEY}"),)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        good = Request(chat=chat("fast-model"))
        assert await _refused(stub.StreamChat(good)) == grpc.StatusCode.UNAUTHENTICATED
        invalid = stub.StreamChat(Request(), metadata=signed)
        assert await _refused(invalid) == grpc.StatusCode.INVALID_ARGUMENT
        unknown = stub.StreamChat(Request(chat=chat("no-such-model")), metadata=signed)
        assert await _refused(unknown) == grpc.StatusCode.NOT_FOUND
        answered = [e async for e in stub.StreamChat(good, metadata=signed)]
        assert answered[-1].HasField("final")
        upstream.enqueue(Reply(chunks=["x"] * 100, chunk_delay=0.05))
        cut = stub.StreamChat(good, metadata=signed)
        async for _ in cut:
            break
        cut.cancel()


async def poll_streams(address: str, total: int, seconds: float = 15) -> Samples:
    """Scrape until ``total`` StreamChats are counted (the server sees the
    cancel shortly after the client)."""
    end = time.monotonic() + seconds
    while True:
        samples = parse(await asyncio.to_thread(scrape, address))
        if value(samples, RPCS, rpc="StreamChat") >= total or time.monotonic() > end:
            return samples
        await asyncio.sleep(0.05)


async def test_every_stream_chat_is_counted_once_by_code(tmp_path: Path) -> None:
    async with FakeOpenAI(api_key=KEY) as upstream:
        gateway = start_gateway(tmp_path, config(upstream.base_url))
        try:
            await wait_ready(gateway)
            await traffic(gateway.address, upstream)
            await poll_streams(gateway.metrics, 5)
            # the RPCs have all ended: a stream counted twice would show now
            samples = parse(await asyncio.to_thread(scrape, gateway.metrics))
        finally:
            assert gateway.terminate() == 0
    by_code = {
        code: value(samples, RPCS, rpc="StreamChat", code=code)
        for code in ("UNAUTHENTICATED", "INVALID_ARGUMENT", "NOT_FOUND", "OK", "CANCELLED")
    }
    assert by_code == dict.fromkeys(by_code, 1.0)
    assert value(samples, RPCS, rpc="StreamChat") == 5
