"""The exact response cache through a real gateway.

Hit and miss, off unless asked or configured, per-alias defaults, REFRESH,
``max_age``, tenant isolation (and the operator's global scope), streams
answered as streams (and unary and streamed calls sharing entries), cut
streams never stored, the byte bound, the shared Redis tier across two
gateways, the audited purge, and cache hits as zero-cost ledger rows whose
savings GetCosts reports.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest
from conftest import gateway_at
from google.protobuf import duration_pb2
from helpers import chat
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    routing_pb2,
)
from manual_clock import ManualClock
from upstream_fakes import FakeOpenAI, Reply

KEY = "sk-fake"
NANOS = 1_000_000_000
COST = 54_000  # 11 input x $2/M + 4 output x $8/M
ADMIN_KEY = "bootstrap-admin-secret-cache-0123456789abcdef"
PRICE = {"input_per_million_tokens": "2", "output_per_million_tokens": "8"}


def settings(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": url,
                "api_keys": [KEY],
                "models": [
                    {"id": "priced-model", "capabilities": ["streaming"]},
                    {"id": "other-model", "capabilities": ["streaming"]},
                ],
                "retry": {"max_retries": 0},
            }
        ],
        "prices": {"fake/priced-model": PRICE, "fake/other-model": PRICE},
        **extra,
    }


def cached(text: str = "hello", mode: int = routing_pb2.CACHE_MODE_READ_WRITE, **kw: Any):
    request = chat(kw.pop("model", "priced-model"), text, **kw)
    request.routing.cache_policy.mode = mode
    return request


def nanos(money: object) -> int:
    return int(money.units) * NANOS + int(money.nanos)  # type: ignore[attr-defined]


def text_of(response: gateway_service_pb2.ChatResponse) -> str:
    return response.candidates[0].message.parts[0].text


class Stubs:
    def __init__(self, running: Any, data: grpc.aio.Channel, admin: grpc.aio.Channel) -> None:
        self.running = running
        self.data = gateway_service_pb2_grpc.GatewayServiceStub(data)
        self.admin = admin_service_pb2_grpc.AdminServiceStub(admin)

    async def stream(self, request: Any, **kw: Any) -> list[gateway_service_pb2.StreamChatResponse]:
        call = self.data.StreamChat(gateway_service_pb2.StreamChatRequest(chat=request), **kw)
        return [event async for event in call]

    async def costs(
        self, request_id: str = "", rows: int = 0
    ) -> admin_service_pb2.GetCostsResponse:
        lookup = admin_service_pb2.GetCostsRequest()
        if request_id:
            lookup.filter = f'request_id = "{request_id}"'
        lookup.start_time.FromSeconds(int(time.time()) - 3600)
        deadline = time.monotonic() + 5
        while True:
            report = await self.admin.GetCosts(lookup)
            if len(report.entries) >= rows or time.monotonic() > deadline:
                return report
            await asyncio.sleep(0.02)


@asynccontextmanager
async def serving(config: dict[str, Any], clock: Any = None) -> AsyncIterator[Stubs]:
    async with (
        gateway_at(config, clock=clock) as running,
        grpc.aio.insecure_channel(running.data_address) as data,
        grpc.aio.insecure_channel(running.admin_address) as admin,
    ):
        yield Stubs(running, data, admin)


@pytest.fixture
async def fake():
    async with FakeOpenAI(api_key=KEY) as upstream:
        yield upstream


async def test_a_hit_answers_without_an_upstream_call_at_zero_cost(fake) -> None:
    async with serving(settings(fake.base_url)) as s:
        first = await s.data.Chat(cached())
        hit = await s.data.Chat(cached())
        assert len(fake.requests) == 1
        assert not first.route.cache_hit and hit.route.cache_hit
        assert text_of(hit) == text_of(first) == "Hello, world!"
        assert hit.usage == first.usage
        assert nanos(hit.cost.total) == 0 and nanos(first.cost.total) == COST
        assert hit.response_id != first.response_id
        assert (hit.route.model, hit.route.backend) == (first.route.model, first.route.backend)
        miss = await s.data.Chat(cached("something else"))
        assert not miss.route.cache_hit and len(fake.requests) == 2


async def test_off_unless_asked_or_configured_and_per_alias_defaults(fake) -> None:
    config = settings(fake.base_url, cache={"aliases": {"other-model": {"mode": "read_write"}}})
    async with serving(config) as s:
        for _ in range(2):
            await s.data.Chat(chat("priced-model", "plain"))  # no policy, no default: off
        assert len(fake.requests) == 2
        for _ in range(2):
            await s.data.Chat(chat("other-model", "plain"))  # the alias caches by default
        assert len(fake.requests) == 3
        bypass = cached("plain", routing_pb2.CACHE_MODE_BYPASS, model="other-model")
        answer = await s.data.Chat(bypass)
        assert not answer.route.cache_hit and len(fake.requests) == 4


async def test_refresh_skips_the_read_and_overwrites(fake) -> None:
    async with serving(settings(fake.base_url)) as s:
        await s.data.Chat(cached())
        fake.enqueue(Reply(chunks=["fresh"]))
        refreshed = await s.data.Chat(cached(mode=routing_pb2.CACHE_MODE_REFRESH))
        assert not refreshed.route.cache_hit and text_of(refreshed) == "fresh"
        hit = await s.data.Chat(cached())
        assert hit.route.cache_hit and text_of(hit) == "fresh"
        assert len(fake.requests) == 2


async def test_max_age_refuses_an_older_entry(fake) -> None:
    async with serving(settings(fake.base_url)) as s:
        await s.data.Chat(cached())
        strict = cached()
        strict.routing.cache_policy.max_age.CopyFrom(duration_pb2.Duration(nanos=1))
        fresh = await s.data.Chat(strict)
        assert not fresh.route.cache_hit and len(fake.requests) == 2
        lenient = cached()
        lenient.routing.cache_policy.max_age.CopyFrom(duration_pb2.Duration(seconds=3600))
        assert (await s.data.Chat(lenient)).route.cache_hit


async def test_streams_are_answered_as_streams_and_share_entries_with_unary(fake) -> None:
    async with serving(settings(fake.base_url)) as s:
        first = await s.stream(cached("streamed"))
        again = await s.stream(cached("streamed"))
        assert len(fake.requests) == 1
        kinds = [e.WhichOneof("event") for e in again]
        assert kinds[0] == "start" and kinds[-1] == "final" and "delta" in kinds
        assert again[0].start.route.cache_hit and not first[0].start.route.cache_hit
        text = "".join(e.delta.text for e in again if e.HasField("delta"))
        assert text == "".join(e.delta.text for e in first if e.HasField("delta"))
        assert again[-1].final.usage == first[-1].final.usage
        assert nanos(again[-1].final.cost.total) == 0
        unary = await s.data.Chat(cached("streamed"))  # a streamed answer serves Chat
        assert unary.route.cache_hit and text_of(unary) == text
        await s.data.Chat(cached("unary first"))
        streamed = await s.stream(cached("unary first"))  # and a unary one serves streams
        assert streamed[0].start.route.cache_hit and len(fake.requests) == 2


async def test_a_cut_or_failed_answer_is_never_stored(fake) -> None:
    async with serving(settings(fake.base_url)) as s:
        fake.enqueue(Reply(chunks=["tok "] * 10, cut_after_chunks=5))
        with pytest.raises(grpc.aio.AioRpcError):
            await s.stream(cached("cut"))
        fake.enqueue(Reply(status=500, error_type="server_error"))
        with pytest.raises(grpc.aio.AioRpcError):
            await s.data.Chat(cached("cut"))
        answer = await s.data.Chat(cached("cut"))
        assert not answer.route.cache_hit and len(fake.requests) == 3


async def test_the_memory_tier_is_bounded_by_bytes(fake) -> None:
    async with serving(settings(fake.base_url, cache={"memory_max_bytes": 2500})) as s:
        for i in range(4):
            await s.data.Chat(cached(f"question {i}"))
        memory = _cache_step(s).cache.memory
        assert 0 < memory.bytes <= 2500 and memory.evictions >= 1
        assert len(memory) < 4
        calls = len(fake.requests)
        assert (await s.data.Chat(cached("question 3"))).route.cache_hit  # the newest stays
        assert not (await s.data.Chat(cached("question 0"))).route.cache_hit  # oldest evicted
        assert len(fake.requests) == calls + 1


def _cache_step(s: Stubs) -> Any:
    from llmgw.pipeline.steps.cache import CacheStep

    gateway = s.running.built.gateway
    return next(step for step in gateway._front if isinstance(step, CacheStep))


async def _key(admin: Any, tenant: str, project: str = "") -> str:
    key = admin_service_pb2.ApiKey(tenant=tenant, scopes=["chat"], project=project)
    created = await admin.CreateApiKey(
        admin_service_pb2.CreateApiKeyRequest(api_key=key),
        metadata=(("authorization", f"Bearer {ADMIN_KEY}"),),
    )
    return str(created.secret)


@pytest.mark.parametrize("scope", ["tenant", "global"])
async def test_entries_are_never_shared_across_tenants_unless_global(fake, scope: str) -> None:
    config = settings(
        fake.base_url, auth={"bootstrap_admin_key": ADMIN_KEY}, cache={"scope": scope}
    )
    async with serving(config) as s:
        acme, acme2, globex = [await _key(s.admin, t) for t in ("acme", "acme", "globex")]
        hits = []
        for secret in (acme, acme2, globex):
            answer = await s.data.Chat(
                cached("shared question"), metadata=(("authorization", f"Bearer {secret}"),)
            )
            hits.append(answer.route.cache_hit)
    if scope == "tenant":
        assert hits == [False, True, False] and len(fake.requests) == 2
    else:
        assert hits == [False, True, True] and len(fake.requests) == 1


async def test_purge_drops_a_scope_and_is_audited(fake) -> None:
    async with serving(settings(fake.base_url)) as s:
        await s.data.Chat(cached("a"))
        await s.data.Chat(cached("b"))
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await s.admin.PurgeResponseCache(
                admin_service_pb2.PurgeResponseCacheRequest(scope="nonsense")
            )
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        other = await s.admin.PurgeResponseCache(
            admin_service_pb2.PurgeResponseCacheRequest(scope="tenants/someone-else")
        )
        assert other.purged_count == 0
        assert (await s.data.Chat(cached("a"))).route.cache_hit
        purged = await s.admin.PurgeResponseCache(
            admin_service_pb2.PurgeResponseCacheRequest(scope="tenants/default")
        )
        assert purged.purged_count == 2
        assert not (await s.data.Chat(cached("a"))).route.cache_hit
        events = await s.admin.ListAuditEvents(admin_service_pb2.ListAuditEventsRequest())
        purges = [(e.target, e.outcome) for e in events.events if e.action == "PurgeResponseCache"]
        assert ("tenants/default", admin_service_pb2.AUDIT_OUTCOME_SUCCESS) in purges
        assert ("nonsense", admin_service_pb2.AUDIT_OUTCOME_FAILURE) in purges


async def test_hits_are_zero_cost_ledger_rows_and_get_costs_reports_the_savings(fake) -> None:
    async with serving(settings(fake.base_url)) as s:
        await s.data.Chat(cached("priced", request_id="miss-1"))
        await s.data.Chat(cached("priced", request_id="hit-1"))
        await s.stream(cached("priced", request_id="hit-2"))
        entry = (await s.costs("hit-1", 1)).entries[0]
        assert entry.status == admin_service_pb2.ATTEMPT_STATUS_CACHE_HIT
        assert nanos(entry.cost) == 0
        assert (entry.usage.input_token_count, entry.usage.output_token_count) == (11, 4)
        await s.costs("hit-2", 1)
        report = await s.costs()
        assert nanos(report.total_cost) == COST  # only the miss cost anything
        assert nanos(report.cache_savings) == 2 * COST
        assert report.cache_hit_count == 2


async def test_the_shared_tier_serves_another_gateway(fake) -> None:
    redis_url = os.environ.get("LLMGW_TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("LLMGW_TEST_REDIS_URL is not set (no Redis for the shared tier)")
    prefix = f"llmgw-test-{uuid.uuid4().hex[:8]}:"
    config = settings(
        fake.base_url, redis_url=redis_url, redis_prefix=prefix, cache={"shared": True}
    )
    async with serving(config) as one, serving(config) as two:
        await one.data.Chat(cached("across"))
        assert (await two.data.Chat(cached("across"))).route.cache_hit
        assert len(fake.requests) == 1
        purged = await two.admin.PurgeResponseCache(
            admin_service_pb2.PurgeResponseCacheRequest(scope="*")
        )
        assert purged.purged_count >= 1
        one_step = _cache_step(one)
        one_step.cache.memory.purge("")  # the other replica's memory tier is its own
        assert not (await one.data.Chat(cached("across"))).route.cache_hit


async def test_a_hit_reserves_no_budget(fake) -> None:
    # A hard budget refuses once spent; the first call (54_000 nanos) spends it.
    budget = {"budgets": [{"name": "all", "limit": "0.00005"}]}
    async with serving(settings(fake.base_url, budgets=budget)) as s:
        first = cached("budgeted")
        first.generation_config.max_output_tokens = 4
        await s.data.Chat(first)
        other = cached("another question")
        other.generation_config.max_output_tokens = 4
        with pytest.raises(grpc.aio.AioRpcError) as spent:
            await s.data.Chat(other)
        assert spent.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        hit = await s.data.Chat(first)  # the budget is spent; the cache still answers
        assert hit.route.cache_hit and len(fake.requests) == 1


async def test_entries_expire_with_their_ttl_and_max_age_on_the_gateways_clock(fake) -> None:
    clock = ManualClock()
    config = settings(fake.base_url, cache={"default": {"ttl_seconds": 60}})
    async with serving(config, clock) as s:
        await s.data.Chat(cached("ttl"))
        clock.advance(59)
        assert (await s.data.Chat(cached("ttl"))).route.cache_hit
        strict = cached("ttl")
        strict.routing.cache_policy.max_age.CopyFrom(duration_pb2.Duration(seconds=30))
        assert not (await s.data.Chat(strict)).route.cache_hit  # 59 s old: too old; refreshed
        clock.advance(29)
        assert (await s.data.Chat(strict)).route.cache_hit  # the refreshed entry is 29 s old
        clock.advance(61)  # past the refreshed entry's 60 s TTL
        assert not (await s.data.Chat(cached("ttl"))).route.cache_hit
        assert len(fake.requests) == 3
