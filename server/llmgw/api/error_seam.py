"""The one way an RPC of either service ends with an error.

``end_rpc(context, error, request_id, method)`` maps ``error`` through the
status table (``api/status.py``), logs what the caller must not see, and
aborts the RPC. Every servicer and the edge (authentication and the
backstop for escaped exceptions, ``api/edge.py``) end through it, so there is one
shape for every failure:

* a ``GatewayError`` answers its table row with its ``public_message``;
* anything else answers ``INTERNAL`` + ``ErrorInfo(INTERNAL)`` + a
  ``RequestInfo`` naming a request id, and never the exception's text (the
  log line carries the type and text, keyed by that request id, for the
  operator).

A request id is always attached: the caller's when it sent one, otherwise a
fresh one, so a report of any failure can be matched with the log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

import grpc

from llmgw.api.status import rule_for, to_status
from llmgw.domain.errors import GatewayError, UnimplementedError
from llmgw.domain.ids import new_id
from llmgw.observability.logging import get_logger

_log = get_logger("llmgw.api")


async def end_rpc(
    context: grpc.aio.ServicerContext, error: BaseException, request_id: str, method: str
) -> NoReturn:
    """Abort the RPC with the table's status for ``error`` (never returns)."""
    request_id = request_id or new_id()
    rule = rule_for(error)
    if isinstance(error, GatewayError):
        _log.info(
            "request failed",
            method=method,
            request_id=request_id,
            code=rule.code.name,
            reason=rule.reason,
            upstream_detail=getattr(error, "detail", "") or None,
        )
    else:
        _log.error(
            "internal error",
            method=method,
            request_id=request_id,
            error=f"{type(error).__name__}: {error}",
        )
    await context.abort_with_status(to_status(error, request_id))
    raise AssertionError("unreachable")  # abort_with_status raises


def unimplemented(service: str, method: str) -> Callable[[Any, Any, Any], Awaitable[Any]]:
    """A handler for an RPC of the contract this server does not implement:
    ``UNIMPLEMENTED`` with ``ErrorInfo(NOT_IMPLEMENTED)``, never grpc's bare default."""

    async def handler(_self: Any, _request: Any, context: grpc.aio.ServicerContext) -> Any:
        await end_rpc(context, UnimplementedError(f"{service}.{method}"), "", method)

    handler.__name__ = method
    return handler


__all__ = ["end_rpc", "unimplemented"]
