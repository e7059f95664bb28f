"""The API edge (``api/edge.py``): handlers wrapped once, at registration,
with no grpc.aio interceptor when tracing is off; each wrapper checks the
bytes, ends escaped exceptions through the seam and counts the final code
exactly once (unary, server-streaming relayed with ``context.write``)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from helpers import detail, error_info
from llmgateway.v1 import gateway_service_pb2_grpc
from llmgw.api import server as server_module
from llmgw.api.authz import ADMIN_PLANE, DATA_PLANE
from llmgw.api.edge import Edge, EdgeRegistrar, EdgeTelemetry
from llmgw.api.server import ServerOptions, ServerParts


class _Counts:
    """Stands in for ``Instruments``: records ``rpc_done``."""

    def __init__(self, expected: int = 0) -> None:
        self.done: list[tuple[str, str]] = []
        self.expected = expected
        self.all_done = asyncio.Event()

    def rpc_done(self, rpc: str, code: str) -> None:
        self.done.append((rpc, code))
        if len(self.done) >= self.expected:
            self.all_done.set()


class _Recorder:
    """Stands in for a grpc.aio server: keeps what is registered."""

    def __init__(self) -> None:
        self.registered: dict[str, dict[str, Any]] = {}
        self.generic: list[Any] = []

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self.generic.extend(handlers)

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        self.registered[service] = handlers


def _decode(data: bytes) -> bytes:
    if data.startswith(b"\xff"):
        raise ValueError("undecodable")
    return data


def _identity(data: bytes) -> bytes:
    return data


async def _echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return request


async def _missing(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")


async def _boom(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise RuntimeError("boom-edge-secret")


async def _three(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    for index in range(3):
        await asyncio.sleep(0)
        yield request + bytes([index])


async def _half(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    yield b"first"
    raise RuntimeError("boom-edge-secret")


HANDLERS = {
    "Echo": grpc.unary_unary_rpc_method_handler(_echo, _decode, _identity),
    "Missing": grpc.unary_unary_rpc_method_handler(_missing, _decode, _identity),
    "Boom": grpc.unary_unary_rpc_method_handler(_boom, _decode, _identity),
    "Three": grpc.unary_stream_rpc_method_handler(_three, _decode, _identity),
    "Half": grpc.unary_stream_rpc_method_handler(_half, _decode, _identity),
}


def test_registered_handlers_are_wrapped_once_at_registration() -> None:
    recorder = _Recorder()
    servicer = gateway_service_pb2_grpc.GatewayServiceServicer()
    registrar: Any = EdgeRegistrar(recorder, Edge(EdgeTelemetry(_Counts()), None))  # type: ignore[arg-type]
    gateway_service_pb2_grpc.add_GatewayServiceServicer_to_server(servicer, registrar)
    handlers = recorder.registered["llmgateway.v1.GatewayService"]
    assert set(handlers) == {"Chat", "StreamChat", "Embed", "CountTokens", "ListModels"}
    for name, handler in handlers.items():
        behaviour = handler.unary_unary or handler.unary_stream
        assert getattr(behaviour, "__self__", None) is not servicer, name
        assert behaviour.__qualname__.startswith("_"), name  # one of the edge's wrappers
    chat = handlers["Chat"].request_deserializer
    assert chat(b"\x0a\x05ab").__class__.__name__ == "Undecodable"


def test_a_generic_handlers_wrapper_is_built_on_first_use_and_kept() -> None:
    recorder = _Recorder()
    registrar = EdgeRegistrar(recorder, Edge(None, None))  # type: ignore[arg-type]
    registrar.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("t.T", HANDLERS),))
    (generic,) = recorder.generic

    class Details:
        method = "/t.T/Echo"

    first = generic.service(Details())
    assert first is not HANDLERS["Echo"]
    assert generic.service(Details()) is first
    Details.method = "/t.T/Nope"
    assert generic.service(Details()) is None


async def test_tracing_off_means_no_interceptor(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    real = grpc.aio.server

    def recording(**kwargs: Any) -> Any:
        seen.append(kwargs.get("interceptors"))
        return real(**kwargs)

    monkeypatch.setattr(server_module.grpc.aio, "server", recording)
    options = ServerOptions("127.0.0.1:0", "127.0.0.1:0", 5.0, 1 << 20, 1 << 20, 16)
    telemetry = EdgeTelemetry(_Counts())  # type: ignore[arg-type]
    options = dataclasses.replace(options, telemetry=telemetry)
    for plane in (DATA_PLANE, ADMIN_PLANE):
        server_module._server(ServerParts(), plane, options)
    assert seen == [None, None]


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, _Counts]]:
    counts = _Counts(expected=6)
    server = grpc.aio.server()
    registrar = EdgeRegistrar(server, Edge(EdgeTelemetry(counts), None))  # type: ignore[arg-type]
    registrar.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("t.T", HANDLERS),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}", counts
    finally:
        await server.stop(0)


async def _code(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        result = await call if not hasattr(call, "__aiter__") else [x async for x in call]
        del result
    return caught.value


async def test_each_rpc_is_answered_through_the_seam_and_counted_once(
    served: tuple[str, _Counts],
) -> None:
    address, counts = served
    async with grpc.aio.insecure_channel(address) as channel:
        assert await channel.unary_unary("/t.T/Echo")(b"hi") == b"hi"
        assert [x async for x in channel.unary_stream("/t.T/Three")(b"s")] == [
            b"s\x00",
            b"s\x01",
            b"s\x02",
        ]
        missing = await _code(channel.unary_unary("/t.T/Missing")(b""))
        assert missing.code() == grpc.StatusCode.NOT_FOUND
        boom = await _code(channel.unary_unary("/t.T/Boom")(b""))
        assert boom.code() == grpc.StatusCode.INTERNAL
        assert "boom-edge-secret" not in (boom.details() or "")
        half = await _code(channel.unary_stream("/t.T/Half")(b""))
        assert half.code() == grpc.StatusCode.INTERNAL
        bad = await _code(channel.unary_unary("/t.T/Echo")(b"\xff\x01"))
        assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(bad).reason == "INVALID_REQUEST"
        violations = detail(bad, error_details_pb2.BadRequest).field_violations  # type: ignore[attr-defined]
        assert [(v.field, v.reason) for v in violations] == [("request", "MALFORMED_MESSAGE")]
    # An aborted RPC is counted just after its status left.
    await asyncio.wait_for(counts.all_done.wait(), timeout=5)
    assert sorted(counts.done) == sorted(
        [
            ("Echo", "OK"),
            ("Three", "OK"),
            ("Missing", "NOT_FOUND"),
            ("Boom", "INTERNAL"),
            ("Half", "INTERNAL"),
            ("Echo", "INVALID_ARGUMENT"),
        ]
    )
