"""A rollout, for real: ``llmgw serve`` gets SIGTERM while a stream and unary
calls are in flight and new calls keep arriving.

Expected, in order: readiness (and the overall status) NOT_SERVING at once,
liveness still SERVING; the servers keep answering new calls for
``shutdown_delay_seconds``; in-flight unary calls and the stream finish
within ``shutdown_grace_seconds``; the ledger's last rows are relayed to
PostgreSQL at close (the relay interval is longer than the test, so only the
closing flush can have put them there); exit code 0. No call that started
before NOT_SERVING was observed fails; calls refused after the delay fail
only with UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import pytest
from databases import fresh_postgres_database
from grpc_health.v1 import health_pb2, health_pb2_grpc
from helpers import chat
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc
from llmgw.config import Settings
from llmgw.config.serving import shutdown_delay
from processes import Gateway, start_gateway, wait_ready
from upstream_fakes import FakeOpenAI, Reply

DELAY = 2.0
STREAM = Reply(chunks=["tok "] * 50, chunk_delay=0.1)  # ~5 s: outlives the delay
SLOW_UNARY = Reply(first_byte_delay=DELAY + 1.0)  # still running when the servers stop


@dataclass
class Call:
    started: float
    request_id: str
    code: grpc.StatusCode


@pytest.fixture
async def postgres() -> AsyncIterator[str | None]:
    url = os.environ.get("LLMGW_TEST_POSTGRES_URL")
    if not url:
        yield None  # the drain is still tested; the relay flush is not
        return
    async with fresh_postgres_database(url) as fresh:
        yield fresh


def _config(upstream: str, folder: Path) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "probe_interval_seconds": 0,
        "shutdown_delay_seconds": DELAY,
        "shutdown_grace_seconds": 20,
        "backends": [
            {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": upstream,
                "models": [{"id": "m", "capabilities": ["streaming"]}],
                "retry": {"max_retries": 0},
            }
        ],
        "ledger": {"outbox_path": str(folder / "outbox.sqlite3"), "relay_interval_seconds": 600},
    }


async def _unary(stub: gateway_service_pb2_grpc.GatewayServiceStub, request_id: str) -> Call:
    started = time.monotonic()
    try:
        await stub.Chat(chat("fake/m", request_id=request_id), timeout=30)
        code = grpc.StatusCode.OK
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
    return Call(started, request_id, code)


async def _not_serving_at(channel: grpc.aio.Channel, seconds: float = 10) -> float:
    """When readiness was first seen NOT_SERVING (liveness checked SERVING then)."""
    health = health_pb2_grpc.HealthStub(channel)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        reply = await health.Check(health_pb2.HealthCheckRequest(service="readiness"), timeout=5)
        if reply.status == health_pb2.HealthCheckResponse.NOT_SERVING:
            seen = time.monotonic()
            for name, want in (("", "NOT_SERVING"), ("liveness", "SERVING")):
                status = await health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
                assert health_pb2.HealthCheckResponse.ServingStatus.Name(status.status) == want
            return seen
        await asyncio.sleep(0.02)
    raise AssertionError("readiness never went NOT_SERVING after SIGTERM")


async def _arrivals(
    stub: gateway_service_pb2_grpc.GatewayServiceStub, gateway: Gateway, first: asyncio.Event
) -> list[Call]:
    """New calls every 50 ms until the process has exited (bounded); ``first``
    is set when the first one has been answered."""

    async def one(i: int) -> Call:
        call = await _unary(stub, f"arrival-{i}")
        first.set()
        return call

    tasks = []
    for i in range(400):
        if gateway.process.poll() is not None:
            break
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(0.05)
    return list(await asyncio.gather(*tasks))


async def _until_first_delta(stream: Any) -> list[Any]:
    events = [await stream.read()]  # start
    while not events[-1].HasField("delta"):
        events.append(await stream.read())
    return events


async def _rest(stream: Any) -> list[Any]:
    events = []
    for _ in range(1000):  # bounded: 50 deltas + usage + final
        event = await stream.read()
        if event is grpc.aio.EOF:
            break
        events.append(event)
    return events


async def _relayed(url: str) -> dict[str, str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT request_id, status FROM ledger_attempts")
    finally:
        await connection.close()
    return {r["request_id"]: r["status"] for r in rows}


@pytest.mark.slow
async def test_sigterm_drains_streams_and_calls_then_flushes_and_exits_0(
    tmp_path: Path, postgres: str | None
) -> None:
    async with FakeOpenAI(api_key=None) as fake:
        env = {"LLMGW_DATABASE_URL": postgres} if postgres else {}
        gateway = start_gateway(tmp_path, _config(fake.base_url, tmp_path), env)
        try:
            await wait_ready(gateway)
            async with grpc.aio.insecure_channel(gateway.address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                fake.enqueue(STREAM)
                stream = stub.StreamChat(
                    gateway_service_pb2.StreamChatRequest(chat=chat("fake/m", request_id="stream"))
                )
                events = await _until_first_delta(stream)
                fake.enqueue(SLOW_UNARY, SLOW_UNARY, SLOW_UNARY)
                in_flight = [asyncio.create_task(_unary(stub, f"inflight-{i}")) for i in range(3)]
                for _ in range(1000):  # <= 10 s
                    if len(fake.requests) >= 4:
                        break
                    await asyncio.sleep(0.01)
                assert len(fake.requests) == 4, "the unary calls never reached the upstream"

                first = asyncio.Event()
                arrivals = asyncio.create_task(_arrivals(stub, gateway, first))
                await asyncio.wait_for(first.wait(), 10)  # calls are arriving before SIGTERM
                gateway.process.send_signal(signal.SIGTERM)
                not_serving = await _not_serving_at(channel)
                events += await _rest(stream)
                finished = await asyncio.gather(*in_flight)
                calls = await arrivals
            code = await asyncio.to_thread(gateway.process.wait, 40)
        finally:
            gateway.kill()
    logs = gateway.logs()
    assert code == 0, logs
    assert events[-1].HasField("final"), "the stream did not complete"
    assert "".join(e.delta.text for e in events) == "".join(STREAM.chunks or [])
    assert [c.code for c in finished] == [grpc.StatusCode.OK] * 3, logs

    before = [c for c in calls if c.started < not_serving]
    during = [c for c in calls if c.started >= not_serving and c.code == grpc.StatusCode.OK]
    assert before and all(c.code == grpc.StatusCode.OK for c in before), before
    assert during, "no new call was served during the shutdown delay"
    refused = {c.code for c in calls if c.code != grpc.StatusCode.OK}
    assert refused <= {grpc.StatusCode.UNAVAILABLE}, refused
    assert "shutdown requested" in logs and "gateway stopped" in logs

    if postgres:
        served = {"stream", *(c.request_id for c in [*finished, *calls] if c.code.value[0] == 0)}
        relayed = await _relayed(postgres)
        missing = served - set(relayed)
        assert not missing, f"rows not relayed at close: {sorted(missing)[:5]}"
        assert all(relayed[r] == "ok" for r in served)


@pytest.mark.parametrize(
    ("values", "delay"),
    [
        ({}, 0.0),  # loopback: nobody routes to it
        ({"listen": "[::]:50051"}, 5.0),  # exposed: endpoint removal must propagate
        ({"admin_listen": "0.0.0.0:50052"}, 5.0),
        ({"listen": "[::]:50051", "shutdown_delay_seconds": 12}, 12.0),  # the chart's choice
        ({"shutdown_delay_seconds": 3}, 3.0),
    ],
)
def test_shutdown_delay_default_depends_on_exposure(
    values: dict[str, object], delay: float
) -> None:
    assert shutdown_delay(Settings.model_validate(values)) == delay
    assert Settings().shutdown_grace_seconds == 120  # long streams finish


@pytest.mark.slow
def test_loopback_serve_stops_without_a_delay(tmp_path: Path) -> None:
    """Plain local ``llmgw serve`` (loopback, no delay configured) stops at once."""
    gateway = start_gateway(tmp_path, {"probe_interval_seconds": 0})
    try:
        asyncio.run(wait_ready(gateway))
        started = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            gateway.process.send_signal(signal.SIGINT)
        assert gateway.process.wait(30) == 0
        assert time.monotonic() - started < 5, "a loopback gateway waited for a shutdown delay"
        stops = [
            line for line in map(_json_or_none, gateway.logs().splitlines())
            if line and line.get("event") == "shutdown requested"
        ]
        assert [line["delay_seconds"] for line in stops] == [0.0]
    finally:
        gateway.kill()


def _json_or_none(line: str) -> dict[str, Any] | None:
    """A structured log line as a dict (``None`` for anything else)."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
