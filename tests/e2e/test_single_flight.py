"""Single-flight through a real gateway: identical in-flight calls that the
cache policy lets share an answer make one upstream call.

50 concurrent identical calls -> one upstream call, one billed leader and 49
zero-cost coalesced rows; the leader's caller cancelling does not cut the
followers (unary and streamed); every caller cancelling closes the upstream;
calls without a sharing policy never merge.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from llmgateway.v1 import admin_service_pb2, gateway_service_pb2, routing_pb2
from llmgw.pipeline.context import Operation
from llmgw.pipeline.steps.single_flight import SingleFlightStep
from test_response_cache import COST, Stubs, cached, nanos, serving, settings, text_of
from upstream_fakes import FakeOpenAI, Reply

KEY = "sk-fake"


@pytest.fixture
async def fake():
    async with FakeOpenAI(api_key=KEY) as upstream:
        yield upstream


def _flight_step(s: Stubs, operation: Operation) -> SingleFlightStep:
    chain = s.running.built.gateway.chains[operation]
    return next(step for step in chain.steps if isinstance(step, SingleFlightStep))


async def _until(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def _callers(step: SingleFlightStep) -> int:
    return sum(f.callers for f in step._flights.values())


async def test_fifty_concurrent_identical_calls_make_one_upstream_call(fake) -> None:
    fake.default = Reply(first_byte_delay=0.3)
    async with serving(settings(fake.base_url)) as s:
        answers = await asyncio.gather(*(s.data.Chat(cached("same")) for _ in range(50)))
        assert len(fake.requests) == 1
        assert {text_of(a) for a in answers} == {"Hello, world!"}
        leaders = [a for a in answers if not a.route.coalesced]
        assert len(leaders) == 1 and nanos(leaders[0].cost.total) == COST
        followers = [a for a in answers if a.route.coalesced]
        assert len(followers) == 49 and all(nanos(a.cost.total) == 0 for a in followers)
        assert len({a.response_id for a in answers}) == 50
        entry = (await s.costs(followers[0].request_id, 1)).entries[0]
        assert entry.status == admin_service_pb2.ATTEMPT_STATUS_COALESCED
        assert nanos(entry.cost) == 0 and entry.usage.output_token_count == 4
        deadline = time.monotonic() + 5
        while (report := await s.costs()).total_usage.input_token_count < 50 * 11:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        assert nanos(report.total_cost) == COST  # only the leader is billed
        assert nanos(report.cache_savings) == 49 * COST


async def test_calls_without_a_sharing_policy_never_merge(fake) -> None:
    fake.default = Reply(first_byte_delay=0.2)
    async with serving(settings(fake.base_url)) as s:
        plain = [s.data.Chat(cached("same", routing_pb2.CACHE_MODE_BYPASS)) for _ in range(3)]
        refresh = [s.data.Chat(cached("same", routing_pb2.CACHE_MODE_REFRESH)) for _ in range(3)]
        unset = [s.data.Chat(cached("same", routing_pb2.CACHE_MODE_UNSPECIFIED)) for _ in range(3)]
        answers = await asyncio.gather(*plain, *refresh, *unset)
        assert len(fake.requests) == 9
        assert not any(a.route.coalesced for a in answers)


async def test_the_leader_cancelling_does_not_cut_unary_followers(fake) -> None:
    fake.default = Reply(first_byte_delay=0.5)
    async with serving(settings(fake.base_url)) as s:
        step = _flight_step(s, Operation.CHAT)
        leader = s.data.Chat(cached("slow"))
        await _until(lambda: len(fake.requests) == 1)
        followers = [asyncio.ensure_future(s.data.Chat(cached("slow"))) for _ in range(3)]
        await _until(lambda: _callers(step) == 4)
        leader.cancel()
        answers = await asyncio.gather(*followers)
        assert all(text_of(a) == "Hello, world!" and a.route.coalesced for a in answers)
        assert len(fake.requests) == 1 and fake.disconnects == 0


async def test_the_leader_cancelling_does_not_cut_stream_followers(fake) -> None:
    fake.default = Reply(chunks=[f"t{i} " for i in range(20)], chunk_delay=0.03)
    async with serving(settings(fake.base_url)) as s:
        step = _flight_step(s, Operation.STREAM_CHAT)
        request = gateway_service_pb2.StreamChatRequest(chat=cached("stream slow"))
        leader = s.data.StreamChat(request)
        seen = 0
        async for event in leader:
            seen += event.HasField("delta")
            if seen == 3:
                break

        async def follow() -> list[Any]:
            return [e async for e in s.data.StreamChat(request)]

        followers = [asyncio.ensure_future(follow()) for _ in range(2)]
        await _until(lambda: _callers(step) == 3)
        leader.cancel()
        for events in await asyncio.gather(*followers):
            text = "".join(e.delta.text for e in events if e.HasField("delta"))
            assert text == "".join(f"t{i} " for i in range(20))  # produced, then live
            assert events[0].start.route.coalesced and events[-1].HasField("final")
            assert nanos(events[-1].final.cost.total) == 0
            entry = (await s.costs(events[0].start.request_id, 1)).entries[0]
            assert entry.status == admin_service_pb2.ATTEMPT_STATUS_COALESCED
            assert entry.usage.output_token_count == 20
        assert len(fake.requests) == 1 and fake.disconnects == 0
        stored = [e async for e in s.data.StreamChat(request)]  # the shared answer was kept
        assert stored[0].start.route.cache_hit and len(fake.requests) == 1


async def test_every_caller_cancelling_closes_the_upstream(fake) -> None:
    fake.default = Reply(chunks=["tok "] * 400, chunk_delay=0.02)
    async with serving(settings(fake.base_url)) as s:
        step = _flight_step(s, Operation.STREAM_CHAT)
        request = gateway_service_pb2.StreamChatRequest(chat=cached("abandoned"))
        calls = [s.data.StreamChat(request) for _ in range(3)]
        for call in calls:
            async for event in call:
                if event.HasField("delta"):
                    break
        await _until(lambda: _callers(step) == 3)
        calls[0].cancel()
        calls[1].cancel()
        await _until(lambda: _callers(step) == 1)
        assert fake.disconnects == 0 and step.in_flight == 1  # one caller still reads
        calls[2].cancel()
        await asyncio.wait_for(fake.disconnected.wait(), 5)
        assert len(fake.requests) == 1
        await _until(lambda: step.in_flight == 0)
        report = await s.costs()  # the flight bills what it produced, once
        deadline = time.monotonic() + 5
        while report.total_usage.output_token_count == 0:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
            report = await s.costs()
        assert 0 < report.total_usage.output_token_count < 400
