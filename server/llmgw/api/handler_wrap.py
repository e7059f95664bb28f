"""Rewrap a grpc.aio method handler, keeping its cardinality.

grpc.aio dispatches on the streaming flags of the handler an interceptor
returns, so an interceptor that wraps behaviour must build a handler of the
same kind. ``rewrap`` does that once for the four kinds: ``around_unary``
wraps the behaviours that return one response (unary-unary, stream-unary),
``around_stream`` those that yield responses (unary-stream, stream-stream;
a streaming behaviour that writes with ``context.write`` and returns a
coroutine is adapted to an async iterator that yields nothing). The request
deserializer can be replaced too (``api/backstop.py`` does, for malformed
bytes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

Unary = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]
Streaming = Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]]
Deserializer = Callable[[bytes], Any] | None


def rewrap(
    handler: grpc.RpcMethodHandler,
    around_unary: Callable[[Unary], Unary],
    around_stream: Callable[[Streaming], Streaming],
    deserializer: Callable[[Deserializer], Deserializer] = lambda d: d,
) -> grpc.RpcMethodHandler:
    """``handler`` with its behaviour wrapped (and optionally its deserializer)."""
    h: Any = handler
    request_deserializer = deserializer(h.request_deserializer)
    if h.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            around_unary(h.unary_unary), request_deserializer, h.response_serializer
        )
    if h.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(
            around_unary(h.stream_unary), request_deserializer, h.response_serializer
        )
    inner = h.unary_stream if h.unary_stream is not None else h.stream_stream
    wrapped = around_stream(_as_iterator(inner))
    if h.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            wrapped, request_deserializer, h.response_serializer
        )
    return grpc.stream_stream_rpc_method_handler(
        wrapped, request_deserializer, h.response_serializer
    )


def _as_iterator(behaviour: Callable[..., Any]) -> Streaming:
    def call(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        return _items(behaviour(request, context))

    return call


async def _items(result: Any) -> AsyncIterator[Any]:
    """Items of a streaming behaviour: an async generator, or a coroutine that
    writes with ``context.write`` and yields nothing here."""
    if hasattr(result, "__aiter__"):
        async for item in result:
            yield item
    else:
        await result


__all__ = ["Streaming", "Unary", "rewrap"]
