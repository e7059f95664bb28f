"""Idempotent request ids across two real ``llmgw serve`` processes.

The record lives in the shared store: PostgreSQL (``LLMGW_DATABASE_URL``) or
Redis (``LLMGW_REDIS_URL``). Twenty duplicates of one request id, ten on each
replica at the same moment, make one upstream call and get one answer; a
later duplicate on either replica replays it (streamed as well).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import grpc
import pytest
from databases import fresh_postgres_database
from helpers import chat
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc
from processes import Gateway, start_gateway, wait_ready
from upstream_fakes import FakeOpenAI, Reply

pytestmark = pytest.mark.slow

KEY = "sk-fake"


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set (no shared store for replicas)")
    return value


@pytest.fixture(params=["postgres", "redis"])
async def shared_env(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, str]]:
    if request.param == "postgres":
        async with fresh_postgres_database(_require("LLMGW_TEST_POSTGRES_URL")) as url:
            yield {"LLMGW_DATABASE_URL": url}
    else:
        yield {"LLMGW_REDIS_URL": _require("LLMGW_TEST_REDIS_URL")}


def _config(upstream: str, folder: Path, prefix: str) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "probe_interval_seconds": 0,
        "shutdown_grace_seconds": 1,
        "redis_prefix": prefix,
        "backends": [
            {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": upstream,
                "api_keys": [KEY],
                "models": [{"id": "priced-model", "capabilities": ["streaming"]}],
                "retry": {"max_retries": 0},
            }
        ],
        "ledger": {
            "sqlite_path": str(folder / "state.sqlite3"),
            "outbox_path": str(folder / "outbox.sqlite3"),
        },
        "idempotency": {"poll_seconds": 0.02},
    }


async def test_two_replicas_make_one_upstream_call_for_one_request_id(
    tmp_path: Path, shared_env: dict[str, str]
) -> None:
    prefix = f"llmgw-test-{uuid.uuid4().hex[:8]}:"
    async with FakeOpenAI(api_key=KEY, default=Reply(first_byte_delay=0.5)) as fake:
        gateways: list[Gateway] = []
        async with AsyncExitStack() as stack:
            try:
                for i in range(2):
                    folder = tmp_path / f"replica{i}"
                    config = _config(fake.base_url, folder, prefix)
                    gateways.append(start_gateway(folder, config, shared_env))
                await asyncio.gather(*(wait_ready(g) for g in gateways))
                stubs = []
                for g in gateways:
                    channel = grpc.aio.insecure_channel(g.address)
                    stack.push_async_callback(channel.close)
                    stubs.append(gateway_service_pb2_grpc.GatewayServiceStub(channel))
                request = chat("priced-model", "once", request_id="across-replicas")
                answers = await asyncio.gather(
                    *(stubs[i % 2].Chat(request, timeout=30) for i in range(20))
                )
                assert len(fake.requests) == 1, [g.logs() for g in gateways]
                assert len({a.response_id for a in answers}) == 1
                streamed = "streamed-across"
                first = [
                    e
                    async for e in stubs[0].StreamChat(
                        gateway_service_pb2.StreamChatRequest(
                            chat=chat("priced-model", "s", request_id=streamed)
                        )
                    )
                ]
                replayed = [
                    e
                    async for e in stubs[1].StreamChat(
                        gateway_service_pb2.StreamChatRequest(
                            chat=chat("priced-model", "s", request_id=streamed)
                        )
                    )
                ]
                assert len(fake.requests) == 2
                assert replayed[0].start.response_id == first[0].start.response_id
                assert replayed[-1].final == first[-1].final
            finally:
                for g in gateways:
                    g.kill()
