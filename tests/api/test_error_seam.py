"""One error seam for both services (issue 9 item 3).

Every RPC of ``GatewayService`` and ``AdminService`` (iterated from the
service descriptors, so a new RPC is covered without editing this file):

* undecodable request bytes (invalid UTF-8 in a string field, a truncated
  field, an overlong varint, nesting past the decoder's depth) answer
  ``INVALID_ARGUMENT`` + ``BadRequest`` naming ``request``, not ``UNKNOWN``
  with the ``DecodeError`` text;
* an unexpected exception inside the handler answers ``INTERNAL`` +
  ``ErrorInfo(INTERNAL)`` + a request id, never ``UNKNOWN`` and never the
  exception's text;
* with authentication on and the key store failing, every RPC answers
  ``UNAVAILABLE`` + ``RetryInfo`` for a credential it has not verified yet,
  while a credential verified before keeps working.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from conftest import gateway_at
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.rpc import error_details_pb2
from helpers import chat, detail, error_info, rich_status
from llmgateway.v1 import admin_service_pb2, gateway_service_pb2, gateway_service_pb2_grpc
from llmgw.api.admin.servicer import AdminServicer
from llmgw.api.gateway_servicer import GatewayServicer
from llmgw.pipeline.gateway import Gateway
from llmgw.storage.api_keys import ApiKeyStore

GATEWAY = gateway_service_pb2.DESCRIPTOR.services_by_name["GatewayService"]
ADMIN = admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"]
METHODS = [(GATEWAY, m) for m in GATEWAY.methods] + [(ADMIN, m) for m in ADMIN.methods]
IDS = [f"{s.name}.{m.name}" for s, m in METHODS]
EXCEPTION_TEXT = "boom-7f3a-exception-text"
ADMIN_KEY = "bootstrap-admin-secret-seam-0123456789abcdef"
DECODER_WORDS = ("DecodeError", "Error parsing", "Wire format", "Unexpected", "Traceback")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _bad_utf8(message: Descriptor, depth: int = 0) -> bytes | None:
    """A message whose first reachable string field holds invalid UTF-8."""
    fields = sorted(message.fields, key=lambda f: f.number)
    for field in fields:
        if field.type == FieldDescriptor.TYPE_STRING:
            return _varint(field.number << 3 | 2) + b"\x02\xff\xfe"
    for field in fields if depth < 3 else ():
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            inner = _bad_utf8(field.message_type, depth + 1)
            if inner is not None:
                return _varint(field.number << 3 | 2) + _varint(len(inner)) + inner
    return None


def _undecodable(method: MethodDescriptor) -> dict[str, bytes]:
    samples = {
        "truncated": b"\x0a\x05ab",
        "overlong_varint": b"\x08" + b"\xff" * 10 + b"\x01",
        "too_deep": b"\x0b" * 200 + b"\x0c" * 200,
    }
    utf8 = _bad_utf8(method.input_type)
    if utf8 is not None:
        samples["invalid_utf8"] = utf8
    return samples


async def _call(
    channel: grpc.aio.Channel, service: Any, method: MethodDescriptor, body: bytes, **kw: Any
) -> None:
    """Send raw ``body`` to ``method`` (no serializer: undecodable bytes pass)."""
    path = f"/{service.full_name}/{method.name}"
    if method.server_streaming:
        call = channel.unary_stream(path)(body, timeout=10, **kw)
        async for _ in call:
            pass
    else:
        await channel.unary_unary(path)(body, timeout=10, **kw)


def _no_leak(error: grpc.aio.AioRpcError, *words: str) -> None:
    text = (error.details() or "") + str(rich_status(error))
    for word in words:
        assert word not in text, f"{word!r} reached the caller: {text!r}"


@pytest.fixture
async def addresses() -> AsyncIterator[dict[str, str]]:
    async with gateway_at() as running:
        yield {GATEWAY.name: running.data_address, ADMIN.name: running.admin_address}


@pytest.mark.parametrize(("service", "method"), METHODS, ids=IDS)
async def test_undecodable_bytes_are_invalid_argument(
    addresses: dict[str, str], service: Any, method: MethodDescriptor
) -> None:
    async with grpc.aio.insecure_channel(addresses[service.name]) as channel:
        for kind, body in _undecodable(method).items():
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await _call(channel, service, method, body)
            error = caught.value
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (kind, error.details())
            assert error_info(error).reason == "INVALID_REQUEST"
            bad = detail(error, error_details_pb2.BadRequest)
            assert [(v.field, v.reason) for v in bad.field_violations] == [  # type: ignore[attr-defined]
                ("request", "MALFORMED_MESSAGE")
            ], kind
            _no_leak(error, *DECODER_WORDS)


def _raising(name: str, streaming: bool) -> Any:
    if streaming:

        async def stream(self: Any, request: Any, context: Any) -> AsyncIterator[Any]:
            raise RuntimeError(f"{EXCEPTION_TEXT} in {name}")
            yield  # an async generator, like StreamChat

        return stream

    async def unary(self: Any, request: Any, context: Any) -> Any:
        raise RuntimeError(f"{EXCEPTION_TEXT} in {name}")

    return unary


@pytest.mark.parametrize(("service", "method"), METHODS, ids=IDS)
async def test_an_unexpected_exception_in_any_handler_is_internal_with_a_request_id(
    monkeypatch: pytest.MonkeyPatch, service: Any, method: MethodDescriptor
) -> None:
    servicer = GatewayServicer if service is GATEWAY else AdminServicer
    monkeypatch.setattr(servicer, method.name, _raising(method.name, method.server_streaming))
    async with gateway_at() as running:
        address = running.data_address if service is GATEWAY else running.admin_address
        async with grpc.aio.insecure_channel(address) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await _call(channel, service, method, b"")
    error = caught.value
    assert error.code() == grpc.StatusCode.INTERNAL, error.details()
    assert error_info(error).reason == "INTERNAL"
    request_info = detail(error, error_details_pb2.RequestInfo)
    assert request_info.request_id  # type: ignore[attr-defined]
    _no_leak(error, EXCEPTION_TEXT, "RuntimeError")


@pytest.mark.parametrize("rpc", ["Chat", "StreamChat", "Embed", "CountTokens", "ListModels"])
async def test_a_pipeline_failure_ends_through_the_servicer_seam_with_the_callers_request_id(
    monkeypatch: pytest.MonkeyPatch, rpc: str
) -> None:
    async def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyError(EXCEPTION_TEXT)

    for name in ("chat", "stream_chat", "embed", "count_tokens"):
        monkeypatch.setattr(Gateway, name, fail)
    monkeypatch.setattr(
        Gateway, "list_models", lambda self: (_ for _ in ()).throw(KeyError(EXCEPTION_TEXT))
    )
    request = chat("demo-fast", request_id="seam-request-1")
    async with gateway_at() as running, grpc.aio.insecure_channel(running.data_address) as ch:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(ch)
        calls = {
            "Chat": lambda: stub.Chat(request),
            "StreamChat": lambda: _drain(
                stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=request))
            ),
            "Embed": lambda: stub.Embed(
                gateway_service_pb2.EmbedRequest(
                    model="demo-embedding",
                    inputs=[gateway_service_pb2.EmbedInput(text="x")],
                    request_id="seam-request-1",
                )
            ),
            "CountTokens": lambda: stub.CountTokens(
                gateway_service_pb2.CountTokensRequest(chat=request)
            ),
            "ListModels": lambda: stub.ListModels(gateway_service_pb2.ListModelsRequest()),
        }
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await calls[rpc]()
    error = caught.value
    assert error.code() == grpc.StatusCode.INTERNAL, error.details()
    request_id = detail(error, error_details_pb2.RequestInfo).request_id  # type: ignore[attr-defined]
    assert request_id  # ListModels has no caller request id: a fresh one
    if rpc != "ListModels":
        assert request_id == "seam-request-1"
    _no_leak(error, EXCEPTION_TEXT, "KeyError")


async def _drain(call: Any) -> None:
    async for _ in call:
        pass


async def test_key_store_down_every_rpc_is_unavailable_for_unverified_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with gateway_at({"auth": {"bootstrap_admin_key": ADMIN_KEY}}) as running:
        admin_md = (("authorization", f"Bearer {ADMIN_KEY}"),)
        async with grpc.aio.insecure_channel(running.data_address) as data:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
            await stub.ListModels(gateway_service_pb2.ListModelsRequest(), metadata=admin_md)

            async def refused(self: Any, digest: str) -> Any:
                raise ConnectionRefusedError(111, f"{EXCEPTION_TEXT} Connect call failed")

            monkeypatch.setattr(ApiKeyStore, "lookup", refused)
            # Verified before the outage: keeps working from the cache.
            await stub.ListModels(gateway_service_pb2.ListModelsRequest(), metadata=admin_md)
        unknown = (("authorization", "Bearer llmgw_never-seen-before-key-0123456789"),)
        for service, method in METHODS:
            address = running.data_address if service is GATEWAY else running.admin_address
            async with grpc.aio.insecure_channel(address) as channel:
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await _call(channel, service, method, b"", metadata=unknown)
            error = caught.value
            assert error.code() == grpc.StatusCode.UNAVAILABLE, (method.name, error.details())
            assert error_info(error).reason == "GATEWAY_OVERLOADED"
            detail(error, error_details_pb2.RetryInfo)
            _no_leak(error, EXCEPTION_TEXT, "ConnectionRefusedError", "Connect call")
