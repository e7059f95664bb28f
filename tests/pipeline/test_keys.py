"""Several API keys per backend: round-robin over keys with capacity, 429
cool-downs, rejected keys skipped, exhaustion reported with a retry time, and
counters shared through Redis across replicas."""

from __future__ import annotations

import os
import uuid

import grpc
import pytest
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import chat, detail, error_info
from llmgateway.v1 import gateway_service_pb2_grpc
from llmgw.domain.backends import ApiKey
from llmgw.domain.clock import SystemClock
from llmgw.domain.secret import Secret
from llmgw.pipeline.keys import KeyPool, KeysExhaustedError
from upstream_fakes import FakeOpenAI, Reply
from window_clock import WindowClock

REDIS_URL = os.environ.get("LLMGW_TEST_REDIS_URL", "")


@pytest.fixture(autouse=True)
def window(monkeypatch: pytest.MonkeyPatch) -> WindowClock:
    """In-memory windows on a frozen clock well inside a minute (no waiting
    for a safe second); Redis windows start at each fresh key's first hit."""
    return WindowClock(monkeypatch)


def _key(name: str, **limits: int) -> ApiKey:
    return ApiKey(name, Secret(f"sk-{name}"), **limits)  # type: ignore[arg-type]


async def test_round_robin_over_keys() -> None:
    pool = KeyPool("b", [_key("a"), _key("b"), _key("c")], SystemClock())
    picked = [(await pool.acquire("m", 10)).id for _ in range(6)]  # type: ignore[union-attr]
    assert picked == ["a", "b", "c", "a", "b", "c"]


async def test_rpm_limit_moves_to_the_next_key_then_exhausts() -> None:
    pool = KeyPool("b", [_key("a", rpm=2), _key("b", rpm=1)], SystemClock())
    picked = [(await pool.acquire("m", 10)).id for _ in range(3)]  # type: ignore[union-attr]
    assert sorted(picked) == ["a", "a", "b"]
    with pytest.raises(KeysExhaustedError) as caught:
        await pool.acquire("m", 10)
    assert 0 < caught.value.retry_after <= 60


async def test_input_tpm_counts_tokens() -> None:
    pool = KeyPool("b", [_key("a", input_tpm=1000)], SystemClock())
    await pool.acquire("m", 600)
    with pytest.raises(KeysExhaustedError):
        await pool.acquire("m", 600)
    assert await pool.acquire("m", 300) is not None


async def test_model_allow_list_and_cool_down() -> None:
    clock = SystemClock()
    only_big = ApiKey("big", Secret("sk-big"), models=frozenset({"big-model"}))
    pool = KeyPool("b", [only_big, _key("any")], clock)
    assert [(await pool.acquire("small-model", 1)).id for _ in range(2)] == ["any", "any"]  # type: ignore[union-attr]
    pool.cool_down(pool.keys[1], 30)
    with pytest.raises(KeysExhaustedError) as caught:
        await pool.acquire("small-model", 1)
    assert 29 < caught.value.retry_after <= 30


@pytest.mark.skipif(not REDIS_URL, reason="LLMGW_TEST_REDIS_URL is not set (no Redis to share)")
async def test_two_replicas_share_limits_through_redis() -> None:
    from limits.aio.storage import RedisStorage

    backend = f"test-{uuid.uuid4().hex[:8]}"  # isolate from other runs
    url = REDIS_URL if REDIS_URL.startswith("async+") else f"async+{REDIS_URL}"
    replicas = [
        KeyPool(backend, [_key("shared", rpm=5)], SystemClock(), RedisStorage(url))
        for _ in range(2)
    ]
    admitted = 0
    for i in range(12):
        try:
            await replicas[i % 2].acquire("m", 1)
            admitted += 1
        except KeysExhaustedError:
            pass
    assert admitted == 5  # the limit is global, not multiplied by the replicas


def _settings(url: str, keys: list[dict[str, object]]) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "multi",
                "kind": "openai_compatible",
                "base_url": url,
                "keys": keys,
                "models": [{"id": "m"}],
                "retry": {"initial_backoff_seconds": 0.01, "max_retries": 1},
            }
        ],
    }


async def test_rejected_key_is_skipped_for_the_next() -> None:
    async with FakeOpenAI(api_key="sk-good") as fake:
        keys = [{"id": "bad", "api_key": "sk-bad"}, {"id": "good", "api_key": "sk-good"}]
        async with gateway_at(_settings(fake.base_url, keys)) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                for _ in range(3):
                    response = await stub.Chat(chat("m"))
                    assert response.route.backend == "multi"
    used = [r.headers.get("Authorization") for r in fake.requests]
    assert used[:2] == ["Bearer sk-bad", "Bearer sk-good"]
    assert used[2:] == ["Bearer sk-good", "Bearer sk-good"]  # the bad key is left alone


async def test_rate_limited_key_cools_down_and_the_other_serves() -> None:
    async with FakeOpenAI(api_key=None) as fake:
        keys = [{"id": "k1", "api_key": "sk-1"}, {"id": "k2", "api_key": "sk-2"}]
        fake.enqueue(Reply(status=429, headers={"retry-after": "30"}))
        async with gateway_at(_settings(fake.base_url, keys)) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                await stub.Chat(chat("m"))
                await stub.Chat(chat("m"))
    used = [r.headers.get("Authorization") for r in fake.requests]
    assert used == ["Bearer sk-1", "Bearer sk-2", "Bearer sk-2"]


async def test_all_keys_exhausted_is_resource_exhausted_with_retry_info() -> None:
    async with FakeOpenAI(api_key=None) as fake:
        keys = [
            {"id": "k1", "api_key": "sk-1", "rpm": 1},
            {"id": "k2", "api_key": "sk-2", "rpm": 1},
        ]
        async with gateway_at(_settings(fake.base_url, keys)) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                await stub.Chat(chat("m"))
                await stub.Chat(chat("m"))
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await stub.Chat(chat("m"), timeout=5)
    assert len(fake.requests) == 2  # the third never reached the upstream
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_info(caught.value).reason == "UPSTREAM_RATE_LIMITED"
    retry = detail(caught.value, error_details_pb2.RetryInfo)
    assert 0 < retry.retry_delay.seconds <= 60  # type: ignore[attr-defined]
