"""Tool-call arguments and media URIs, per dialect, through the real server.

Finding (issue 10, item 12): ``arguments_json`` that is not JSON was forwarded
(OpenAI) or crashed the Anthropic codec (``INTERNAL``). Decision, for every
dialect alike: ``arguments_json`` must be empty or a JSON object, else
INVALID_ARGUMENT on ``messages[i].parts[j].tool_call.arguments_json`` before
any upstream call. Anthropic's wire carries arguments as an object, and a
fallback may send the same conversation to either dialect, so one rule.
A valid object goes out verbatim (OpenAI: the string; Anthropic: the object).

Media URIs are never fetched by the gateway: the URI goes to the backend as
a URL; a loopback listener behind the URI records that nobody came.
"""

from __future__ import annotations

import grpc
import orjson
import pytest
from aiohttp import web
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import detail, user
from llmgateway.v1 import content_pb2, gateway_service_pb2, gateway_service_pb2_grpc
from upstream_fakes import FakeAnthropic, FakeOpenAI

KEY = "sk-fake"


def _settings(openai_url: str, anthropic_url: str) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "engine",
                "kind": "openai_compatible",
                "base_url": openai_url,
                "api_keys": [KEY],
                "models": [
                    {"id": "engine-model", "capabilities": ["streaming", "tools", "vision"]}
                ],
                "retry": {"max_retries": 0},
            },
            {
                "name": "claude",
                "kind": "anthropic",
                "base_url": anthropic_url,
                "api_keys": [KEY],
                "models": [{"id": "claude-x", "capabilities": ["streaming", "tools", "vision"]}],
                "retry": {"max_retries": 0},
            },
        ],
    }


def _conversation(model: str, arguments: str) -> gateway_service_pb2.ChatRequest:
    call = content_pb2.Part(
        tool_call=content_pb2.ToolCall(id="call_1", name="lookup", arguments_json=arguments)
    )
    result = content_pb2.Part(
        tool_result=content_pb2.ToolResult(
            tool_call_id="call_1", content=[content_pb2.Part(text="42")]
        )
    )
    return gateway_service_pb2.ChatRequest(
        model=model,
        messages=[
            user("what is it?"),
            content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=[call]),
            content_pb2.Message(role=content_pb2.ROLE_TOOL, parts=[result]),
        ],
        tools=[content_pb2.Tool(function=content_pb2.FunctionDeclaration(name="lookup"))],
    )


@pytest.fixture
async def world():
    async with FakeOpenAI(api_key=KEY) as engine, FakeAnthropic(api_key=KEY) as claude:
        async with gateway_at(_settings(engine.base_url, claude.base_url)) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                yield gateway_service_pb2_grpc.GatewayServiceStub(channel), engine, claude


@pytest.mark.parametrize("model", ["engine-model", "claude-x"])
async def test_arguments_that_are_not_a_json_object_are_refused(world, model: str) -> None:
    stub, engine, claude = world
    for arguments in ('{"city": "Par', "not json", "[1, 2]", '"a string"', "null", "{} {}"):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Chat(_conversation(model, arguments))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, arguments
        bad = detail(caught.value, error_details_pb2.BadRequest)
        assert [v.field for v in bad.field_violations] == [  # type: ignore[attr-defined]
            "messages[1].parts[0].tool_call.arguments_json"
        ]
    assert engine.requests == [] and claude.requests == []


async def test_object_arguments_go_out_verbatim_per_dialect(world) -> None:
    stub, engine, claude = world
    arguments = '{"city": "Paris", "days": 3}'
    await stub.Chat(_conversation("engine-model", arguments))
    await stub.Chat(_conversation("claude-x", arguments))
    (sent,) = [r.json for r in engine.requests]
    assert sent["messages"][1]["tool_calls"][0]["function"]["arguments"] == arguments
    (sent,) = [r.json for r in claude.requests]
    assert sent["messages"][1]["content"][0]["input"] == orjson.loads(arguments)


async def test_media_uris_are_passed_to_the_backend_never_fetched(world) -> None:
    stub, engine, claude = world
    fetched: list[str] = []

    async def record(request: web.Request) -> web.Response:
        fetched.append(request.path)
        return web.Response(body=b"\x89PNG", content_type="image/png")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        uri = f"http://127.0.0.1:{port}/cat.png"
        for model in ("engine-model", "claude-x"):
            media = content_pb2.Part(media=content_pb2.Media(mime_type="image/png", uri=uri))
            request = gateway_service_pb2.ChatRequest(
                model=model,
                messages=[
                    content_pb2.Message(
                        role=content_pb2.ROLE_USER, parts=[content_pb2.Part(text="see"), media]
                    )
                ],
            )
            await stub.Chat(request)
            async for _ in stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=request)):
                pass
    finally:
        await runner.cleanup()
    assert fetched == []  # the gateway never fetched the URI
    openai_bodies = [r.json for r in engine.requests]
    assert [b["messages"][0]["content"][1]["image_url"]["url"] for b in openai_bodies] == [uri] * 2
    anthropic_bodies = [r.json for r in claude.requests]
    assert [b["messages"][0]["content"][1]["source"] for b in anthropic_bodies] == [
        {"type": "url", "url": uri}
    ] * 2
