"""The response cache's parts with an injected clock: memory LRU (bytes,
TTL), the two tiers, the step's ``max_age``/TTL decisions, the codec's
allow-list, and the idempotency stores' claim protocol on SQLite,
PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from databases import state_database
from llmgw.domain.cache import CacheMode, CachePolicy
from llmgw.domain.deadline import Deadline
from llmgw.domain.generation import FinishReason, Usage
from llmgw.domain.messages import Message, Role, TextPart
from llmgw.domain.money import Cost
from llmgw.domain.principal import ANONYMOUS
from llmgw.domain.requests import (
    Attribution,
    Candidate,
    ChatRequest,
    ChatResponse,
    RoutingHints,
)
from llmgw.pipeline.cache.codec import Stored, decode, encode
from llmgw.pipeline.cache.memory import MemoryCache
from llmgw.pipeline.cache.policy import CacheSettings, RouteCache, purge_scope
from llmgw.pipeline.cache.semantic import SemanticIndex, unit
from llmgw.pipeline.cache.semantic_cache import SemanticCache
from llmgw.pipeline.cache.store import ResponseCache
from llmgw.pipeline.context import CallContext, Operation
from llmgw.pipeline.results import RouteInfo
from llmgw.pipeline.steps.cache import CacheStep
from llmgw.pipeline.steps.idempotency import IdempotencyStep
from llmgw.storage.idempotency import ClaimState, SqlIdempotencyStore
from llmgw.storage.idempotency_redis import RedisIdempotencyStore
from llmgw.storage.semantic_entries import SemanticEntryStore


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_memory_cache_keeps_within_its_byte_bound_evicting_least_recently_used() -> None:
    cache = MemoryCache(max_bytes=30, now=Clock())
    cache.put("a", "s", b"x" * 10, 10, 60)
    cache.put("b", "s", b"x" * 10, 10, 60)
    cache.put("c", "s", b"x" * 10, 10, 60)
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("d", "s", b"x" * 10, 10, 60)
    assert cache.get("b") is None and cache.get("a") is not None
    assert cache.bytes == 30 and cache.evictions == 1
    cache.put("huge", "s", b"x" * 31, 31, 60)  # larger than the bound: not stored
    assert cache.get("huge") is None and cache.bytes == 30


def test_memory_cache_entries_expire_with_their_ttl() -> None:
    clock = Clock()
    cache = MemoryCache(max_bytes=100, now=clock)
    cache.put("a", "s", b"data", 4, 10)
    clock.now += 9.9
    assert cache.get("a") == b"data"
    clock.now += 0.2
    assert cache.get("a") is None and cache.bytes == 0


def test_purge_removes_one_scope_or_all() -> None:
    cache = MemoryCache(max_bytes=100, now=Clock())
    cache.put("a", "tenant:x", b"1", 1, 60)
    cache.put("b", "tenant:y", b"2", 1, 60)
    cache.put("c", "tenant:x", b"3", 1, 60)
    assert cache.purge("tenant:x") == 2 and len(cache) == 1
    assert cache.purge("") == 1 and len(cache) == 0


def test_purge_scope_names() -> None:
    assert purge_scope("tenants/acme") == "tenant:acme"
    assert purge_scope("tenants/acme/projects/p") == "tenant:acme/project:p"
    assert purge_scope("tenants/acme/apiKeys/k") == "tenant:acme/key:k"
    assert purge_scope("global") == "global" and purge_scope("*") == ""
    for bad in ("", "tenants", "tenants/", "tenants/a/users/u", "projects/p"):
        with pytest.raises(ValueError):
            purge_scope(bad)


def _response(text: str) -> ChatResponse:
    message = Message(Role.ASSISTANT, (TextPart(text),))
    return ChatResponse("up-1", "m", (Candidate(0, message, FinishReason.STOP),), Usage(3, 2))


def test_the_codec_round_trips_and_refuses_unknown_types() -> None:
    stored = Stored("chat", "r1", 5.0, RouteInfo("a", "m", "b"), Cost(7, 9), _response("hi"))
    assert decode(encode(stored)) == stored
    with pytest.raises(ValueError):
        decode(b'{"~": "Popen", "args": "rm"}')
    with pytest.raises(ValueError):
        decode(b'{"~": "Usage", "input_tokens": 1}')  # not a stored answer


def _ctx(policy: CachePolicy | None, text: str = "q") -> CallContext:
    request = ChatRequest(
        "m", (Message(Role.USER, (TextPart(text),)),), routing=RoutingHints(cache=policy)
    )
    return CallContext(
        Operation.CHAT,
        request,
        ANONYMOUS,
        Attribution(),
        Deadline.after(5),
        "req",
        lambda: 3,
        response_id="resp",
    )


async def _answered(step: CacheStep, ctx: CallContext) -> bool:
    await step.before(ctx)
    if not ctx.answered:  # the attempt step's part: an answer
        ctx.result, ctx.route, ctx.cost = _response("fresh"), RouteInfo("m", "m", "b"), Cost(5, 5)
    await step.after(ctx)
    return ctx.answered


async def test_the_step_honours_max_age_and_the_ttl_on_an_injected_clock() -> None:
    clock = Clock()
    route = RouteCache(CacheMode.BYPASS, ttl_seconds=100)
    step = CacheStep(
        ResponseCache(MemoryCache(10_000, clock), wall=clock),
        CacheSettings(default=route),
        wall=clock,
    )
    rw = CachePolicy(CacheMode.READ_WRITE)
    assert not await _answered(step, _ctx(rw))  # miss: stored
    clock.now += 50
    assert await _answered(step, _ctx(rw))  # hit
    assert not await _answered(step, _ctx(CachePolicy(CacheMode.READ_WRITE, 49)))  # too old
    clock.now += 49  # the entry stored just now (at +50) is 49 s old
    assert await _answered(step, _ctx(CachePolicy(CacheMode.READ_WRITE, 49)))
    clock.now += 52  # past its 100 s TTL
    assert not await _answered(step, _ctx(rw))
    assert not await _answered(step, _ctx(None))  # no policy, BYPASS default: untouched
    assert not await _answered(step, _ctx(CachePolicy(CacheMode.BYPASS)))


@pytest.fixture(params=["sqlite", "postgres", "redis"])
async def idempotency_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[object, Clock | None]]:
    if request.param == "redis":
        url = os.environ.get("LLMGW_TEST_REDIS_URL")
        if not url:
            pytest.skip("LLMGW_TEST_REDIS_URL is not set")
        from redis.asyncio import Redis

        client = Redis.from_url(url)
        try:
            yield RedisIdempotencyStore(client, f"llmgw-test-{uuid.uuid4().hex[:8]}:"), None
        finally:
            await client.aclose()
        return
    async with state_database(request.param, tmp_path) as db:
        clock = Clock()
        yield await SqlIdempotencyStore.open(db, clock), clock


async def test_the_claim_protocol(idempotency_store: tuple[object, Clock | None]) -> None:
    store, clock = idempotency_store
    claim = await store.claim("t", "id-1", "fp", "tok-a", 30)  # type: ignore[attr-defined]
    assert claim.state is ClaimState.CLAIMED
    second = await store.claim("t", "id-1", "fp", "tok-b", 30)  # type: ignore[attr-defined]
    assert second.state is ClaimState.RUNNING and second.fingerprint == "fp"
    other_tenant = await store.claim("u", "id-1", "fp", "tok-c", 30)  # type: ignore[attr-defined]
    assert other_tenant.state is ClaimState.CLAIMED
    await store.complete("t", "id-1", "tok-b", b"not mine", 60)  # type: ignore[attr-defined]
    assert (await store.peek("t", "id-1")).state is ClaimState.RUNNING  # type: ignore[attr-defined]
    await store.complete("t", "id-1", "tok-a", b"answer", 60)  # type: ignore[attr-defined]
    done = await store.claim("t", "id-1", "fp", "tok-d", 30)  # type: ignore[attr-defined]
    assert done.state is ClaimState.DONE and done.answer == b"answer"
    await store.release("u", "id-1", "tok-c")  # type: ignore[attr-defined]
    assert await store.peek("u", "id-1") is None  # type: ignore[attr-defined]
    if clock is not None:  # SQL: a dead running lease is taken over
        await store.claim("t", "id-2", "fp", "tok-a", 30)  # type: ignore[attr-defined]
        clock.now += 31
        again = await store.claim("t", "id-2", "fp", "tok-b", 30)  # type: ignore[attr-defined]
        assert again.state is ClaimState.CLAIMED


def test_semantic_index_finds_the_nearest_above_the_threshold_and_stays_bounded() -> None:
    clock = Clock()
    index = SemanticIndex(max_entries=3, now=clock)
    a, b = unit([1.0, 0.0, 0.0]), unit([0.0, 1.0, 0.0])
    index.add("s", "p", a, b"A", clock.now + 10)
    index.add("s", "p", b, b"B", clock.now + 10)
    near_a = unit([0.95, 0.05, 0.0])
    match = index.search("s", "p", near_a, 0.9)
    assert match is not None and match.data == b"A" and 0.99 < match.similarity <= 1.0
    assert index.search("s", "p", unit([0.0, 0.0, 1.0]), 0.5) is None  # unrelated
    assert index.search("s", "other", near_a, 0.5) is None  # another partition
    assert index.search("t", "p", near_a, 0.5) is None  # another scope
    index.add("s", "p", unit([0.0, 0.0, 1.0]), b"C", clock.now + 10)
    index.add("s", "p", unit([0.0, 0.7, 0.7]), b"D", clock.now + 10)  # evicts A (oldest)
    assert index.live == 3
    assert index.search("s", "p", near_a, 0.9) is None
    clock.now += 11  # every entry expired
    assert index.search("s", "p", b, 0.5) is None
    assert index.purge("s") == 3 and index.live == 0


async def test_replicas_follow_the_shared_semantic_table_within_a_second(tmp_path: Path) -> None:
    async with state_database("postgres", tmp_path) as db:
        store = await SemanticEntryStore.open(db)
        one = SemanticCache(SemanticIndex(100), store, sync_seconds=0.05)
        two = SemanticCache(SemanticIndex(100), store, sync_seconds=0.05)
        await one.start()
        await two.start()
        try:
            vector = unit([0.6, 0.8])
            await one.store("s", "p", vector, b"answer", time.time() + 60)
            stored = time.monotonic()
            while two.index.live == 0:  # the background poll, no lookup involved
                assert time.monotonic() - stored < 1.0, "not in step within a second"
                await asyncio.sleep(0.01)
            assert two.index.search("s", "p", vector, 0.99) is not None
            assert one.index.live == 1  # its own entry is not added twice
            await one.sync()
            assert one.index.live == 1
        finally:
            await one.close()
            await two.close()


class _DownStore:
    """An idempotency store whose backend is unreachable."""

    async def claim(self, *args: object) -> object:
        raise ConnectionRefusedError("store down")

    async def complete(self, *args: object) -> None:
        raise ConnectionRefusedError("store down")

    async def release(self, *args: object) -> None:
        raise ConnectionRefusedError("store down")


async def test_a_call_runs_undeduplicated_while_the_idempotency_store_is_down() -> None:
    step = IdempotencyStep(_DownStore())  # type: ignore[arg-type]
    ctx = _ctx(None)
    ctx.request = dataclasses.replace(ctx.request, request_id="r", idempotent=True)
    await step.before(ctx)
    assert not ctx.answered and ctx.claimed is None  # runs as if it had no id
    await step.after(ctx)  # and finishing does not fail either
