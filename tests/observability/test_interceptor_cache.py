"""The status interceptor's wrapper cache stays bounded.

It caches one wrapper per handler it is given; an inner interceptor (the
backstop) hands it a new handler object per call, so without a bound the
cache held every call's handler and wrapper for the life of the process
(~3 KB per RPC of resident memory, measured with ``bench/``).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import grpc
from llmgw.api.telemetry_interceptor import WRAPPED_MAX, TelemetryInterceptor


async def _behaviour(request: Any, context: Any) -> Any:
    return request


async def test_a_handler_per_call_does_not_grow_the_cache() -> None:
    interceptor = TelemetryInterceptor(instruments=None)  # type: ignore[arg-type]
    details = SimpleNamespace(method="/llmgateway.v1.GatewayService/Chat")
    for _ in range(WRAPPED_MAX * 3 + 5):
        handler = grpc.unary_unary_rpc_method_handler(_behaviour)

        async def continuation(_: Any, handler: Any = handler) -> Any:
            return handler

        wrapped = await interceptor.intercept_service(continuation, details)
        assert wrapped.unary_unary is not _behaviour  # wrapped, as before
        assert len(interceptor._wrapped) <= WRAPPED_MAX  # the bound is the point


async def test_a_stable_handler_is_wrapped_once() -> None:
    interceptor = TelemetryInterceptor(instruments=None)  # type: ignore[arg-type]
    details = SimpleNamespace(method="/llmgateway.v1.GatewayService/Chat")
    handler = grpc.unary_unary_rpc_method_handler(_behaviour)

    async def continuation(_: Any) -> Any:
        return handler

    first = await interceptor.intercept_service(continuation, details)
    assert await interceptor.intercept_service(continuation, details) is first
