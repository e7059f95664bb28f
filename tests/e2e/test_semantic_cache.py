"""The semantic cache through real gateways, with deterministic embeddings
from the fake upstream (bag of words: texts sharing most words are close).

A near-duplicate prompt hits above the threshold (and says so, with the
similarity); an unrelated one misses; a different system prompt never hits;
the embedding call is a real, billed upstream call in the ledger; two
replicas share entries through the real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import grpc
import pytest
from databases import fresh_postgres_database
from helpers import chat, system
from llmgateway.v1 import admin_service_pb2, gateway_service_pb2_grpc
from processes import Gateway, start_gateway, wait_ready
from test_response_cache import PRICE, nanos, serving, text_of
from upstream_fakes import FakeOpenAI

KEY = "sk-fake"
QUESTION = "What is the capital of France?"
NEAR = "What is the capital city of France?"  # 6 of 7 words shared: cosine ~0.93


def semantic_settings(url: str, threshold: float = 0.9, **extra: Any) -> dict[str, Any]:
    return {
        "demo_enabled": False,
        "probe_interval_seconds": 0,
        "backends": [
            {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": url,
                "api_keys": [KEY],
                "models": [
                    {"id": "priced-model", "capabilities": ["streaming"]},
                    {"id": "embed-model", "type": "embedding"},
                ],
                "retry": {"max_retries": 0},
            }
        ],
        "prices": {
            "fake/priced-model": PRICE,
            "fake/embed-model": {"input_per_million_tokens": "1", "output_per_million_tokens": "0"},
        },
        "cache": {
            "aliases": {
                "priced-model": {
                    "mode": "read_write",
                    "semantic": {
                        "embedding_model": "embed-model",
                        "threshold": threshold,
                        "dimensions": 256,
                    },
                }
            }
        },
        **extra,
    }


@pytest.fixture
async def fake():
    async with FakeOpenAI(api_key=KEY) as upstream:
        upstream.embedding_mode = "words"
        yield upstream


def chats(fake: FakeOpenAI) -> int:
    return sum(1 for r in fake.requests if r.path.endswith("/chat/completions"))


def embeds(fake: FakeOpenAI) -> int:
    return sum(1 for r in fake.requests if r.path.endswith("/embeddings"))


async def test_a_near_duplicate_hits_and_an_unrelated_prompt_misses(fake) -> None:
    async with serving(semantic_settings(fake.base_url)) as s:
        first = await s.data.Chat(chat("priced-model", QUESTION))
        near = await s.data.Chat(chat("priced-model", NEAR, request_id="near-1"))
        assert chats(fake) == 1 and embeds(fake) == 2
        assert not first.route.cache_hit
        assert near.route.cache_hit and near.route.semantic_cache_hit
        assert 0.9 <= near.route.semantic_similarity < 0.99
        assert text_of(near) == text_of(first) and nanos(near.cost.total) == 0
        exact = await s.data.Chat(chat("priced-model", QUESTION))  # exact hit: no embedding
        assert exact.route.cache_hit and not exact.route.semantic_cache_hit
        assert embeds(fake) == 2
        other = await s.data.Chat(chat("priced-model", "Tell me a joke about cats"))
        assert not other.route.cache_hit and chats(fake) == 2
        report = await s.costs("near-1", 2)
        kinds = sorted((e.model, e.status) for e in report.entries)
        assert kinds == [
            ("embed-model", admin_service_pb2.ATTEMPT_STATUS_OK),  # the billed embedding
            ("priced-model", admin_service_pb2.ATTEMPT_STATUS_CACHE_HIT),
        ]
        embedding = next(e for e in report.entries if e.model == "embed-model")
        assert nanos(embedding.cost) > 0
        assert nanos(report.total_cost) == nanos(embedding.cost)


async def test_below_the_threshold_is_a_miss(fake) -> None:
    async with serving(semantic_settings(fake.base_url, threshold=0.97)) as s:
        await s.data.Chat(chat("priced-model", QUESTION))
        near = await s.data.Chat(chat("priced-model", NEAR))
        assert not near.route.cache_hit and chats(fake) == 2


async def test_a_different_system_prompt_never_hits(fake) -> None:
    async with serving(semantic_settings(fake.base_url)) as s:
        pirate = chat("priced-model", QUESTION)
        pirate.messages.insert(0, system("Answer like a pirate."))
        await s.data.Chat(pirate)
        poet = chat("priced-model", QUESTION)
        poet.messages.insert(0, system("Answer like a poet."))
        answer = await s.data.Chat(poet)  # identical user turn, cosine 1.0
        assert not answer.route.cache_hit and chats(fake) == 2
        again = chat("priced-model", NEAR)
        again.messages.insert(0, system("Answer like a pirate."))
        assert (await s.data.Chat(again)).route.semantic_cache_hit


async def test_purge_drops_semantic_entries_too(fake) -> None:
    async with serving(semantic_settings(fake.base_url)) as s:
        await s.data.Chat(chat("priced-model", QUESTION))
        purged = await s.admin.PurgeResponseCache(
            admin_service_pb2.PurgeResponseCacheRequest(scope="tenants/default")
        )
        assert purged.purged_count == 2  # the exact entry and the semantic one
        assert not (await s.data.Chat(chat("priced-model", NEAR))).route.cache_hit


async def test_two_replicas_share_entries_through_postgres(tmp_path: Path, fake) -> None:
    server = os.environ.get("LLMGW_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("LLMGW_TEST_POSTGRES_URL is not set (no PostgreSQL for replicas)")
    async with fresh_postgres_database(server) as url:
        gateways: list[Gateway] = []
        try:
            for i in range(2):
                folder = tmp_path / f"replica{i}"
                config = semantic_settings(
                    fake.base_url,
                    shutdown_grace_seconds=1,
                    ledger={"outbox_path": str(folder / "outbox.sqlite3")},
                )
                gateways.append(start_gateway(folder, config, {"LLMGW_DATABASE_URL": url}))
            await asyncio.gather(*(wait_ready(g) for g in gateways))
            async with (
                grpc.aio.insecure_channel(gateways[0].address) as a,
                grpc.aio.insecure_channel(gateways[1].address) as b,
            ):
                one = gateway_service_pb2_grpc.GatewayServiceStub(a)
                two = gateway_service_pb2_grpc.GatewayServiceStub(b)
                await one.Chat(chat("priced-model", QUESTION), timeout=10)
                answer = await two.Chat(chat("priced-model", NEAR), timeout=10)
                assert answer.route.semantic_cache_hit, [g.logs() for g in gateways]
                assert chats(fake) == 1
        finally:
            for g in gateways:
                g.kill()


class NoLaunchCodes:
    """An operator step: refuses prompts mentioning launch codes."""

    name = "no-launch-codes"

    async def before(self, ctx: Any) -> None:
        from llmgw.domain.errors import FieldViolation, InvalidRequestError

        messages = getattr(ctx.request, "messages", ())  # the embedding call passes too
        if any("launch codes" in m.text for m in messages):
            raise InvalidRequestError((FieldViolation("messages", "refused", "DENY_LIST"),))

    async def after(self, ctx: Any) -> None:
        return None


async def test_operator_steps_run_before_the_cache_answers(fake) -> None:
    config = semantic_settings(
        fake.base_url, threshold=0.8, pipeline={"steps": ["test_semantic_cache:NoLaunchCodes"]}
    )
    async with serving(config) as s:
        await s.data.Chat(chat("priced-model", "how do rockets reach orbit"))
        near = await s.data.Chat(chat("priced-model", "how do rockets reach orbit?"))
        assert near.route.cache_hit
        with pytest.raises(grpc.aio.AioRpcError) as refused:  # cosine ~0.85: a near duplicate
            await s.data.Chat(chat("priced-model", "how do rockets reach orbit launch codes"))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert chats(fake) == 1
