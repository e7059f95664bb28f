"""Attribution and request ids are bounded before anything is sent or written.

Finding (issue 10, item 11): 100 labels, an upper-case label key containing a
newline with a 100 KB value, a 1 MB ``end_user_id`` and a 1 MB ``request_id``
were accepted and written to the ledger (the end user is part of the hourly
rollup key). The proto states the label rules (lowercase keys <= 63 chars, at
most 16 entries); the README states the id bounds chosen here.
"""

from __future__ import annotations

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
from upstream_fakes import FakeOpenAI

KEY = "sk-fake"
MB = 1024 * 1024


def _settings(url: str) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "fake",
                "kind": "openai_compatible",
                "base_url": url,
                "api_keys": [KEY],
                "models": [
                    {"id": "chat-model", "capabilities": ["streaming"]},
                    {"id": "embed-model", "capabilities": ["embeddings"]},
                ],
                "retry": {"max_retries": 0},
            }
        ],
        "prices": {
            "fake/chat-model": {"input_per_million_tokens": "2", "output_per_million_tokens": "8"}
        },
    }


def _bad_chats() -> list[tuple[gateway_service_pb2.ChatRequest, str]]:
    cases: list[tuple[gateway_service_pb2.ChatRequest, str]] = []
    many = chat("chat-model")
    many.attribution.labels.update({f"k{i}": "v" for i in range(100)})
    cases.append((many, "attribution.labels"))
    for key in ("Team\n", "Team", "9lives", "a" * 64, "", "team.name"):
        request = chat("chat-model")
        request.attribution.labels[key] = "v"
        cases.append((request, f"attribution.labels[{key[:64]!r}]"))
    huge_value = chat("chat-model")
    huge_value.attribution.labels["team"] = "x" * 100_000
    cases.append((huge_value, "attribution.labels['team']"))
    newline_value = chat("chat-model")
    newline_value.attribution.labels["team"] = "a\nb"
    cases.append((newline_value, "attribution.labels['team']"))
    for user in ("u" * MB, "u" * 65, "user\n1", " padded"):
        request = chat("chat-model")
        request.attribution.end_user_id = user
        cases.append((request, "attribution.end_user_id"))
    project = chat("chat-model")
    project.attribution.project = "projects/" + "p" * 129
    cases.append((project, "attribution.project"))
    for request_id in ("r" * MB, "r" * 129, "has space", 'quote"d', "line\nbreak"):
        cases.append((chat("chat-model", request_id=request_id), "request_id"))
    return cases


async def test_unbounded_attribution_is_refused_and_nothing_is_sent_or_billed() -> None:
    async with FakeOpenAI(api_key=KEY) as upstream, gateway_at(_settings(upstream.base_url)) as gw:
        async with (
            grpc.aio.insecure_channel(gw.data_address) as data,
            grpc.aio.insecure_channel(gw.admin_address) as admin_channel,
        ):
            stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
            admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
            for request, field in _bad_chats():
                for streamed in (False, True):
                    with pytest.raises(grpc.aio.AioRpcError) as caught:
                        if streamed:
                            async for _ in stub.StreamChat(
                                gateway_service_pb2.StreamChatRequest(chat=request)
                            ):
                                pass
                        else:
                            await stub.Chat(request)
                    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, field
                    bad = detail(caught.value, error_details_pb2.BadRequest)
                    fields = [v.field for v in bad.field_violations]  # type: ignore[attr-defined]
                    assert fields == [("chat." if streamed else "") + field]
                    assert len(caught.value.details() or "") < 2_000  # no echo of the junk
            embed = gateway_service_pb2.EmbedRequest(
                model="embed-model", inputs=[gateway_service_pb2.EmbedInput(text="t")]
            )
            embed.attribution.end_user_id = "u" * MB
            with pytest.raises(grpc.aio.AioRpcError) as embedded:
                await stub.Embed(embed)
            assert embedded.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert upstream.requests == []

            # At the limits, accepted and written as sent.
            good = chat("chat-model", request_id="9b2f6f0e-4e7a-4d4b-8f53-0c1f0a6d2a11")
            labels = {f"{chr(97 + i)}{'-' * 61}x": "v" * 256 for i in range(16)}
            good.attribution.labels.update(labels)
            good.attribution.end_user_id = "e" * 64
            await stub.Chat(good)
            lookup = admin_service_pb2.GetCostsRequest(filter=f'request_id = "{good.request_id}"')
            lookup.start_time.FromSeconds(int(time.time()) - 3600)
            (entry,) = (await admin.GetCosts(lookup)).entries
            assert dict(entry.labels) == labels and entry.end_user_id == "e" * 64
            everything = admin_service_pb2.GetCostsRequest()
            everything.start_time.FromSeconds(int(time.time()) - 3600)
            report = await admin.GetCosts(everything)
            assert report.total_usage.input_token_count == 11  # the one good request only
    assert len(upstream.requests) == 1
