"""``llmgateway.v1.AdminService`` on the admin plane.

The whole admin contract is published (reflection shows it) but this version
serves none of it yet: every method answers ``UNIMPLEMENTED`` with
``ErrorInfo(NOT_IMPLEMENTED, method=...)`` through the status table, instead
of grpc's bare default. Later versions replace handlers one by one
(backends and switching, costs and budgets, audit).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc

from llmgw.api.status import to_status
from llmgw.domain.errors import UnimplementedError

SERVICE = admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"]


def _unimplemented(method: str) -> Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Any]]:
    async def handler(_self: Any, _request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort_with_status(to_status(UnimplementedError(f"AdminService.{method}"), ""))

    handler.__name__ = method
    return handler


class AdminServicer(admin_service_pb2_grpc.AdminServiceServicer):
    """Every AdminService method, answering UNIMPLEMENTED with ErrorInfo."""


for _method in SERVICE.methods:
    setattr(AdminServicer, _method.name, _unimplemented(_method.name))
