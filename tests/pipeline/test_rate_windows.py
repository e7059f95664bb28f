"""Per-hour and per-day windows and the burst allowance, per key, tenant and
end user: through the running server (in-memory windows on a driven clock),
and shared by two replicas through Redis."""

from __future__ import annotations

import os
import uuid

import grpc
import pytest
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import chat, detail, error_info
from limits.aio.storage import RedisStorage
from llmgateway.v1 import gateway_service_pb2_grpc, routing_pb2
from llmgw.config import ConfigError, Settings
from llmgw.domain.clock import SystemClock
from llmgw.domain.errors import RateLimitedError
from llmgw.domain.principal import Principal
from llmgw.pipeline.ratelimit import CallerDefaults, CallerLimits, LimitSet
from pydantic import ValidationError
from window_clock import WindowClock

REDIS_URL = os.environ.get("LLMGW_TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="LLMGW_TEST_REDIS_URL is not set (no Redis to share)"
)


@pytest.fixture
def window(monkeypatch: pytest.MonkeyPatch) -> WindowClock:
    return WindowClock(monkeypatch)


def _as(user: str) -> routing_pb2.Attribution:
    return routing_pb2.Attribution(end_user_id=user)


async def _refused(stub, request) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(request)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_info(caught.value).reason == "RATE_LIMITED"
    quota = detail(caught.value, error_details_pb2.QuotaFailure)
    retry = detail(caught.value, error_details_pb2.RetryInfo)
    subject = quota.violations[0].subject  # type: ignore[attr-defined]
    return subject, retry.retry_delay.ToTimedelta().total_seconds()  # type: ignore[attr-defined]


async def test_hour_and_day_windows_per_user_and_tenant_through_the_server(window) -> None:
    settings = {"rate_limits": {"user": {"rpm": 100, "rph": 3}, "tenant": {"rpd": 5}}}
    async with gateway_at(settings) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            for _ in range(3):
                await stub.Chat(chat("demo-chat", attribution=_as("u1")))
            subject, wait = await _refused(stub, chat("demo-chat", attribution=_as("u1")))
            assert subject == "tenants/default/users/u1:rph"
            # The subject names the window; the wait runs to the end of the real clock's
            # hour bucket (under a minute in an hour's last minute, so no lower bound).
            assert 0 < wait <= 3600
            window.advance(120)  # past the minute: the hour still counts
            assert (await _refused(stub, chat("demo-chat", attribution=_as("u1"))))[0] == (
                "tenants/default/users/u1:rph"
            )
            await stub.Chat(chat("demo-chat", attribution=_as("u2")))
            await stub.Chat(chat("demo-chat", attribution=_as("u2")))  # tenant: 5 today
            subject, wait = await _refused(stub, chat("demo-chat", attribution=_as("u3")))
            assert subject == "tenants/default:rpd" and 0 < wait <= 86400  # to the day's end


async def test_key_burst_allowance_then_the_steady_pace_through_the_server(window) -> None:
    # 60/min with a burst of 3: 3 at once, then one per second on average.
    settings = {"rate_limits": {"key": {"rpm": 60, "burst": 3}}}
    async with gateway_at(settings) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            for _ in range(3):
                await stub.Chat(chat("demo-chat"))
            subject, wait = await _refused(stub, chat("demo-chat"))
            assert subject == "apiKeys/anonymous:burst" and wait <= 3
            window.advance(6)  # two 3-second windows later: the burst is back
            for _ in range(3):
                await stub.Chat(chat("demo-chat"))
            assert (await _refused(stub, chat("demo-chat")))[0] == "apiKeys/anonymous:burst"


async def test_a_key_record_rpm_replaces_the_configured_one_and_keeps_the_hour(window) -> None:
    defaults = CallerDefaults(key=LimitSet(rpm=100, rph=4), keys={"vip": LimitSet(rph=6)})
    limits = CallerLimits(None, SystemClock(), defaults, prefix=uuid.uuid4().hex)
    own = Principal(subject="k", key_id="k", rpm=2)
    for _ in range(2):
        await limits.admit(own, "", 1)
    with pytest.raises(RateLimitedError) as caught:
        await limits.admit(own, "", 1)
    assert caught.value.subject == "apiKeys/k:rpm"  # the record's 2, not the config's 100
    window.advance(120)  # two minutes on: the minute window is empty again
    for _ in range(2):
        await limits.admit(own, "", 1)
    with pytest.raises(RateLimitedError) as caught:
        await limits.admit(own, "", 1)
    assert caught.value.subject == "apiKeys/k:rph"
    vip = Principal(subject="vip", key_id="vip")
    for _ in range(6):
        await limits.admit(vip, "", 1)
    with pytest.raises(RateLimitedError):
        await limits.admit(vip, "", 1)


async def test_output_tokens_per_day_count_after_the_answer(window) -> None:
    limits = CallerLimits(
        None,
        SystemClock(),
        CallerDefaults(tenant=LimitSet(output_tpd=1000)),
        prefix=uuid.uuid4().hex,
    )
    caller = Principal(subject="a", tenant="t")
    await limits.admit(caller, "", 1)
    await limits.record_output(caller, "", 1000)
    with pytest.raises(RateLimitedError) as caught:
        await limits.admit(caller, "", 1)
    assert caught.value.subject == "tenants/t:output_tpd"
    assert "output tokens per day" in caught.value.public_message


def test_burst_needs_an_rpm_to_pace_it() -> None:
    with pytest.raises((ConfigError, ValidationError)) as caught:
        Settings.model_validate({"rate_limits": {"tenant": {"burst": 5}}})
    assert "burst needs rpm" in str(caught.value)


@needs_redis
@pytest.mark.parametrize(
    ("limit", "dimension", "allowed"),
    [
        (LimitSet(rph=5), "rph", 5),
        (LimitSet(rpd=4), "rpd", 4),
        (LimitSet(rpm=6, burst=3), "burst", 3),  # a 30 s burst window: no edge in a test
    ],
)
async def test_hour_day_and_burst_windows_are_shared_across_replicas_on_redis(
    limit: LimitSet, dimension: str, allowed: int
) -> None:
    url = REDIS_URL if REDIS_URL.startswith("async+") else f"async+{REDIS_URL}"
    prefix = f"test-{uuid.uuid4().hex}"
    replicas = [
        CallerLimits(RedisStorage(url), SystemClock(), CallerDefaults(tenant=limit), prefix=prefix)
        for _ in range(2)
    ]
    caller = Principal(subject="a", tenant="shared")
    outcomes = []
    for i in range(allowed + 3):
        try:
            await replicas[i % 2].admit(caller, "", 1)
            outcomes.append("ok")
        except RateLimitedError as refused:
            outcomes.append(refused.subject)
    assert outcomes == ["ok"] * allowed + [f"tenants/shared:{dimension}"] * 3
