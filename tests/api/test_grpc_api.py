"""The data and admin planes through the generated stubs, on a real server
(demo backend, 127.0.0.1:0)."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from helpers import chat, detail, error_info, user
from llmgateway.v1 import (
    admin_service_pb2,
    gateway_service_pb2,
    generation_pb2,
)
from llmgw.app import Running

pytestmark = pytest.mark.asyncio


async def test_chat_answers_with_usage_route_and_money(stub) -> None:
    response = await stub.Chat(chat("demo-chat", "ping"))
    assert response.response_id and response.request_id
    text = response.candidates[0].message.parts[0].text
    assert "simulated" in text and "ping" in text
    assert response.candidates[0].finish_reason == generation_pb2.FINISH_REASON_STOP
    assert response.usage.output_token_count > 0
    assert response.usage.total_token_count == (
        response.usage.input_token_count + response.usage.output_token_count
    )
    assert response.route.backend == "demo" and response.route.model == "demo-chat"
    assert response.cost.total.currency_code == "USD"
    assert response.create_time.seconds > 0


async def test_chat_keeps_the_callers_request_id(stub) -> None:
    response = await stub.Chat(chat("demo-chat", request_id="req-123"))
    assert response.request_id == "req-123"


async def test_alias_resolves_and_is_reported(stub) -> None:
    response = await stub.Chat(chat("default"))
    assert response.route.alias == "default"
    assert response.route.backend == "demo"


async def test_stream_chat_event_order(stub) -> None:
    request = gateway_service_pb2.StreamChatRequest(
        chat=chat("demo-chat", "stream me"),
        stream_options=gateway_service_pb2.StreamOptions(include_usage_updates=True),
    )
    kinds: list[str] = []
    text = ""
    final = None
    async for event in stub.StreamChat(request):
        kind = event.WhichOneof("event")
        kinds.append(kind)
        if kind == "delta":
            text += event.delta.text
        if kind == "final":
            final = event.final
    assert kinds[0] == "start" and kinds[-1] == "final"
    assert kinds.count("delta") > 3
    assert "stream me" in text
    assert final is not None
    assert final.usage.output_token_count > 0
    assert final.candidates[0].finish_reason == generation_pb2.FINISH_REASON_STOP
    assert final.route.backend == "demo"
    assert final.HasField("cost")


async def test_stream_heartbeats_when_idle() -> None:
    """A slow upstream gets heartbeats between deltas when the caller asks."""
    import llmgw.providers.demo as demo
    from conftest import gateway_at
    from llmgateway.v1 import gateway_service_pb2_grpc

    original = demo.DemoProvider.__init__

    def slow(self, spec, *, delay_per_chunk: float = 0.0) -> None:  # type: ignore[no-untyped-def]
        original(self, spec, delay_per_chunk=0.05)

    demo.DemoProvider.__init__ = slow  # type: ignore[method-assign]
    try:
        async with (
            gateway_at() as running,
            grpc.aio.insecure_channel(running.data_address) as channel,
        ):
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            request = gateway_service_pb2.StreamChatRequest(
                chat=chat("demo-chat", "x"),
                stream_options=gateway_service_pb2.StreamOptions(
                    heartbeat_interval=duration_pb2.Duration(nanos=10_000_000)
                ),
            )
            kinds = [e.WhichOneof("event") async for e in stub.StreamChat(request)]
    finally:
        demo.DemoProvider.__init__ = original  # type: ignore[method-assign]
    assert "heartbeat" in kinds
    assert kinds[0] == "start" and kinds[-1] == "final"


async def test_embed_returns_vectors_in_order(stub) -> None:
    request = gateway_service_pb2.EmbedRequest(
        model="demo-embedding",
        inputs=[gateway_service_pb2.EmbedInput(text=t) for t in ("a", "b", "a")],
    )
    response = await stub.Embed(request)
    vectors = [list(e.float_values.values) for e in response.embeddings]
    assert len(vectors) == 3 and response.dimension_count == len(vectors[0])
    assert vectors[0] == vectors[2] and vectors[0] != vectors[1]
    assert response.route.backend == "demo"


async def test_embed_packed_float32(stub) -> None:
    import array

    request = gateway_service_pb2.EmbedRequest(
        model="embedding",
        inputs=[gateway_service_pb2.EmbedInput(text="hello")],
        encoding=gateway_service_pb2.EMBEDDING_ENCODING_FLOAT32_BYTES,
        output_dimensionality=8,
    )
    response = await stub.Embed(request)
    values = array.array("f")
    values.frombytes(response.embeddings[0].packed_values)
    assert len(values) == 8 == response.dimension_count
    assert abs(sum(v * v for v in values) - 1.0) < 1e-4


async def test_embed_batch_limit_is_invalid_argument(stub) -> None:
    request = gateway_service_pb2.EmbedRequest(
        model="demo-embedding",
        inputs=[gateway_service_pb2.EmbedInput(text="x")] * 257,
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Embed(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad = detail(caught.value, error_details_pb2.BadRequest)
    assert [v.field for v in bad.field_violations] == ["inputs"]  # type: ignore[attr-defined]


async def test_chat_model_cannot_embed(stub) -> None:
    request = gateway_service_pb2.EmbedRequest(
        model="demo-chat", inputs=[gateway_service_pb2.EmbedInput(text="x")]
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Embed(request)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_info(caught.value).reason == "NO_ELIGIBLE_BACKEND"
    detail(caught.value, error_details_pb2.PreconditionFailure)


async def test_count_tokens_estimates(stub) -> None:
    response = await stub.CountTokens(
        gateway_service_pb2.CountTokensRequest(chat=chat("demo-chat", "x" * 400))
    )
    # demo-chat has no tokenizer: the script-aware bound, marked estimated
    # (one 400-letter run: 1 + 400 // 6, + 4 for the message, + 3 priming).
    assert response.estimated and response.input_token_count == 67 + 4 + 3
    assert response.model == "demo-chat"
    assert response.estimated_input_cost.currency_code == "USD"


async def test_list_models_labels_demo_as_simulated(stub) -> None:
    response = await stub.ListModels(gateway_service_pb2.ListModelsRequest())
    ids = {m.id: m for m in response.models}
    assert set(ids) == {"demo-chat", "demo-embedding"}
    assert all(m.simulated for m in response.models)
    assert "simulated" in ids["demo-chat"].display_name
    assert "default" in ids["demo-chat"].aliases
    assert ids["demo-embedding"].type == gateway_service_pb2.MODEL_TYPE_EMBEDDING
    assert not ids["demo-chat"].backends  # BASIC view hides placement
    full = await stub.ListModels(
        gateway_service_pb2.ListModelsRequest(view=gateway_service_pb2.MODEL_VIEW_FULL)
    )
    assert [list(m.backends) for m in full.models] == [["demo"], ["demo"]]


async def test_list_models_pagination_and_filter(stub) -> None:
    first = await stub.ListModels(gateway_service_pb2.ListModelsRequest(page_size=1))
    assert len(first.models) == 1 and first.next_page_token
    second = await stub.ListModels(
        gateway_service_pb2.ListModelsRequest(page_size=1, page_token=first.next_page_token)
    )
    assert len(second.models) == 1 and not second.next_page_token
    assert first.models[0].id != second.models[0].id
    only = await stub.ListModels(
        gateway_service_pb2.ListModelsRequest(filter="type = MODEL_TYPE_EMBEDDING")
    )
    assert [m.id for m in only.models] == ["demo-embedding"]
    both = await stub.ListModels(
        gateway_service_pb2.ListModelsRequest(filter="simulated = true AND capability = streaming")
    )
    assert [m.id for m in both.models] == ["demo-chat"]


@pytest.mark.parametrize(
    ("request_kwargs", "field"),
    [
        ({"filter": "colour = blue"}, "filter"),
        ({"page_token": "not-a-token"}, "page_token"),
        ({"page_size": -1}, "page_size"),
    ],
)
async def test_list_models_rejects_bad_arguments(stub, request_kwargs, field) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListModels(gateway_service_pb2.ListModelsRequest(**request_kwargs))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad = detail(caught.value, error_details_pb2.BadRequest)
    assert bad.field_violations[0].field == field  # type: ignore[attr-defined]


async def test_unknown_model_is_not_found_with_error_info(stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat("no-such-model"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    info = error_info(caught.value)
    assert info.reason == "MODEL_NOT_FOUND"
    assert info.domain == "llmgateway.example.com"
    assert info.metadata["model"] == "no-such-model"
    detail(caught.value, error_details_pb2.RequestInfo)


async def test_validation_lists_every_bad_field(stub) -> None:
    request = gateway_service_pb2.StreamChatRequest(
        chat=gateway_service_pb2.ChatRequest(
            model="",
            generation_config=generation_pb2.GenerationConfig(temperature=3.0, top_p=float("nan")),
        )
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in stub.StreamChat(request):
            pass
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(caught.value).reason == "INVALID_REQUEST"
    bad = detail(caught.value, error_details_pb2.BadRequest)
    fields = {v.field for v in bad.field_violations}  # type: ignore[attr-defined]
    assert fields == {
        "chat.model",
        "chat.messages",
        "chat.generation_config.temperature",
        "chat.generation_config.top_p",
    }


async def test_message_without_role_is_invalid(stub) -> None:
    request = chat("demo-chat")
    request.messages.append(user("x"))
    request.messages[1].role = 0
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(request)
    bad = detail(caught.value, error_details_pb2.BadRequest)
    assert [v.field for v in bad.field_violations] == ["messages[1].role"]  # type: ignore[attr-defined]


async def test_oversized_message_is_refused_by_the_size_limit(stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat("demo-chat", "x" * (17 * 1024 * 1024)))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_a_large_message_under_the_limit_is_accepted(stub) -> None:
    # A 5 MiB image: above gRPC's 4 MiB default, below our documented 16 MiB.
    from llmgateway.v1 import content_pb2

    request = chat("demo-chat", "describe this")
    request.messages[0].parts.append(
        content_pb2.Part(media=content_pb2.Media(mime_type="image/png", data=b"\0" * (5 << 20)))
    )
    response = await stub.Chat(request)
    assert response.candidates


async def test_prompt_too_long_for_every_target_is_invalid_argument(stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat("demo-chat", "word " * 200_000))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info = error_info(caught.value)
    assert info.reason == "CONTEXT_LENGTH_EXCEEDED"
    assert info.metadata["inputTokenLimit"] == "32768"


async def test_get_costs_without_start_time_is_invalid_argument(admin_stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_stub.GetCosts(admin_service_pb2.GetCostsRequest())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(caught.value).reason == "INVALID_REQUEST"


async def test_admin_health_and_backends(admin_stub, stub) -> None:
    health = await admin_stub.GetHealth(admin_service_pb2.GetHealthRequest())
    assert health.gateway_state == admin_service_pb2.HEALTH_STATE_HEALTHY
    assert not health.draining
    (demo,) = health.backends
    assert demo.backend == "demo"
    assert demo.health.state == admin_service_pb2.HEALTH_STATE_UNKNOWN  # no traffic yet
    await stub.Chat(chat("demo-chat"))
    health = await admin_stub.GetHealth(admin_service_pb2.GetHealthRequest())
    (demo,) = health.backends
    assert demo.health.state == admin_service_pb2.HEALTH_STATE_HEALTHY
    (breaker,) = demo.circuit_breakers
    assert breaker.model == "demo-chat"
    assert breaker.state == admin_service_pb2.CIRCUIT_STATE_CLOSED

    listed = await admin_stub.ListBackends(admin_service_pb2.ListBackendsRequest())
    (backend,) = listed.backends
    assert backend.name == "backends/demo"
    assert backend.type == admin_service_pb2.BACKEND_TYPE_SIMULATED
    assert {m.model_id for m in backend.served_models} == {"demo-chat", "demo-embedding"}
    got = await admin_stub.GetBackend(admin_service_pb2.GetBackendRequest(name="backends/demo"))
    assert got.backend == backend
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin_stub.GetBackend(admin_service_pb2.GetBackendRequest(name="backends/nope"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_info(caught.value).reason == "BACKEND_NOT_FOUND"


async def test_admin_service_is_not_on_the_data_plane(demo_gateway: Running) -> None:
    from llmgateway.v1 import admin_service_pb2_grpc

    async with grpc.aio.insecure_channel(demo_gateway.data_address) as channel:
        stub = admin_service_pb2_grpc.AdminServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ListBackends(admin_service_pb2.ListBackendsRequest())
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert not caught.value.trailing_metadata() or "grpc-status-details-bin" not in dict(
        caught.value.trailing_metadata()
    )


@pytest.mark.parametrize("service", ["", "liveness", "readiness", "llmgateway.v1.GatewayService"])
async def test_health_names_serve(demo_gateway: Running, service: str) -> None:
    async with grpc.aio.insecure_channel(demo_gateway.data_address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        response = await health.Check(health_pb2.HealthCheckRequest(service=service))
    assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_health_goes_not_serving_before_stop() -> None:
    from conftest import gateway_at

    async with gateway_at() as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            watch = health.Watch(health_pb2.HealthCheckRequest(service="readiness"))
            first = await watch.read()
            assert first.status == health_pb2.HealthCheckResponse.SERVING
            stopping = __import__("asyncio").ensure_future(running.servers.stop(1.0))
            second = await watch.read()
            assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
            await stopping
