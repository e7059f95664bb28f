"""Caller rate limits (per key, tenant, end user), stream caps, and the shared
Redis counters that keep a limit global across replicas."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid

import grpc
import pytest
import services
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import chat, detail, error_info
from limits.aio.storage import MemoryStorage
from llmgateway.v1 import gateway_service_pb2_grpc
from llmgw.domain.clock import SystemClock
from llmgw.domain.errors import RateLimitedError
from llmgw.domain.principal import Principal
from llmgw.pipeline.gateway import Gateway
from llmgw.pipeline.ratelimit import CallerDefaults, CallerLimits, LimitSet
from llmgw.pipeline.stream_slots import LocalSlots, RedisSlots
from window_clock import WindowClock

REDIS_URL = services.redis().url
needs_redis = pytest.mark.skipif(not REDIS_URL, reason=services.redis().reason)


@pytest.fixture(autouse=True)
def window(monkeypatch: pytest.MonkeyPatch) -> WindowClock:
    """In-memory windows on a frozen clock well inside a minute (no waiting
    for a safe second); Redis windows start at each fresh key's first hit."""
    return WindowClock(monkeypatch)


def _limits(defaults: CallerDefaults | None = None, **kwargs: object) -> CallerLimits:
    return CallerLimits(
        None, SystemClock(), defaults or CallerDefaults(), prefix=uuid.uuid4().hex, **kwargs
    )  # type: ignore[arg-type]


KEY = Principal(subject="k1", key_id="k1", tenant="acme", rpm=3)


async def test_key_rpm_rejects_with_subject_and_retry_after() -> None:
    limits = _limits()
    for _ in range(3):
        await limits.admit(KEY, "", 10)
    with pytest.raises(RateLimitedError) as caught:
        await limits.admit(KEY, "", 10)
    assert caught.value.subject == "apiKeys/k1:rpm"
    assert 0 < caught.value.retry_after <= 60


async def test_tenant_input_tpm_counts_tokens_and_names_the_limit() -> None:
    limits = _limits(CallerDefaults(tenant=LimitSet(input_tpm=1000)))
    caller = Principal(subject="a", tenant="t1")
    await limits.admit(caller, "", 600)
    with pytest.raises(RateLimitedError) as caught:
        await limits.admit(caller, "", 600)
    assert caught.value.subject == "tenants/t1:input_tpm"
    await limits.admit(caller, "", 300)  # what is left still fits
    await limits.admit(Principal(subject="b", tenant="t2"), "", 900)  # tenants are separate


async def test_a_refusal_consumes_nothing_from_the_other_limits() -> None:
    # tenant rpm 10, user rpm 2: the third request of user u is refused by the
    # user limit; it must not have used a tenant request.
    limits = _limits(CallerDefaults(tenant=LimitSet(rpm=10), user=LimitSet(rpm=2)))
    caller = Principal(subject="a", tenant="t")
    await limits.admit(caller, "u", 1)
    await limits.admit(caller, "u", 1)
    for _ in range(5):
        with pytest.raises(RateLimitedError) as caught:
            await limits.admit(caller, "u", 1)
        assert caught.value.subject == "tenants/t/users/u:rpm"
    for i in range(8):  # 10 - the 2 admitted: the refusals took nothing
        await limits.admit(caller, f"other-{i}", 1)
    with pytest.raises(RateLimitedError) as tenant_full:
        await limits.admit(caller, "third", 1)
    assert tenant_full.value.subject == "tenants/t:rpm"


async def test_output_tpm_counted_after_the_answer_rejects_the_next_request() -> None:
    limits = _limits(CallerDefaults(tenant=LimitSet(output_tpm=100)))
    caller = Principal(subject="a", tenant="t")
    await limits.admit(caller, "", 5)
    await limits.record_output(caller, "", 150)  # bigger than the limit: fills the window
    with pytest.raises(RateLimitedError) as caught:
        await limits.admit(caller, "", 5)
    assert caught.value.subject == "tenants/t:output_tpm"


async def test_admit_says_whether_output_tokens_must_be_recorded() -> None:
    """Only limits with an output TPM need the answer's output tokens: the
    admission step skips ``record_output`` (and its work) for the others."""
    caller = Principal(subject="a", tenant="t", key_id="a")
    rpm_only = _limits(CallerDefaults(tenant=LimitSet(rpm=100)))
    assert await rpm_only.admit(caller, "", 5) is False
    two_windows = _limits(CallerDefaults(tenant=LimitSet(rpm=100, input_tpm=1000)))
    assert await two_windows.admit(caller, "", 5) is False
    output = _limits(CallerDefaults(tenant=LimitSet(output_tpm=100)))
    assert await output.admit(caller, "", 5) is True
    mixed = _limits(CallerDefaults(tenant=LimitSet(rpm=100, output_tpm=100)))
    assert await mixed.admit(caller, "", 5) is True
    assert await _limits().admit(caller, "", 5) is False  # no limit applies


async def test_per_tenant_override_beats_the_default() -> None:
    defaults = CallerDefaults(tenant=LimitSet(rpm=1), tenants={"big": LimitSet(rpm=3)})
    limits = _limits(defaults)
    big = Principal(subject="a", tenant="big")
    for _ in range(3):
        await limits.admit(big, "", 1)
    small = Principal(subject="b", tenant="small")
    await limits.admit(small, "", 1)
    with pytest.raises(RateLimitedError):
        await limits.admit(small, "", 1)


class _CountingStorage(MemoryStorage):
    """A storage that records every window read and hit (proves the fast path)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        self.calls.append("get_sliding_window")
        return await super().get_sliding_window(key, expiry)

    async def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        self.calls.append("acquire_sliding_window_entry")
        return await super().acquire_sliding_window_entry(key, limit, expiry, amount)


async def test_no_limits_configured_means_no_io() -> None:
    storage = _CountingStorage()
    limits = CallerLimits(storage, SystemClock(), CallerDefaults())
    anonymous = Principal(subject="anonymous")
    for _ in range(100):
        await limits.admit(anonymous, "user", 10_000)
        await limits.record_output(anonymous, "user", 10_000)
    await (await limits.acquire_stream_slot(anonymous)).release()
    assert storage.calls == []
    limited = Principal(subject="k", key_id="k", rpm=5)
    await limits.admit(limited, "", 1)
    assert storage.calls  # the same storage is used once a limit applies


async def test_tenant_stream_cap_and_release() -> None:
    slots = LocalSlots()
    limits = _limits(CallerDefaults(max_concurrent_streams=2), slots=slots)
    caller = Principal(subject="a", tenant="t")
    first = await limits.acquire_stream_slot(caller)
    second = await limits.acquire_stream_slot(caller)
    with pytest.raises(RateLimitedError) as caught:
        await limits.acquire_stream_slot(caller)
    assert caught.value.subject == "tenants/t:concurrent_streams"
    # another tenant has its own slots
    await (await limits.acquire_stream_slot(Principal(subject="b", tenant="other"))).release()
    await second.release()
    await first.release()
    await first.release()  # idempotent
    assert slots.held("tenants/t") == 0
    both = [await limits.acquire_stream_slot(caller) for _ in range(2)]
    for slot in both:
        await slot.release()


async def test_key_stream_cap_refusal_releases_the_tenant_slot() -> None:
    slots = LocalSlots()
    limits = _limits(CallerDefaults(max_concurrent_streams=5), slots=slots)
    key = Principal(subject="k", key_id="k", tenant="t", max_concurrent_streams=1)
    held = await limits.acquire_stream_slot(key)
    with pytest.raises(RateLimitedError) as caught:
        await limits.acquire_stream_slot(key)
    assert caught.value.subject == "apiKeys/k:concurrent_streams"
    assert slots.held("tenants/t") == 1  # only the open stream's
    await held.release()


# ------------------------------------------------------------ across replicas


def _redis_storage() -> object:
    from limits.aio.storage import RedisStorage

    url = REDIS_URL if REDIS_URL.startswith("async+") else f"async+{REDIS_URL}"
    return RedisStorage(url)


@needs_redis
async def test_two_replicas_share_tenant_limits_through_redis() -> None:
    prefix = f"test-{uuid.uuid4().hex}"  # a random key prefix per test
    defaults = CallerDefaults(tenant=LimitSet(rpm=7))
    replicas = [
        CallerLimits(_redis_storage(), SystemClock(), defaults, prefix=prefix)  # type: ignore[arg-type]
        for _ in range(2)
    ]
    caller = Principal(subject="a", tenant="shared")

    async def one(i: int) -> bool:
        try:
            await replicas[i % 2].admit(caller, "", 1)
            return True
        except RateLimitedError:
            return False

    sequential = [await one(i) for i in range(10)]
    assert sum(sequential) == 7  # global, not 7 per replica
    assert not any(await asyncio.gather(*(one(i) for i in range(10))))


@needs_redis
async def test_concurrent_admission_across_replicas_stays_near_the_limit() -> None:
    """The documented race: every request passes the test at once; the atomic
    hit still refuses all but the limit's worth."""
    prefix = f"test-{uuid.uuid4().hex}"
    defaults = CallerDefaults(tenant=LimitSet(rpm=20))
    replicas = [
        CallerLimits(_redis_storage(), SystemClock(), defaults, prefix=prefix)  # type: ignore[arg-type]
        for _ in range(2)
    ]
    caller = Principal(subject="a", tenant="race")

    async def one(i: int) -> bool:
        try:
            await replicas[i % 2].admit(caller, "", 1)
            return True
        except RateLimitedError:
            return False

    admitted = sum(await asyncio.gather(*(one(i) for i in range(60))))
    assert admitted == 20  # each hit is atomic: the counter never passes the limit


@needs_redis
async def test_redis_stream_slots_are_shared_and_expire() -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        prefix = f"test-{uuid.uuid4().hex}:"
        one, two = RedisSlots(client, prefix, ttl=30), RedisSlots(client, prefix, ttl=30)
        token = await one.acquire("tenants/t", 2)
        assert token and await two.acquire("tenants/t", 2)
        assert await one.acquire("tenants/t", 2) is None  # the cap holds across replicas
        await one.release("tenants/t", token)
        assert await two.acquire("tenants/t", 2)
        # a crashed replica's slot: short ttl, never released, stops counting
        crashed = RedisSlots(client, f"test-{uuid.uuid4().hex}:", ttl=0.2)
        assert await crashed.acquire("tenants/t", 1)
        assert await crashed.acquire("tenants/t", 1) is None
        deadline = time.monotonic() + 5
        while await crashed.acquire("tenants/t", 1) is None:
            assert time.monotonic() < deadline, "an expired slot still counted"
            await asyncio.sleep(0.05)
    finally:
        await client.aclose()


# ------------------------------------------------------------ through a server


wired = pytest.mark.skipif(
    "limits" not in inspect.signature(Gateway.__init__).parameters,
    reason="Gateway does not take CallerLimits yet (pipeline owner wires admit/record_output)",
)


@wired
async def test_tenant_rpm_through_the_server_is_resource_exhausted() -> None:
    settings = {"rate_limits": {"tenant": {"rpm": 2}}}  # anonymous is tenant "default"
    async with gateway_at(settings) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            await stub.Chat(chat("demo-chat"))
            await stub.Chat(chat("demo-chat"))
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.Chat(chat("demo-chat"))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_info(caught.value).reason == "RATE_LIMITED"
    quota = detail(caught.value, error_details_pb2.QuotaFailure)
    assert quota.violations[0].subject == "tenants/default:rpm"  # type: ignore[attr-defined]
    retry = detail(caught.value, error_details_pb2.RetryInfo)
    assert 0 < retry.retry_delay.ToTimedelta().total_seconds() <= 60  # type: ignore[attr-defined]
