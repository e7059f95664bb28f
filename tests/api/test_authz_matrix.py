"""Every RPC of both services, called with no credential, a credential of the
wrong scope and one of the right scope. The RPC list comes from the proto's
service descriptors: an RPC added without an authz rule fails here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest
from conftest import gateway_at
from google.protobuf import descriptor, message_factory
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from helpers import chat, detail, error_info
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc, gateway_service_pb2
from llmgw.api.authz import ADMIN_METHODS, ADMIN_PLANE, DATA_PLANE, GATEWAY_METHODS
from llmgw.app import Running

ADMIN_KEY = "bootstrap-admin-secret-0123456789abcdef"
GATEWAY_SERVICE = gateway_service_pb2.DESCRIPTOR.services_by_name["GatewayService"]
ADMIN_SERVICE = admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"]
SCOPE_SETS = (("chat",), ("embed",), ("admin:read",), ("admin:write",))


def test_every_rpc_of_the_contract_has_exactly_one_rule() -> None:
    assert set(GATEWAY_METHODS) == {m.name for m in GATEWAY_SERVICE.methods}
    assert set(ADMIN_METHODS) == {m.name for m in ADMIN_SERVICE.methods}
    for service, rules in ((GATEWAY_SERVICE, DATA_PLANE), (ADMIN_SERVICE, ADMIN_PLANE)):
        for method in service.methods:
            path = f"/{service.full_name}/{method.name}"
            assert rules.known(path) and rules.needed(path), f"{path} must need a scope"


def test_admin_reads_need_admin_read_and_changes_need_admin_write() -> None:
    for method in ADMIN_SERVICE.methods:
        needed = {
            str(s) for s in ADMIN_PLANE.needed(f"/{ADMIN_SERVICE.full_name}/{method.name}") or ()
        }
        read = method.name.startswith(("Get", "List", "Explain"))  # Explain: a dry run
        assert needed == ({"admin:read", "admin:write"} if read else {"admin:write"}), method.name
    for method in GATEWAY_SERVICE.methods:
        needed = DATA_PLANE.needed(f"/{GATEWAY_SERVICE.full_name}/{method.name}") or frozenset()
        assert not {str(s) for s in needed} & {"admin:read", "admin:write"}, method.name


def test_a_method_without_a_rule_is_unknown_hence_denied() -> None:
    assert not DATA_PLANE.known("/llmgateway.v1.GatewayService/NewRpc")
    assert not DATA_PLANE.known("/llmgateway.v1.AdminService/ListApiKeys")  # wrong port
    assert ADMIN_PLANE.needed("/grpc.health.v1.Health/Check") is None


@dataclass
class World:
    running: Running
    keys: dict[tuple[str, ...], str]  # scopes -> secret


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with gateway_at({"auth": {"bootstrap_admin_key": ADMIN_KEY}}) as running:
        keys: dict[tuple[str, ...], str] = {}
        async with grpc.aio.insecure_channel(running.admin_address) as channel:
            admin = admin_service_pb2_grpc.AdminServiceStub(channel)
            for scopes in SCOPE_SETS:
                reply = await admin.CreateApiKey(
                    admin_service_pb2.CreateApiKeyRequest(
                        api_key=admin_service_pb2.ApiKey(tenant="acme", scopes=list(scopes))
                    ),
                    metadata=(("authorization", f"Bearer {ADMIN_KEY}"),),
                )
                keys[scopes] = reply.secret
        yield World(running, keys)


async def _call(
    channel: grpc.aio.Channel,
    service: descriptor.ServiceDescriptor,
    method: descriptor.MethodDescriptor,
    credential: str,
) -> grpc.StatusCode:
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    path = f"/{service.full_name}/{method.name}"
    metadata = (("authorization", f"Bearer {credential}"),) if credential else ()
    kwargs = {
        "request_serializer": request_class.SerializeToString,
        "response_deserializer": response_class.FromString,
    }
    try:
        if method.server_streaming:
            call = channel.unary_stream(path, **kwargs)(
                request_class(), metadata=metadata, timeout=10
            )
            async for _ in call:
                pass
        else:
            await channel.unary_unary(path, **kwargs)(
                request_class(), metadata=metadata, timeout=10
            )
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def _key_for(world: World, needed: frozenset[str], matching: bool) -> str:
    for scopes, secret in world.keys.items():
        if bool(set(scopes) & needed) == matching:
            return secret
    raise AssertionError(f"no key {'with' if matching else 'without'} {needed}")


_DENIED = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


async def test_matrix_no_credential_wrong_scope_right_scope(world: World) -> None:
    cases = [
        (world.running.data_address, GATEWAY_SERVICE, DATA_PLANE),
        (world.running.admin_address, ADMIN_SERVICE, ADMIN_PLANE),
    ]
    seen = 0
    for address, service, rules in cases:
        async with grpc.aio.insecure_channel(address) as channel:
            for method in service.methods:
                needed = rules.needed(f"/{service.full_name}/{method.name}")
                assert needed
                names = frozenset(str(s) for s in needed)
                where = f"{service.name}.{method.name}"
                assert (
                    await _call(channel, service, method, "") == grpc.StatusCode.UNAUTHENTICATED
                ), where
                assert (
                    await _call(channel, service, method, "llmgw_not-a-real-key")
                    == grpc.StatusCode.UNAUTHENTICATED
                ), where
                wrong = _key_for(world, names, matching=False)
                assert (
                    await _call(channel, service, method, wrong)
                    == grpc.StatusCode.PERMISSION_DENIED
                ), where
                right = _key_for(world, names, matching=True)
                assert await _call(channel, service, method, right) not in _DENIED, where
                seen += 1
    assert seen == len(GATEWAY_SERVICE.methods) + len(ADMIN_SERVICE.methods)


async def test_denials_carry_error_info_reasons(world: World) -> None:
    async with grpc.aio.insecure_channel(world.running.admin_address) as channel:
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await admin.ListApiKeys(admin_service_pb2.ListApiKeysRequest())
        info = detail(missing.value, error_details_pb2.ErrorInfo)
        assert info.reason == "API_KEY_INVALID"  # type: ignore[attr-defined]
        with pytest.raises(grpc.aio.AioRpcError) as wrong:
            await admin.RevokeApiKey(
                admin_service_pb2.RevokeApiKeyRequest(name="apiKeys/x"),
                metadata=(("authorization", f"Bearer {world.keys[('admin:read',)]}"),),
            )
        assert wrong.value.code() == grpc.StatusCode.PERMISSION_DENIED
        info = detail(wrong.value, error_details_pb2.ErrorInfo)
        assert info.reason == "PERMISSION_DENIED"  # type: ignore[attr-defined]
        assert info.metadata["scope"] == "admin:write"  # type: ignore[attr-defined]
        for secret in world.keys.values():
            assert secret not in str(wrong.value) and ADMIN_KEY not in str(wrong.value)


async def test_x_api_key_is_accepted_and_identity_reaches_the_handler(world: World) -> None:
    from llmgateway.v1 import gateway_service_pb2_grpc

    async with grpc.aio.insecure_channel(world.running.data_address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        reply = await stub.Chat(chat("demo-chat"), metadata=(("x-api-key", world.keys[("chat",)]),))
        assert reply.candidates
        with pytest.raises(grpc.aio.AioRpcError) as bad_scheme:
            await stub.Chat(
                chat("demo-chat"), metadata=(("authorization", f"Basic {world.keys[('chat',)]}"),)
            )
        assert bad_scheme.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_health_and_data_plane_reflection_stay_open(world: World) -> None:
    async with grpc.aio.insecure_channel(world.running.data_address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="readiness")
        )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        names = [s.name async for r in responses for s in r.list_services_response.service]
        assert "llmgateway.v1.GatewayService" in names
    async with grpc.aio.insecure_channel(world.running.admin_address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as closed:
            async for _ in stub.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")])
            ):
                pass
        assert closed.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_auth_off_on_loopback_keeps_everything_open() -> None:
    async with gateway_at() as running, grpc.aio.insecure_channel(running.admin_address) as channel:
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        reply = await admin.ListApiKeys(admin_service_pb2.ListApiKeysRequest())
        assert list(reply.api_keys) == []


async def test_full_model_view_needs_an_admin_scope(world: World) -> None:
    from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc

    full = gateway_service_pb2.ListModelsRequest(view=gateway_service_pb2.MODEL_VIEW_FULL)
    async with grpc.aio.insecure_channel(world.running.data_address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        chat_only = (("authorization", f"Bearer {world.keys[('chat',)]}"),)
        basic = await stub.ListModels(gateway_service_pb2.ListModelsRequest(), metadata=chat_only)
        assert basic.models and not any(m.backends for m in basic.models)
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await stub.ListModels(full, metadata=chat_only)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert error_info(denied.value).reason == "PERMISSION_DENIED"
        admin = (("authorization", f"Bearer {ADMIN_KEY}"),)
        placed = await stub.ListModels(full, metadata=admin)
        assert any(m.backends for m in placed.models)
