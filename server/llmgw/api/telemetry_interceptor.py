"""Every RPC's final status code: counted, and put on the trace's server span.

Installed first on both ports (inside the OpenTelemetry server interceptor
when tracing is on). It wraps unary-unary and unary-stream handlers, keeping
their cardinality, and after the handler ends (returned, aborted, raised,
cancelled, or the stream was closed) it reads the code the RPC ended with:

==========================================  ==============================
the handler                                 code
==========================================  ==============================
returned / stream ended                     ``context.code()`` or OK
aborted (``abort``/``abort_with_status``)   the code it aborted with
cancelled (client went away)                CANCELLED
raised anything else                        UNKNOWN (grpc's own answer)
==========================================  ==============================

and counts ``llmgw_rpc_requests_total{rpc, code}`` and sets
``rpc.grpc.status_code`` (and ERROR for server-fault codes) on the current
span. This is the one place every RPC is counted, exactly once, whatever its
outcome, including a StreamChat refused before the chain (validation,
authentication).

A server-streaming handler (an async generator) is wrapped without a
generator hop per message: the wrapper is a *coroutine* handler that
iterates the inner generator and writes each message with
``context.write`` -- the loop grpc.aio itself runs for a generator handler
(``_finish_handler_with_stream_responses``: ``async for`` + ``await
servicer_context.write``), so the per-message work is unchanged; only the
opening and the end are observed. With tracing on, OpenTelemetry's
interceptor wraps ours and iterates it, so there the wrapper stays an async
generator (one hop per message, next to OpenTelemetry's own).

Setting the span's code fixes what ``opentelemetry-instrumentation-grpc`` gets
wrong when it wraps a grpc.aio server from outside: its servicer-context
proxy does not intercept ``abort_with_status`` (the only way this gateway
ends an RPC with an error), so a ``NOT_FOUND`` stream was recorded as status
code 0 and UNSET.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from llmgw.api.status import rule_for
from llmgw.observability.metrics import Instruments
from llmgw.observability.tracing import Tracing, mark_rpc_status
from llmgw.pipeline.steps.telemetry import Telemetry

_BY_VALUE = {code.value[0]: code for code in grpc.StatusCode}
WRAPPED_MAX = 256  # cached wrappers; more than the methods of both planes


class TelemetryInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Wraps each method's handler once (cached by handler): per RPC the cost is
    one dictionary look-up, one coroutine frame and the count."""

    def __init__(self, instruments: Instruments, spans: bool = False) -> None:
        self._instruments = instruments
        self._spans = spans  # tracing on: mark the server span too
        self._wrapped: dict[int, tuple[Any, Any]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler: Any = await continuation(handler_call_details)
        if handler is None:
            return handler
        cached = self._wrapped.get(id(handler))
        if cached is None or cached[0] is not handler:
            if len(self._wrapped) >= WRAPPED_MAX:  # an inner interceptor that makes a
                self._wrapped.clear()  # handler per call (the backstop) must not pile up
            rpc = str(handler_call_details.method).rsplit("/", 1)[-1]
            cached = self._wrapped[id(handler)] = (handler, self._wrap(handler, rpc))
        return cached[1]

    def _wrap(self, handler: Any, rpc: str) -> Any:
        """``handler`` with its end counted, same cardinality (see the module docstring)."""
        done = self._done
        if handler.unary_unary is not None:
            inner = handler.unary_unary

            async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                error: BaseException | None = None
                try:
                    return await inner(request, context)
                except BaseException as exc:
                    error = exc
                    raise
                finally:
                    done(rpc, context, error)

            return grpc.unary_unary_rpc_method_handler(
                unary_unary, handler.request_deserializer, handler.response_serializer
            )
        if handler.unary_stream and inspect.isasyncgenfunction(handler.unary_stream):
            wrap = _yielding if self._spans else _writing
            return grpc.unary_stream_rpc_method_handler(
                wrap(handler.unary_stream, rpc, done),
                handler.request_deserializer,
                handler.response_serializer,
            )
        return handler  # write-style and client-streaming handlers (reflection) are not ours

    def _done(
        self, rpc: str, context: grpc.aio.ServicerContext, error: BaseException | None
    ) -> None:
        code = final_code(context, error)
        self._instruments.rpc_done(rpc, code.name)
        if self._spans:
            mark_rpc_status(code.value[0], code.name)


Done = Callable[[str, grpc.aio.ServicerContext, BaseException | None], None]


def _writing(inner: Any, rpc: str, done: Done) -> Any:
    """A coroutine handler relaying ``inner``'s messages with ``context.write``
    (grpc.aio's own loop for a generator handler, so no hop is added)."""

    async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> None:
        error: BaseException | None = None
        try:
            async for item in inner(request, context):
                await context.write(item)
        except BaseException as exc:
            error = exc
            raise
        finally:
            done(rpc, context, error)

    return unary_stream


def _yielding(inner: Any, rpc: str, done: Done) -> Any:
    """An async generator handler re-yielding ``inner``'s messages (for
    OpenTelemetry's wrapper, which iterates the handler it wraps)."""

    async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
        error: BaseException | None = None
        try:
            async for item in inner(request, context):  # one hop per message
                yield item
        except BaseException as exc:
            error = exc
            raise
        finally:
            done(rpc, context, error)

    return unary_stream


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


def server_interceptors(telemetry: Telemetry, tracing: Tracing | None) -> tuple[Any, ...]:
    """The telemetry interceptors, outermost first: OpenTelemetry's server
    spans (with tracing on; health checks not traced), then ours (counting
    into ``telemetry.instruments``)."""
    ours = TelemetryInterceptor(telemetry.instruments, spans=tracing is not None)
    if tracing is None:
        return (ours,)
    from opentelemetry.instrumentation.grpc import aio_server_interceptor, filters

    spans = aio_server_interceptor(  # type: ignore[no-untyped-call]
        tracer_provider=tracing.provider, filter_=filters.negate(filters.health_check())
    )
    return (spans, ours)


__all__ = ["TelemetryInterceptor", "code_name", "final_code", "server_interceptors"]
