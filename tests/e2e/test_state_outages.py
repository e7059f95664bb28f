"""State stores unreachable under a real ``llmgw serve`` (issue 10 items 4, 5).

The dependency sits behind a TCP proxy (``tests/tcp_proxy.py``) that the
test stops: the gateway sees connections reset and refused, as when the
server dies.

* PostgreSQL (key store, ledger) down with authentication on: a key this
  replica verified before keeps working from its cache; a key it has not
  verified answers ``UNAVAILABLE`` + ``RetryInfo`` (not ``UNKNOWN`` with the
  driver's text) and reaches no upstream; admin RPCs that need the database
  (keys, audit) answer ``UNAVAILABLE`` + ``RetryInfo``, not ``INTERNAL``;
  once the database is back the new key works. Every answered request is billed once (ledger rows in
  PostgreSQL after recovery), the refused ones not at all.
* Redis (rate-limit counters) down with ``rate_limits`` configured: Chat,
  StreamChat and Embed answer ``UNAVAILABLE`` + ``RetryInfo`` (fail closed,
  like budgets), nothing reaches the upstream; with ``rate_limits.fail_open``
  they are served.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import grpc
import pytest
from databases import fresh_postgres_database
from google.rpc import error_details_pb2
from helpers import chat, detail, error_info
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
)
from processes import start_gateway, wait_ready
from tcp_proxy import TcpProxy
from upstream_fakes import FakeOpenAI

pytestmark = pytest.mark.slow

KEY = "sk-fake"
ADMIN_KEY = "bootstrap-admin-secret-outage-0123456789abcdef"
DRIVER_WORDS = ("Connect", "Errno", "asyncpg", "redis", "Redis", "refused", "Unexpected")


def _require(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set (no PostgreSQL/Redis to put behind a proxy)")
    return value


def _via(proxy: TcpProxy, url: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.netloc.rsplit('@', 1)[0]}@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{netloc}127.0.0.1:{proxy.port}"))


async def _proxy_for(url: str, default_port: int) -> TcpProxy:
    parts = urlsplit(url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or default_port)
    await proxy.start()
    return proxy


def _config(upstream: str, folder: Path, **extra: object) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "probe_interval_seconds": 0,
        "shutdown_grace_seconds": 1,
        "backends": [
            {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": upstream,
                "api_keys": [KEY],
                "models": [
                    {"id": "chat-model", "capabilities": ["streaming"]},
                    {"id": "embed-model", "type": "embedding"},
                ],
                "retry": {"max_retries": 0},
            }
        ],
        "ledger": {"outbox_path": str(folder / "outbox.sqlite3"), "relay_interval_seconds": 0.05},
        **extra,
    }


def _assert_unavailable(error: grpc.aio.AioRpcError) -> None:
    assert error.code() == grpc.StatusCode.UNAVAILABLE, error.details()
    assert error_info(error).reason == "GATEWAY_OVERLOADED"
    retry = detail(error, error_details_pb2.RetryInfo)
    assert retry.retry_delay.seconds + retry.retry_delay.nanos > 0  # type: ignore[attr-defined]
    for word in DRIVER_WORDS:
        assert word not in (error.details() or ""), error.details()


async def _ledger_ids(url: str) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT request_id FROM ledger_attempts")
    except asyncpg.UndefinedTableError:
        return []
    finally:
        await connection.close()
    return sorted(r["request_id"] for r in rows)


async def _until(probe: Any, seconds: float = 20) -> Any:
    """Poll ``probe()`` until it returns a truthy value or the deadline passes."""
    end = time.monotonic() + seconds
    while True:
        value = await probe()
        if value or time.monotonic() > end:
            return value
        await asyncio.sleep(0.1)


async def test_postgres_down_keeps_verified_keys_and_refuses_new_ones(tmp_path: Path) -> None:
    server = _require("LLMGW_TEST_POSTGRES_URL")
    async with fresh_postgres_database(server) as postgres, FakeOpenAI(api_key=KEY) as fake:
        proxy = await _proxy_for(postgres, 5432)
        config = _config(fake.base_url, tmp_path, auth={"key_cache_ttl_seconds": 0})
        env = {"LLMGW_DATABASE_URL": _via(proxy, postgres), "LLMGW_ADMIN_KEY": ADMIN_KEY}
        gateway = start_gateway(tmp_path / "gw", config, env)
        try:
            await wait_ready(gateway)
            admin_md = (("authorization", f"Bearer {ADMIN_KEY}"),)
            async with (
                grpc.aio.insecure_channel(gateway.address) as data,
                grpc.aio.insecure_channel(gateway.admin) as admin_channel,
            ):
                stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
                admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
                made = []
                for key_id in ("known", "fresh"):
                    request = admin_service_pb2.CreateApiKeyRequest(
                        key_id=key_id,
                        api_key=admin_service_pb2.ApiKey(tenant="acme", scopes=["chat"]),
                    )
                    made.append((await admin.CreateApiKey(request, metadata=admin_md)).secret)
                known, fresh = [(("authorization", f"Bearer {s}"),) for s in made]
                await stub.Chat(chat("chat-model", request_id="before"), metadata=known)

                await proxy.stop()  # PostgreSQL unreachable from here on
                for i in range(5):
                    await stub.Chat(chat("chat-model", request_id=f"during-{i}"), metadata=known)
                await admin.GetHealth(admin_service_pb2.GetHealthRequest(), metadata=admin_md)
                # Authenticated, but the RPC itself needs the database: UNAVAILABLE too.
                for call, request in (
                    (admin.ListApiKeys, admin_service_pb2.ListApiKeysRequest()),
                    (admin.ListAuditEvents, admin_service_pb2.ListAuditEventsRequest()),
                ):
                    with pytest.raises(grpc.aio.AioRpcError) as caught:
                        await call(request, metadata=admin_md)
                    _assert_unavailable(caught.value)
                garbage = (("authorization", "Bearer llmgw_no-such-key-0123456789abcdef"),)
                for metadata in (fresh, garbage):
                    with pytest.raises(grpc.aio.AioRpcError) as caught:
                        await stub.Chat(chat("chat-model", request_id="refused"), metadata=metadata)
                    _assert_unavailable(caught.value)
                    with pytest.raises(grpc.aio.AioRpcError) as caught:
                        await admin.ListBackends(
                            admin_service_pb2.ListBackendsRequest(), metadata=metadata
                        )
                    _assert_unavailable(caught.value)
                assert len(fake.requests) == 6  # the refused calls reached no upstream

                await proxy.start()  # back: the new key is verified now

                async def fresh_works() -> bool:
                    try:
                        await stub.Chat(chat("chat-model", request_id="after"), metadata=fresh)
                    except grpc.aio.AioRpcError as error:
                        _assert_unavailable(error)
                        return False
                    return True

                assert await _until(fresh_works), gateway.logs()
            expected = sorted(["before", "after"] + [f"during-{i}" for i in range(5)])
            ids = await _until(lambda: _ledger_ids_if(postgres, len(expected)), seconds=30)
            assert ids == expected, gateway.logs()  # billed once each, "refused" never
        finally:
            # In a thread: the proxy runs on this loop and must keep pumping.
            await asyncio.to_thread(gateway.terminate)
            gateway.kill()
            await proxy.stop()
        assert ADMIN_KEY not in gateway.logs()


async def _ledger_ids_if(url: str, count: int) -> list[str]:
    ids = await _ledger_ids(url)
    return ids if len(ids) >= count else []


async def _calls(stub: Any, tag: str) -> list[Any]:
    """Chat, StreamChat and Embed once each; the error of each, or None."""

    async def stream() -> None:
        request = gateway_service_pb2.StreamChatRequest(chat=chat("chat-model"))
        async for _ in stub.StreamChat(request):
            pass

    calls = [
        lambda: stub.Chat(chat("chat-model", request_id=f"{tag}-chat")),
        stream,
        lambda: stub.Embed(
            gateway_service_pb2.EmbedRequest(
                model="embed-model", inputs=[gateway_service_pb2.EmbedInput(text="hi")]
            )
        ),
    ]
    errors: list[Any] = []
    for call in calls:
        try:
            await call()
            errors.append(None)
        except grpc.aio.AioRpcError as error:
            errors.append(error)
    return errors


@pytest.mark.parametrize("fail_open", [False, True], ids=["closed", "open"])
async def test_redis_down_with_rate_limits(tmp_path: Path, fail_open: bool) -> None:
    redis_url = _require("LLMGW_TEST_REDIS_URL")
    async with FakeOpenAI(api_key=KEY) as fake:
        proxy = await _proxy_for(redis_url, 6379)
        config = _config(
            fake.base_url,
            tmp_path,
            redis_prefix=f"llmgw-test-{uuid.uuid4().hex[:8]}:",
            rate_limits={"tenant": {"rpm": 1000}, "fail_open": fail_open},
        )
        gateway = start_gateway(
            tmp_path / "gw", config, {"LLMGW_REDIS_URL": _via(proxy, redis_url)}
        )
        try:
            await wait_ready(gateway)
            async with grpc.aio.insecure_channel(gateway.address) as data:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
                assert await _calls(stub, "up") == [None, None, None]
                served = len(fake.requests)
                await proxy.stop()  # Redis unreachable from here on
                errors = await _calls(stub, "down")
            if fail_open:
                assert errors == [None, None, None]
                assert len(fake.requests) == served + 3
                assert "rate_limit_store_unavailable" in gateway.logs()
            else:
                for error in errors:
                    assert error is not None
                    _assert_unavailable(error)
                assert len(fake.requests) == served  # nothing reached the upstream
        finally:
            # In a thread: the proxy runs on this loop and must keep pumping.
            await asyncio.to_thread(gateway.terminate)
            gateway.kill()
            await proxy.stop()
