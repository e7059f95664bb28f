"""Nothing lost, nothing overspent, across real gateway processes.

Three ``llmgw serve`` processes share one Redis (budget counters) and one
PostgreSQL (ledger, budgets); each has its own SQLite outbox:

* 200 concurrent requests against a hard budget that admits about ten ->
  admitted spend <= limit + the largest single reservation in flight;
* SIGTERM mid-stream -> the attempt's row is in PostgreSQL after exit;
* ``kill -9`` after the upstream answered, while PostgreSQL is unreachable ->
  the row is recovered from the outbox by the next start.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from pathlib import Path

import asyncpg
import grpc
import pytest
import services
from databases import fresh_postgres_database
from helpers import chat
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
)
from processes import Gateway, start_gateway, wait_ready
from tcp_proxy import TcpProxy
from upstream_fakes import FakeOpenAI, Reply

pytestmark = pytest.mark.slow

KEY = "sk-fake"
COST = 54_000  # 11 input x $2/M + 4 output x $8/M
RESERVATION = 422_000  # 11 x $2/M + 50 (max output) x $8/M


@pytest.fixture
async def postgres() -> object:
    async with fresh_postgres_database(services.postgres_url()) as url:
        yield url


@pytest.fixture
def redis_url() -> str:
    return services.redis_url()


def _config(upstream: str, folder: Path, prefix: str, **extra: object) -> dict[str, object]:
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
                "models": [
                    {"id": "priced-model", "capabilities": ["streaming"], "max_output_tokens": 50}
                ],
                "retry": {"max_retries": 0},
            }
        ],
        "prices": {
            "fake/priced-model": {"input_per_million_tokens": "2", "output_per_million_tokens": "8"}
        },
        "ledger": {"outbox_path": str(folder / "outbox.sqlite3"), "relay_interval_seconds": 0.05},
        **extra,
    }


async def _rows(url: str, where: str = "TRUE", *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(
            f"SELECT request_id, status, cost_nanos FROM ledger_attempts WHERE {where}", *args
        )
    except asyncpg.UndefinedTableError:
        return []
    finally:
        await connection.close()


async def _poll_rows(url: str, where: str, *args: object, seconds: float = 15) -> list[object]:
    end = time.monotonic() + seconds
    while True:
        rows = await _rows(url, where, *args)
        if rows or time.monotonic() > end:
            return rows
        await asyncio.sleep(0.1)


async def test_three_replicas_share_one_budget(
    tmp_path: Path, postgres: str, redis_url: str
) -> None:
    prefix = f"llmgw-test-{uuid.uuid4().hex[:8]}:"
    limit = 600_000  # ~11 requests of 54_000
    env = {"LLMGW_DATABASE_URL": postgres, "LLMGW_REDIS_URL": redis_url}
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.default_chunks = ["a"] * 4
        gateways: list[Gateway] = []
        try:
            for i in range(3):
                folder = tmp_path / f"replica{i}"
                config = _config(
                    fake.base_url,
                    folder,
                    prefix,
                    budgets={"budgets": [{"name": "shared", "limit": "0.0006"}]},
                )
                gateways.append(start_gateway(folder, config, env))
            await asyncio.gather(*(wait_ready(g) for g in gateways))
            channels = [grpc.aio.insecure_channel(g.address) for g in gateways]
            stubs = [gateway_service_pb2_grpc.GatewayServiceStub(c) for c in channels]

            async def one(i: int) -> bool:
                try:
                    await stubs[i % 3].Chat(chat("priced-model", f"q{i}"), timeout=30)
                    return True
                except grpc.aio.AioRpcError as error:
                    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
                    return False

            results = await asyncio.gather(*(one(i) for i in range(200)))
            for channel in channels:
                await channel.close()
            codes = [g.terminate() for g in gateways]
            assert codes == [0, 0, 0], [g.logs() for g in gateways]
        finally:
            for g in gateways:
                g.kill()
    rows = await _rows(postgres, "status = 'ok'")
    admitted = sum(results)
    spent = sum(int(r["cost_nanos"]) for r in rows)
    assert len(rows) == admitted  # every admitted request is in the shared ledger
    assert spent <= limit + RESERVATION, (admitted, spent)
    assert admitted >= 2
    assert 200 - admitted >= 150  # replicas did not each admit their own budget


async def test_sigterm_mid_stream_leaves_the_row_in_postgres(tmp_path: Path, postgres: str) -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        fake.enqueue(Reply(chunks=["tok "] * 200, chunk_delay=0.02))
        gateway = start_gateway(
            tmp_path, _config(fake.base_url, tmp_path, "x:"), {"LLMGW_DATABASE_URL": postgres}
        )
        try:
            await wait_ready(gateway)
            async with grpc.aio.insecure_channel(gateway.address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                request = chat("priced-model", request_id="sigterm-stream")
                call = stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=request))
                deltas = 0
                with pytest.raises(grpc.aio.AioRpcError):  # cut at the end of the grace period
                    async for event in call:
                        if event.HasField("delta"):
                            deltas += 1
                            if deltas == 10:
                                gateway.process.send_signal(signal.SIGTERM)
                assert deltas >= 10
            assert await asyncio.to_thread(gateway.process.wait, 30) == 0, gateway.logs()
        finally:
            gateway.kill()
    rows = await _rows(postgres, "request_id = $1", "sigterm-stream")
    assert [r["status"] for r in rows] == ["cancelled"], gateway.logs()
    assert int(rows[0]["cost_nanos"]) > 0


async def test_kill_9_after_the_answer_recovers_the_row_from_the_outbox(
    tmp_path: Path, postgres: str
) -> None:
    target = postgres.rsplit("@", 1)[1].split("/", 1)[0]
    host, port = target.rsplit(":", 1) if ":" in target else (target, "5432")
    proxy = TcpProxy(host, int(port))
    await proxy.start()
    via_proxy = postgres.replace(target, f"127.0.0.1:{proxy.port}", 1)
    async with FakeOpenAI(api_key=KEY) as fake:
        config = _config(fake.base_url, tmp_path, "x:")
        first = start_gateway(tmp_path / "first", config, {"LLMGW_DATABASE_URL": via_proxy})
        try:
            await wait_ready(first)
            await proxy.stop()  # PostgreSQL unreachable from here on
            async with grpc.aio.insecure_channel(first.address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                response = await stub.Chat(chat("priced-model", request_id="kill-9"))
                assert response.cost.total.nanos == COST
            async with grpc.aio.insecure_channel(first.admin) as channel:
                admin = admin_service_pb2_grpc.AdminServiceStub(channel)
                request = admin_service_pb2.GetCostsRequest()
                request.start_time.FromSeconds(int(time.time()) - 60)
                with pytest.raises(grpc.aio.AioRpcError) as down:
                    await admin.GetCosts(request, timeout=30)
                assert down.value.code() == grpc.StatusCode.UNAVAILABLE  # not INTERNAL
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(10)
        finally:
            first.kill()
        assert await _rows(postgres, "request_id = $1", "kill-9") == []
        second = start_gateway(tmp_path / "second", config, {"LLMGW_DATABASE_URL": postgres})
        try:
            await wait_ready(second)
            rows = await _poll_rows(postgres, "request_id = $1", "kill-9")
        finally:
            second.terminate()
            second.kill()
    assert [(r["status"], int(r["cost_nanos"])) for r in rows] == [("ok", COST)], second.logs()
