"""Idempotent request ids (AIP-155) through a real gateway (embedded SQLite store).

A repeat gets the first answer (same response id, text, usage, cost) and is
not billed; concurrent duplicates make one upstream call; another body under
the same id is refused; another tenant's id is unrelated; a failed or cut
first call does not poison the id; streams replay as streams; Embed too.
"""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import chat, detail
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
)
from manual_clock import ManualClock
from upstream_fakes import FakeOpenAI, Reply

KEY = "sk-fake"
NANOS = 1_000_000_000
PRICE = {"input_per_million_tokens": "2", "output_per_million_tokens": "8"}
ADMIN_KEY = "bootstrap-admin-secret-idempotency-0123456789"


def settings(url: str, **extra: object) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": url,
                "api_keys": [KEY],
                "models": [
                    {"id": "priced-model", "capabilities": ["streaming"], "max_output_tokens": 50},
                    {"id": "embed-model", "type": "embedding"},
                ],
                "retry": {"max_retries": 0},
            }
        ],
        "prices": {
            "fake/priced-model": PRICE,
            "fake/embed-model": {"input_per_million_tokens": "1", "output_per_million_tokens": "0"},
        },
        **extra,
    }


def nanos(money: object) -> int:
    return int(money.units) * NANOS + int(money.nanos)  # type: ignore[attr-defined]


def chat_calls(fake: FakeOpenAI) -> int:
    return sum(1 for r in fake.requests if r.path.endswith("/chat/completions"))


async def costs_of(admin: admin_service_pb2_grpc.AdminServiceStub, request_id: str, rows: int):
    """The request's GetCosts report once ``rows`` rows are in (bounded poll)."""
    lookup = admin_service_pb2.GetCostsRequest(filter=f'request_id = "{request_id}"')
    lookup.start_time.FromSeconds(int(time.time()) - 3600)
    deadline = time.monotonic() + 5
    while True:
        report = await admin.GetCosts(lookup)
        if len(report.entries) >= rows or time.monotonic() > deadline:
            return report
        await asyncio.sleep(0.02)


@pytest.fixture
async def fake():
    async with FakeOpenAI(api_key=KEY) as upstream:
        yield upstream


@pytest.fixture
async def stubs(fake):
    async with gateway_at(settings(fake.base_url)) as running:
        async with (
            grpc.aio.insecure_channel(running.data_address) as data,
            grpc.aio.insecure_channel(running.admin_address) as admin,
        ):
            yield (
                gateway_service_pb2_grpc.GatewayServiceStub(data),
                admin_service_pb2_grpc.AdminServiceStub(admin),
            )


async def stream(stub, request) -> list[gateway_service_pb2.StreamChatResponse]:
    call = stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=request))
    return [event async for event in call]


async def test_a_retry_returns_the_identical_answer_and_is_billed_once(fake, stubs) -> None:
    stub, admin = stubs
    first = await stub.Chat(chat("priced-model", "what is 2+2", request_id="retry-1"))
    again = await stub.Chat(chat("priced-model", "what is 2+2", request_id="retry-1"))
    assert again.response_id == first.response_id
    assert again.candidates[0].message.parts[0].text == "Hello, world!"
    assert again.candidates == first.candidates
    assert again.usage == first.usage and again.cost == first.cost
    assert again.create_time == first.create_time
    assert chat_calls(fake) == 1
    report = await costs_of(admin, "retry-1", 1)
    assert [e.status for e in report.entries] == [admin_service_pb2.ATTEMPT_STATUS_OK]
    assert nanos(report.total_cost) == nanos(first.cost.total) == 54_000
    # A request without an id is never deduplicated.
    await stub.Chat(chat("priced-model", "what is 2+2"))
    await stub.Chat(chat("priced-model", "what is 2+2"))
    assert chat_calls(fake) == 3


async def test_twenty_concurrent_duplicates_make_one_upstream_call(fake, stubs) -> None:
    stub, admin = stubs
    fake.default = Reply(first_byte_delay=0.3)
    answers = await asyncio.gather(
        *(stub.Chat(chat("priced-model", "same", request_id="dup-20")) for _ in range(20))
    )
    assert chat_calls(fake) == 1
    assert len({a.response_id for a in answers}) == 1
    assert {a.candidates[0].message.parts[0].text for a in answers} == {"Hello, world!"}
    report = await costs_of(admin, "dup-20", 1)
    assert len(report.entries) == 1 and nanos(report.total_cost) == 54_000


async def test_the_same_id_with_another_body_is_refused(fake, stubs) -> None:
    stub, _ = stubs
    await stub.Chat(chat("priced-model", "first body", request_id="reused"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.Chat(chat("priced-model", "second body", request_id="reused"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad = detail(refused.value, error_details_pb2.BadRequest)
    (violation,) = bad.field_violations  # type: ignore[attr-defined]
    assert violation.field == "request_id" and violation.reason == "REQUEST_ID_REUSED"
    with pytest.raises(grpc.aio.AioRpcError) as other_operation:  # Chat, then StreamChat
        await stream(stub, chat("priced-model", "first body", request_id="reused"))
    assert other_operation.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert chat_calls(fake) == 1


async def test_another_tenants_identical_id_is_unrelated(fake) -> None:
    as_admin = (("authorization", f"Bearer {ADMIN_KEY}"),)
    config = settings(fake.base_url, auth={"bootstrap_admin_key": ADMIN_KEY})
    async with (
        gateway_at(config) as running,
        grpc.aio.insecure_channel(running.admin_address) as admin_channel,
        grpc.aio.insecure_channel(running.data_address) as data_channel,
    ):
        admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
        data = gateway_service_pb2_grpc.GatewayServiceStub(data_channel)
        answers = []
        for tenant in ("acme", "globex", "acme"):
            key = admin_service_pb2.ApiKey(tenant=tenant, scopes=["chat"])
            created = await admin.CreateApiKey(
                admin_service_pb2.CreateApiKeyRequest(api_key=key), metadata=as_admin
            )
            answers.append(
                await data.Chat(
                    chat("priced-model", "same", request_id="shared-id"),
                    metadata=(("authorization", f"Bearer {created.secret}"),),
                )
            )
    acme, globex, acme_again = answers
    assert chat_calls(fake) == 2  # acme's second key is the same tenant: replayed
    assert acme.response_id != globex.response_id
    assert acme_again.response_id == acme.response_id


async def test_a_failed_first_call_does_not_poison_the_id(fake, stubs) -> None:
    stub, admin = stubs
    fake.enqueue(Reply(status=500, error_type="server_error"))
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.Chat(chat("priced-model", "flaky", request_id="fails-once"))
    retry = await stub.Chat(chat("priced-model", "flaky", request_id="fails-once"))
    again = await stub.Chat(chat("priced-model", "flaky", request_id="fails-once"))
    assert again.response_id == retry.response_id
    assert chat_calls(fake) == 2
    report = await costs_of(admin, "fails-once", 2)
    statuses = [e.status for e in report.entries]
    assert statuses == [admin_service_pb2.ATTEMPT_STATUS_ERROR, admin_service_pb2.ATTEMPT_STATUS_OK]
    assert nanos(report.total_cost) == 54_000


async def test_a_cut_stream_stays_billed_and_its_retry_runs(fake, stubs) -> None:
    stub, admin = stubs
    fake.enqueue(Reply(chunks=["tok "] * 10, cut_after_chunks=5))
    with pytest.raises(grpc.aio.AioRpcError):
        await stream(stub, chat("priced-model", "long", request_id="cut-once"))
    events = await stream(stub, chat("priced-model", "long", request_id="cut-once"))
    assert events[-1].HasField("final")
    assert chat_calls(fake) == 2
    report = await costs_of(admin, "cut-once", 2)
    statuses = [e.status for e in report.entries]
    assert statuses == [
        admin_service_pb2.ATTEMPT_STATUS_TRUNCATED,
        admin_service_pb2.ATTEMPT_STATUS_OK,
    ]
    cut = report.entries[0]
    assert cut.usage.output_token_count >= 5 and nanos(cut.cost) > 0


async def test_a_stream_replays_as_a_stream(fake, stubs) -> None:
    stub, admin = stubs
    first = await stream(stub, chat("priced-model", "tell me", request_id="stream-1"))
    again = await stream(stub, chat("priced-model", "tell me", request_id="stream-1"))
    assert chat_calls(fake) == 1
    kinds = [e.WhichOneof("event") for e in again]
    assert kinds[0] == "start" and kinds[-1] == "final" and "delta" in kinds
    assert again[0].start.response_id == first[0].start.response_id
    assert again[0].start.route == first[0].start.route
    text = "".join(e.delta.text for e in again if e.HasField("delta"))
    assert text == "".join(e.delta.text for e in first if e.HasField("delta")) == "Hello, world!"
    assert again[-1].final == first[-1].final
    report = await costs_of(admin, "stream-1", 1)
    assert len(report.entries) == 1


async def test_embed_replays_once_billed(fake, stubs) -> None:
    stub, admin = stubs
    request = gateway_service_pb2.EmbedRequest(model="embed-model", request_id="embed-1")
    request.inputs.add().text = "vector me"
    first = await stub.Embed(request)
    again = await stub.Embed(request)
    assert again.response_id == first.response_id
    assert again.embeddings == first.embeddings and again.cost == first.cost
    assert sum(1 for r in fake.requests if r.path.endswith("/embeddings")) == 1
    report = await costs_of(admin, "embed-1", 1)
    assert len(report.entries) == 1


async def test_the_dedupe_window_ends_on_the_gateways_clock(fake) -> None:
    clock = ManualClock()
    config = settings(fake.base_url, idempotency={"window_seconds": 60})
    async with (
        gateway_at(config, clock=clock) as running,
        grpc.aio.insecure_channel(running.data_address) as channel,
    ):
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        first = await stub.Chat(chat("priced-model", "window", request_id="windowed"))
        clock.advance(59)
        again = await stub.Chat(chat("priced-model", "window", request_id="windowed"))
        assert again.response_id == first.response_id and chat_calls(fake) == 1
        clock.advance(2)  # the window is over: the id is new again
        later = await stub.Chat(chat("priced-model", "window", request_id="windowed"))
        assert later.response_id != first.response_id and chat_calls(fake) == 2
