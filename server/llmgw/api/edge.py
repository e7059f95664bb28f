"""The API edge of both servers: every method handler wrapped once, at registration.

The services (``GatewayService`` / ``AdminService``, health, reflection) are
registered through an ``EdgeRegistrar`` standing in for the ``grpc.aio``
server. It replaces each method handler, when it is registered, by one
wrapper of the same cardinality (grpc.aio dispatches on the handler's
streaming flags) that does, in the RPC's own task and in this order:

1. **Undecodable requests.** grpc.aio runs the request deserializer before
   any handler, and a deserializer that raises becomes ``UNKNOWN`` with the
   ``DecodeError`` text. The edge's deserializer never raises: bytes that do
   not parse as the method's request type (invalid UTF-8 in a string field,
   a truncated message, an overlong varint, nesting past the decoder's
   depth) become an ``Undecodable`` marker, answered ``INVALID_ARGUMENT`` +
   ``BadRequest(field "request", reason "MALFORMED_MESSAGE")`` without
   running the handler, before authentication (nothing of the message is
   read, so nothing is revealed). For a request-streaming method (only
   reflection) the marker raises that error when the handler reads it.
2. **Authentication**, with auth on, for the methods the port's
   ``AccessRules`` do not open (``api/edge_auth.py``): credential, principal,
   scope, and ``current_principal()`` set for the handler and reset after.
3. **The handler.** An exception that leaves it, other than the abort that
   ends an RPC, goes through ``error_seam.end_rpc``: ``INTERNAL`` with a
   request id and no exception text; a unary handler that returns ``None``
   is ``INTERNAL`` too. Cancellation is not an error and propagates.
   Servicers still end their RPCs themselves through ``end_rpc`` (with the
   caller's request id); the edge is the guarantee, not the normal path.
4. **The final status code**, for unary-unary and server-streaming generator
   RPCs (not write-style or client-streaming ones: health ``Watch``,
   reflection), read once the wrapper ends and counted in
   ``llmgw_rpc_requests_total{rpc, code}``; with tracing on it is also put
   on the server span (``rpc.grpc.status_code``, ERROR for server-fault
   codes; OpenTelemetry's context proxy misses ``abort_with_status``, the
   only way this gateway ends an RPC with an error):

==========================================  ==============================
the handler                                 code
==========================================  ==============================
returned / stream ended                     ``context.code()`` or OK
aborted (``abort``/``abort_with_status``)   the code it aborted with
cancelled (client went away)                CANCELLED
raised anything else                        UNKNOWN (grpc's own answer)
==========================================  ==============================

Every RPC is counted here, exactly once, whatever its outcome, including a
StreamChat refused before the chain (validation, authentication).

With tracing off neither server has a grpc.aio interceptor: grpc.aio finds
the (already wrapped) handler directly and the edge costs one coroutine frame
per RPC. A server-streaming generator is relayed by a *coroutine* handler
that writes each message with ``context.write`` -- the loop grpc.aio itself
runs for a generator handler -- so no generator hop is added per message.
With tracing on, OpenTelemetry's ``aio_server_interceptor`` stays the one
interceptor (outermost, so our wrapper runs inside its span) and iterates
the handler it wraps, so there the wrapper is an async generator (one hop
per message, next to OpenTelemetry's own).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc

from llmgw.api.edge_auth import Admission, Admit
from llmgw.api.error_seam import end_rpc
from llmgw.api.principal_context import reset_principal
from llmgw.api.status import rule_for
from llmgw.domain.errors import FieldViolation, InvalidRequestError
from llmgw.observability.metrics import Instruments
from llmgw.observability.tracing import Tracing, mark_rpc_status
from llmgw.pipeline.steps.telemetry import Telemetry

_BY_VALUE = {code.value[0]: code for code in grpc.StatusCode}
Behaviour = Callable[[Any, grpc.aio.ServicerContext], Any]
Done = Callable[[str, grpc.aio.ServicerContext, BaseException | None], None]
AbortError = grpc.aio.AbortError


class Undecodable:
    """What the edge's deserializer returns for bytes that do not parse."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def error(self) -> InvalidRequestError:
        return InvalidRequestError(
            (
                FieldViolation(
                    "request",
                    f"the message is not a valid {self.type_name} (protobuf decoding failed)",
                    "MALFORMED_MESSAGE",
                ),
            )
        )


class _ReturnedNothing(Exception):
    """A unary handler returned ``None`` (a bug: answered as ``INTERNAL``)."""


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None
    type_name = getattr(getattr(deserializer, "__self__", None), "__name__", "request message")

    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception:  # DecodeError, RecursionError, ...: the bytes are the caller's
            return Undecodable(type_name)

    return decode


async def _checked(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """A request stream whose undecodable messages raise ``InvalidRequestError``."""
    async for request in requests:
        if isinstance(request, Undecodable):
            raise request.error()
        yield request


def _reset(token: object) -> None:
    # An async generator closed from another task runs in another context.
    with contextlib.suppress(ValueError):
        reset_principal(token)


def _uncounted(_rpc: str, _context: grpc.aio.ServicerContext, _error: BaseException | None) -> None:
    return None


@dataclass(frozen=True, slots=True)
class EdgeTelemetry:
    """Where the edge reports final codes: ``instruments`` counts them;
    ``spans`` (tracing on) marks the server span too, and ``interceptors``
    holds OpenTelemetry's server interceptor, installed outermost."""

    instruments: Instruments
    spans: bool = False
    interceptors: tuple[Any, ...] = ()

    def done(
        self, rpc: str, context: grpc.aio.ServicerContext, error: BaseException | None
    ) -> None:
        code = final_code(context, error)
        self.instruments.rpc_done(rpc, code.name)
        if self.spans:
            mark_rpc_status(code.value[0], code.name)


def _unary(inner: Behaviour, method: str, admit: Admit | None, done: Done) -> Behaviour:
    """One response: decode check, admission, the seam, the count."""
    rpc = method.rsplit("/", 1)[-1]

    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> Any:
        error: BaseException | None = None
        token = None
        try:
            if type(request) is Undecodable:
                await end_rpc(context, request.error(), "", method)
            if admit is not None:
                token = await admit(context)
            try:
                response = await inner(request, context)
            except AbortError:
                raise  # the RPC already ended through the seam
            except Exception as exc:
                await end_rpc(context, exc, "", method)
            if response is None:
                await end_rpc(context, _ReturnedNothing(method), "", method)
            return response
        except BaseException as exc:
            error = exc
            raise
        finally:
            if token is not None:
                _reset(token)
            done(rpc, context, error)

    return behaviour


def _writing(inner: Behaviour, method: str, admit: Admit | None, done: Done) -> Behaviour:
    """A server-streaming generator relayed by a coroutine with ``context.write``
    (grpc.aio's own loop for a generator handler, so no hop is added). A
    failure of ``write`` itself (the RPC already ended, the server stopped) is
    grpc's and propagates as it would from grpc's loop."""
    rpc = method.rsplit("/", 1)[-1]

    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> None:
        error: BaseException | None = None
        token = None
        writing = False
        try:
            if type(request) is Undecodable:
                await end_rpc(context, request.error(), "", method)
            if admit is not None:
                token = await admit(context)
            try:
                async for item in inner(request, context):
                    writing = True
                    await context.write(item)
                    writing = False
            except AbortError:
                raise
            except Exception as exc:
                if writing:
                    raise
                await end_rpc(context, exc, "", method)
        except BaseException as exc:
            error = exc
            raise
        finally:
            if token is not None:
                _reset(token)
            done(rpc, context, error)

    return behaviour


def _yielding(inner: Behaviour, method: str, admit: Admit | None, done: Done) -> Behaviour:
    """A server-streaming generator re-yielding ``inner``'s messages (for
    OpenTelemetry's wrapper, which iterates the handler it wraps)."""
    rpc = method.rsplit("/", 1)[-1]

    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        error: BaseException | None = None
        token = None
        try:
            if type(request) is Undecodable:
                await end_rpc(context, request.error(), "", method)
            if admit is not None:
                token = await admit(context)
            try:
                async for item in inner(request, context):  # one hop per message
                    yield item
            except AbortError:
                raise
            except Exception as exc:
                await end_rpc(context, exc, "", method)
        except BaseException as exc:
            error = exc
            raise
        finally:
            if token is not None:
                _reset(token)
            done(rpc, context, error)

    return behaviour


def _other_stream(inner: Behaviour, method: str, admit: Admit | None, reading: bool) -> Behaviour:
    """A write-style or client-streaming handler (health ``Watch``, reflection):
    decode check, admission and the seam; not counted."""

    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        if type(request) is Undecodable:
            await end_rpc(context, request.error(), "", method)
        token = await admit(context) if admit is not None else None
        try:
            result = inner(_checked(request) if reading else request, context)
            if hasattr(result, "__aiter__"):
                async for item in result:
                    yield item
            else:
                await result  # writes with context.write itself
        except AbortError:
            raise
        except Exception as exc:
            await end_rpc(context, exc, "", method)
        finally:
            if token is not None:
                _reset(token)

    return behaviour


def _reading(inner: Behaviour) -> Behaviour:
    async def behaviour(requests: Any, context: grpc.aio.ServicerContext) -> Any:
        return await inner(_checked(requests), context)

    return behaviour


class Edge:
    """Builds the one wrapper per method of one port (see the module docstring)."""

    def __init__(self, telemetry: EdgeTelemetry | None, admission: Admission | None) -> None:
        self._done: Done = telemetry.done if telemetry is not None else _uncounted
        self._spans = telemetry is not None and telemetry.spans
        self._admission = admission

    def wrap(self, method: str, handler: Any) -> Any:
        """``handler`` (of the RPC path ``method``) wrapped, same cardinality."""
        admit = self._admission.admit_for(method) if self._admission is not None else None
        decode = _tolerant(handler.request_deserializer)
        encode = handler.response_serializer
        if handler.unary_unary is not None:
            behaviour = _unary(handler.unary_unary, method, admit, self._done)
            return grpc.unary_unary_rpc_method_handler(behaviour, decode, encode)
        if handler.stream_unary is not None:
            behaviour = _unary(_reading(handler.stream_unary), method, admit, _uncounted)
            return grpc.stream_unary_rpc_method_handler(behaviour, decode, encode)
        streaming = handler.unary_stream
        if streaming is not None and inspect.isasyncgenfunction(streaming):
            relay = _yielding if self._spans else _writing
            behaviour = relay(streaming, method, admit, self._done)
            return grpc.unary_stream_rpc_method_handler(behaviour, decode, encode)
        if streaming is not None:
            behaviour = _other_stream(streaming, method, admit, reading=False)
            return grpc.unary_stream_rpc_method_handler(behaviour, decode, encode)
        behaviour = _other_stream(handler.stream_stream, method, admit, reading=True)
        return grpc.stream_stream_rpc_method_handler(behaviour, decode, encode)


class _EdgeGeneric(grpc.GenericRpcHandler):  # type: ignore[misc]
    """A generic handler whose method handlers come out wrapped. grpc.aio asks
    generic handlers per call, so each method's wrapper is built on its first
    call and kept (the generated ``add_*_to_server`` functions also register
    the same handlers by name, which the registrar wraps at once)."""

    def __init__(self, inner: Any, edge: Edge) -> None:
        self._inner = inner
        self._edge = edge
        self._wrapped: dict[str, tuple[Any, Any]] = {}

    def service(self, details: grpc.HandlerCallDetails) -> Any:
        handler = self._inner.service(details)
        if handler is None:
            return None
        method: str = details.method
        cached = self._wrapped.get(method)
        if cached is None or cached[0] is not handler:
            cached = self._wrapped[method] = (handler, self._edge.wrap(method, handler))
        return cached[1]


class EdgeRegistrar:
    """Stands in for a ``grpc.aio.Server`` where services are registered
    (``add_*Servicer_to_server``, health, reflection): forwards every
    registration with its method handlers wrapped by ``edge``."""

    def __init__(self, server: grpc.aio.Server, edge: Edge) -> None:
        self._server = server
        self._edge = edge

    def add_generic_rpc_handlers(self, handlers: Iterable[Any]) -> None:
        self._server.add_generic_rpc_handlers(tuple(_EdgeGeneric(h, self._edge) for h in handlers))

    def add_registered_method_handlers(self, service: str, handlers: Mapping[str, Any]) -> None:
        wrapped = {name: self._edge.wrap(f"/{service}/{name}", h) for name, h in handlers.items()}
        self._server.add_registered_method_handlers(service, wrapped)


def final_code(context: grpc.aio.ServicerContext, error: BaseException | None) -> grpc.StatusCode:
    """The status the RPC ended with (see the module docstring's table)."""
    set_code = context.code()
    if isinstance(set_code, grpc.StatusCode):
        return set_code
    if isinstance(set_code, int) and set_code in _BY_VALUE:  # grpc may keep the number
        return _BY_VALUE[set_code]
    if error is None or isinstance(error, GeneratorExit):
        return grpc.StatusCode.OK
    if isinstance(error, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.UNKNOWN


def code_name(error: BaseException | None) -> str:
    """The status code name an error ends an RPC with (the status table's)."""
    if error is None:
        return "OK"
    if isinstance(error, asyncio.CancelledError):
        return "CANCELLED"
    return str(rule_for(error).code.name)


def edge_telemetry(telemetry: Telemetry, tracing: Tracing | None) -> EdgeTelemetry:
    """Counting into ``telemetry.instruments``; with tracing on, spans marked
    and OpenTelemetry's server interceptor (health checks not traced)."""
    if tracing is None:
        return EdgeTelemetry(telemetry.instruments)
    from opentelemetry.instrumentation.grpc import aio_server_interceptor, filters

    spans = aio_server_interceptor(  # type: ignore[no-untyped-call]
        tracer_provider=tracing.provider, filter_=filters.negate(filters.health_check())
    )
    return EdgeTelemetry(telemetry.instruments, spans=True, interceptors=(spans,))


__all__ = [
    "Edge",
    "EdgeRegistrar",
    "EdgeTelemetry",
    "Undecodable",
    "code_name",
    "edge_telemetry",
    "final_code",
]
