"""The two gRPC servers (data plane, admin plane) and their lifecycle.

Data plane (``--listen``): ``GatewayService`` + ``grpc.health.v1.Health`` +
reflection. Admin plane (``--admin-listen``, loopback by default):
``AdminService`` + health + reflection. Health service names: ``""``
(overall), ``liveness``, ``readiness`` and ``llmgateway.v1.GatewayService``.

Message size limits are explicit (gRPC's default receive limit is 4 MiB, too
small for image parts and embedding batches): receive 16 MiB, send 64 MiB by
default, both configurable.

``stop(grace)``: every health name goes ``NOT_SERVING`` first (readiness fails,
load balancers drain the pod), then both servers stop accepting and give
in-flight RPCs ``grace`` seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
)

from llmgw.api.admin.backend_create import Credentials
from llmgw.api.admin.costs import CostPlane
from llmgw.api.admin.keys import KeyAdmin
from llmgw.api.admin.servicer import AdminServicer
from llmgw.api.auth_interceptor import AuthInterceptor
from llmgw.api.authz import ADMIN_PLANE, DATA_PLANE
from llmgw.api.gateway_servicer import GatewayServicer, HandlerOptions
from llmgw.api.validation import NO_SIZE_LIMITS, SizeLimits
from llmgw.auth.authenticator import Authenticator
from llmgw.control.probes import Prober
from llmgw.domain.backends import BackendSpec
from llmgw.outbound.endpoint_guard import EndpointGuard
from llmgw.pipeline.gateway import Gateway
from llmgw.providers.base import Provider
from llmgw.storage.audit import AuditStore

GATEWAY_SERVICE = gateway_service_pb2.DESCRIPTOR.services_by_name["GatewayService"].full_name
ADMIN_SERVICE = admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name
HEALTH_NAMES = ("", "liveness", "readiness", GATEWAY_SERVICE)
_HEALTH_SERVICE = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name


@dataclass(frozen=True, slots=True)
class ServerOptions:
    listen: str
    admin_listen: str
    default_deadline_seconds: float
    max_receive_message_bytes: int
    max_send_message_bytes: int
    max_embedding_batch: int
    size_limits: SizeLimits = NO_SIZE_LIMITS
    interceptors: tuple[Any, ...] = ()  # telemetry's, outermost first (before auth)


class GatewayServers:
    """Owns both ``grpc.aio`` servers and the health state."""

    def __init__(
        self,
        gateway: Gateway,
        options: ServerOptions,
        specs: Sequence[BackendSpec] = (),
        prober: Prober | None = None,
        rebuild: Callable[[BackendSpec], Provider] | None = None,
        costs: CostPlane | None = None,
        audit: AuditStore | None = None,
        endpoints: EndpointGuard | None = None,
        authenticator: Authenticator | None = None,
        key_admin: KeyAdmin | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self._options = options
        self._draining = False
        channel_options = [
            ("grpc.max_receive_message_length", options.max_receive_message_bytes),
            ("grpc.max_send_message_length", options.max_send_message_bytes),
            ("grpc.so_reuseport", 0),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        ]
        # Authentication on: one deny-by-default interceptor per port (api/authz.py).
        data_auth = [AuthInterceptor(authenticator, DATA_PLANE)] if authenticator else []
        admin_auth = [AuthInterceptor(authenticator, ADMIN_PLANE)] if authenticator else []
        first = list(options.interceptors)
        self._data = grpc.aio.server(options=channel_options, interceptors=first + data_auth)
        self._admin = grpc.aio.server(options=channel_options, interceptors=first + admin_auth)
        self._health = health_aio.HealthServicer()
        self._admin_health = health_aio.HealthServicer()
        gateway_service_pb2_grpc.add_GatewayServiceServicer_to_server(
            GatewayServicer(
                gateway,
                HandlerOptions(
                    options.default_deadline_seconds,
                    options.max_embedding_batch,
                    options.size_limits,
                ),
            ),
            self._data,
        )
        # Handlers are attached from the service descriptor (see admin_servicer).
        admin_service_pb2_grpc.add_AdminServiceServicer_to_server(
            AdminServicer(
                gateway,
                specs,
                lambda: self._draining,
                prober,
                rebuild,
                costs,
                audit=audit,
                endpoints=endpoints,
                keys=key_admin,
                credentials=credentials,
            ),
            self._admin,
        )
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._data)
        health_pb2_grpc.add_HealthServicer_to_server(self._admin_health, self._admin)
        reflection.enable_server_reflection(
            (GATEWAY_SERVICE, _HEALTH_SERVICE, reflection.SERVICE_NAME), self._data
        )
        reflection.enable_server_reflection(
            (ADMIN_SERVICE, _HEALTH_SERVICE, reflection.SERVICE_NAME), self._admin
        )

    async def start(self) -> tuple[int, int]:
        """Bind and start both servers; returns the bound (data, admin) ports."""
        data_port = _bind(self._data, self._options.listen)
        admin_port = _bind(self._admin, self._options.admin_listen)
        await self._data.start()
        await self._admin.start()
        for name in HEALTH_NAMES:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        for name in ("", "liveness", "readiness", ADMIN_SERVICE):
            await self._admin_health.set(name, health_pb2.HealthCheckResponse.SERVING)
        return data_port, admin_port

    async def stop(self, grace: float) -> None:
        """NOT_SERVING everywhere, then stop both servers with ``grace`` seconds."""
        self._draining = True
        await self._health.enter_graceful_shutdown()
        await self._admin_health.enter_graceful_shutdown()
        await asyncio.gather(self._data.stop(grace), self._admin.stop(grace))


def _bind(server: grpc.aio.Server, address: str) -> int:
    """Bind ``address``; a taken port or a bad address is an ``OSError`` naming it."""
    try:
        port: int = server.add_insecure_port(address)
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {address}: {exc}") from exc
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return port
