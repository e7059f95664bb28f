"""CountTokens and ListModels honour the caller's limits, with auth on.

Findings (issue 10, item 10): CountTokens ignored the key's model allow-list
and the request-size limits (a key limited to ``demo-chat`` could price any
model, with any prompt size); ListModels with a ``backend = "..."`` filter
revealed which backend serves which model to callers without ``admin:read``,
which the FULL view is meant to protect.
"""

from __future__ import annotations

import grpc
import pytest
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import chat, detail
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc, gateway_service_pb2
from llmgateway.v1 import gateway_service_pb2_grpc as gateway_grpc

ADMIN_KEY = "bootstrap-admin-secret-count-tokens-0123456789"


async def _key(admin: admin_service_pb2_grpc.AdminServiceStub, **fields: object) -> str:
    reply = await admin.CreateApiKey(
        admin_service_pb2.CreateApiKeyRequest(
            api_key=admin_service_pb2.ApiKey(tenant="acme", **fields)  # type: ignore[arg-type]
        ),
        metadata=(("authorization", f"Bearer {ADMIN_KEY}"),),
    )
    return reply.secret


async def test_count_tokens_applies_the_model_allow_list_and_size_limits() -> None:
    config = {
        "auth": {"bootstrap_admin_key": ADMIN_KEY},
        "rate_limits": {"max_total_characters": 40},
    }
    async with gateway_at(config) as running:
        async with (
            grpc.aio.insecure_channel(running.admin_address) as admin_channel,
            grpc.aio.insecure_channel(running.data_address) as data,
        ):
            admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
            limited = await _key(admin, scopes=["chat"], allowed_models=["demo-chat"])
            auth = (("authorization", f"Bearer {limited}"),)
            stub = gateway_grpc.GatewayServiceStub(data)

            def count(model: str, text: str = "hi") -> gateway_service_pb2.CountTokensRequest:
                return gateway_service_pb2.CountTokensRequest(chat=chat(model, text))

            assert (await stub.CountTokens(count("demo-chat"), metadata=auth)).input_token_count > 0
            with pytest.raises(grpc.aio.AioRpcError) as other:
                await stub.CountTokens(count("demo-chat-large"), metadata=auth)
            assert other.value.code() == grpc.StatusCode.PERMISSION_DENIED
            with pytest.raises(grpc.aio.AioRpcError) as fallback:
                request = count("demo-chat")
                request.chat.routing.fallback_models.append("demo-chat-large")
                await stub.CountTokens(request, metadata=auth)
            assert fallback.value.code() == grpc.StatusCode.PERMISSION_DENIED
            with pytest.raises(grpc.aio.AioRpcError) as large:
                await stub.CountTokens(count("demo-chat", "x" * 41), metadata=auth)
            assert large.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            bad = detail(large.value, error_details_pb2.BadRequest)
            assert bad.field_violations[0].field == "chat.messages"  # type: ignore[attr-defined]


async def test_a_backend_filter_needs_admin_read_like_the_full_view() -> None:
    async with gateway_at({"auth": {"bootstrap_admin_key": ADMIN_KEY}}) as running:
        async with (
            grpc.aio.insecure_channel(running.admin_address) as admin_channel,
            grpc.aio.insecure_channel(running.data_address) as data,
        ):
            admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
            caller = (("authorization", f"Bearer {await _key(admin, scopes=['chat'])}"),)
            operator_key = await _key(admin, scopes=["chat", "admin:read"])
            operator = (("authorization", f"Bearer {operator_key}"),)
            stub = gateway_grpc.GatewayServiceStub(data)
            listed = await stub.ListModels(gateway_service_pb2.ListModelsRequest(), metadata=caller)
            assert listed.models and all(not m.backends for m in listed.models)
            for text in (
                'backend = "demo"',
                'type = "MODEL_TYPE_CHAT" AND backend = "nope"',
                "BACKEND=demo",
            ):
                request = gateway_service_pb2.ListModelsRequest(filter=text)
                with pytest.raises(grpc.aio.AioRpcError) as denied:
                    await stub.ListModels(request, metadata=caller)
                assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED, text
                allowed = await stub.ListModels(request, metadata=operator)
                assert [m.id for m in allowed.models] == (
                    [m.id for m in listed.models] if "nope" not in text else []
                )
            aliased = gateway_service_pb2.ListModelsRequest(filter='type = "MODEL_TYPE_CHAT"')
            assert (await stub.ListModels(aliased, metadata=caller)).models  # other terms: fine
