"""The server-side backstop: no handler of either service can answer ``UNKNOWN``.

Installed as the outermost interceptor of both servers (``api/server.py``),
it wraps every method handler (all four cardinalities, ``api/handler_wrap``):

* **Undecodable requests.** grpc.aio runs the request deserializer before any
  handler, and a deserializer that raises becomes ``UNKNOWN`` with the
  ``DecodeError`` text. The backstop's deserializer never raises: bytes that
  do not parse as the method's request type (invalid UTF-8 in a string
  field, a truncated message, an overlong varint, nesting past the decoder's
  depth) become an ``Undecodable`` marker, and the behaviour answers
  ``INVALID_ARGUMENT`` + ``BadRequest(field "request", reason
  "MALFORMED_MESSAGE")`` without running the handler. This happens before
  authentication, like grpc's own framing and size checks: nothing of the
  message is read, so nothing is revealed. (For a request-streaming method,
  none in v1, the marker raises that error when the handler reads it.)
* **Escaped exceptions.** An exception that leaves a handler (or the
  authentication interceptor) other than the abort that ends an RPC goes
  through ``error_seam.end_rpc``: ``INTERNAL`` with a request id and no
  exception text. A unary handler that returns ``None`` is ``INTERNAL`` too.
  Cancellation is not an error and propagates untouched.

Servicers still end their RPCs themselves through ``end_rpc`` (with the
caller's request id); the backstop is the guarantee, not the normal path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from llmgw.api.error_seam import end_rpc
from llmgw.api.handler_wrap import Deserializer, Streaming, Unary, rewrap
from llmgw.domain.errors import FieldViolation, InvalidRequestError


class Undecodable:
    """What the backstop's deserializer returns for bytes that do not parse."""

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


def _tolerant(deserializer: Deserializer) -> Deserializer:
    if deserializer is None:
        return None
    owner = getattr(deserializer, "__self__", None)
    type_name = getattr(owner, "__name__", "request message")

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


def _request(request: Any) -> Any:
    return _checked(request) if hasattr(request, "__aiter__") else request


def _around_unary(method: str) -> Callable[[Unary], Unary]:
    def wrap(inner: Unary) -> Unary:
        async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if isinstance(request, Undecodable):
                await end_rpc(context, request.error(), "", method)
            try:
                response = await inner(_request(request), context)
            except grpc.aio.AbortError:
                raise  # the RPC already ended through the seam
            except Exception as exc:
                await end_rpc(context, exc, "", method)
            if response is None:
                await end_rpc(context, _ReturnedNothing(method), "", method)
            return response

        return behaviour

    return wrap


def _around_stream(method: str) -> Callable[[Streaming], Streaming]:
    def wrap(inner: Streaming) -> Streaming:
        async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            if isinstance(request, Undecodable):
                await end_rpc(context, request.error(), "", method)
            try:
                async for item in inner(_request(request), context):
                    yield item
            except grpc.aio.AbortError:
                raise
            except Exception as exc:
                await end_rpc(context, exc, "", method)

        return behaviour

    return wrap


class Backstop(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Outermost interceptor of both servers (see the module docstring)."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method: str = handler_call_details.method
        return rewrap(handler, _around_unary(method), _around_stream(method), _tolerant)


__all__ = ["Backstop", "Undecodable"]
