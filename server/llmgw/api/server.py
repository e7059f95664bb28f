"""The two gRPC servers (data plane, admin plane) and their lifecycle.

Data plane (``--listen``): ``GatewayService`` + ``grpc.health.v1.Health`` +
reflection. Admin plane (``--admin-listen``, loopback by default):
``AdminService`` + health + reflection. Health service names:

* ``liveness``: the process serves RPCs (SERVING until the servers stop);
* ``readiness`` and ``llmgateway.v1.GatewayService``: may take traffic, as
  ``publish`` reports it (``control.readiness``: required backends up, the
  default route not all down), NOT_SERVING from ``begin_drain`` on;
* ``""`` (overall): SERVING from start to ``begin_drain``;
* ``llmgateway.v1.backends/<name>``: that backend's last probe passed and
  not every one of its models' breakers is open.

Both ports answer the same readiness and backend names. With ``ServerOptions.tls`` both ports
serve TLS (mTLS when the material has a client CA; ``api.tls``), else
plaintext.

Message size limits are explicit (gRPC's default receive limit is 4 MiB, too
small for image parts and embedding batches): receive 16 MiB, send 64 MiB by
default, both configurable.

Shutdown is two steps so the owner can wait between them: ``begin_drain()``
turns readiness and the overall status NOT_SERVING while the servers keep
accepting (endpoints update); ``stop(grace)`` then refuses new RPCs and gives
in-flight calls and streams ``grace`` seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
)

from llmgw.api.admin.backend_create import Credentials
from llmgw.api.admin.costs import CostPlane
from llmgw.api.admin.keys import KeyAdmin
from llmgw.api.admin.servicer import AdminParts, AdminServicer
from llmgw.api.authz import ADMIN_PLANE, DATA_PLANE, AccessRules
from llmgw.api.edge import Edge, EdgeRegistrar, EdgeTelemetry
from llmgw.api.edge_auth import Admission
from llmgw.api.gateway_servicer import GatewayServicer, HandlerOptions
from llmgw.api.reflection import enable_reflection
from llmgw.api.tls import CertificateSource, server_credentials
from llmgw.api.validation import NO_SIZE_LIMITS, SizeLimits
from llmgw.auth.authenticator import Authenticator
from llmgw.auth.cert_identity import CertificateIdentities
from llmgw.control.probes import Prober
from llmgw.control.readiness import Readiness, ReadinessWatcher, gateway_sources
from llmgw.domain.backends import BackendSpec
from llmgw.outbound.endpoint_guard import EndpointGuard
from llmgw.pipeline.gateway import Gateway
from llmgw.pipeline.token_count import TokenCounter
from llmgw.providers.base import Provider
from llmgw.storage.audit import AuditStore

GATEWAY_SERVICE = gateway_service_pb2.DESCRIPTOR.services_by_name["GatewayService"].full_name
ADMIN_SERVICE = admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name
HEALTH_NAMES = ("", "liveness", "readiness", GATEWAY_SERVICE)
BACKEND_HEALTH_PREFIX = "llmgateway.v1.backends/"
_HEALTH_SERVICE = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass(frozen=True, slots=True)
class ServerOptions:
    listen: str
    admin_listen: str
    default_deadline_seconds: float
    max_receive_message_bytes: int
    max_send_message_bytes: int
    max_embedding_batch: int
    size_limits: SizeLimits = NO_SIZE_LIMITS
    # One certificate source per listener (None: plaintext); see api/tls.py.
    tls: Callable[[], CertificateSource] | None = None
    identities: CertificateIdentities | None = None
    # Backends that must pass their probe before readiness is SERVING.
    required_backends: tuple[str, ...] = ()
    readiness_interval_seconds: float = 2.0
    token_counter: TokenCounter | None = None
    # Final codes counted (and, with tracing on, OpenTelemetry's interceptor); api/edge.py.
    telemetry: EdgeTelemetry | None = None


def _channel_options(options: ServerOptions) -> list[tuple[str, int]]:
    """Explicit message size limits, no port sharing, keepalive pings allowed."""
    return [
        ("grpc.max_receive_message_length", options.max_receive_message_bytes),
        ("grpc.max_send_message_length", options.max_send_message_bytes),
        ("grpc.so_reuseport", 0),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ]


def _server(
    parts: ServerParts, plane: AccessRules, options: ServerOptions
) -> tuple[grpc.aio.Server, grpc.aio.Server]:
    """A ``grpc.aio`` server and the registrar its services are added through:
    every method handler wrapped once by the edge (api/edge.py), with the
    plane's deny-by-default admission when authentication is on. The only
    interceptor is OpenTelemetry's, with tracing on."""
    telemetry = options.telemetry
    interceptors = telemetry.interceptors if telemetry is not None else ()
    server = grpc.aio.server(options=_channel_options(options), interceptors=interceptors or None)
    admission = None
    if parts.authenticator:
        admission = Admission(parts.authenticator, plane, options.identities)
    # The registrar has the two registration methods the add_* functions call.
    return server, cast(grpc.aio.Server, EdgeRegistrar(server, Edge(telemetry, admission)))


@dataclass(frozen=True, slots=True)
class ServerParts:
    """What the servers work on besides the pipeline and the options
    (``None``: absent; the RPCs that need it answer as documented there).
    ``authenticator`` set: one deny-by-default admission per port."""

    specs: Sequence[BackendSpec] = ()
    prober: Prober | None = None
    rebuild: Callable[[BackendSpec], Provider] | None = None
    costs: CostPlane | None = None
    audit: AuditStore | None = None
    endpoints: EndpointGuard | None = None
    authenticator: Authenticator | None = None
    key_admin: KeyAdmin | None = None
    credentials: Credentials | None = None


class GatewayServers:
    """Owns both ``grpc.aio`` servers and the health state."""

    def __init__(
        self, gateway: Gateway, options: ServerOptions, parts: ServerParts | None = None
    ) -> None:
        parts = parts or ServerParts()
        self._options = options
        self._draining = False
        self._started = False
        models = {spec.name: [m.id for m in spec.models] for spec in parts.specs}
        sources = gateway_sources(gateway, parts.prober, options.required_backends, models)
        self._readiness = ReadinessWatcher(
            sources, self.publish, options.readiness_interval_seconds
        )
        self._data, data = _server(parts, DATA_PLANE, options)
        self._admin, admin = _server(parts, ADMIN_PLANE, options)
        self._health = health_aio.HealthServicer()
        self._admin_health = health_aio.HealthServicer()
        gateway_service_pb2_grpc.add_GatewayServiceServicer_to_server(
            GatewayServicer(
                gateway,
                HandlerOptions(
                    options.default_deadline_seconds,
                    options.max_embedding_batch,
                    options.size_limits,
                    options.token_counter,
                ),
            ),
            data,
        )
        # Handlers are attached from the service descriptor (see api/admin/servicer.py).
        admin_service_pb2_grpc.add_AdminServiceServicer_to_server(
            AdminServicer(gateway, self._admin_parts(parts)), admin
        )
        self._add_health_and_reflection(data, admin)

    def _admin_parts(self, parts: ServerParts) -> AdminParts:
        return AdminParts(
            parts.specs,
            lambda: self._draining,
            parts.prober,
            parts.rebuild,
            parts.costs or CostPlane(),
            parts.audit,
            parts.endpoints,
            parts.key_admin,
            parts.credentials or (lambda _name: None),
        )

    def _add_health_and_reflection(self, data: grpc.aio.Server, admin: grpc.aio.Server) -> None:
        for server, health, service in (
            (data, self._health, GATEWAY_SERVICE),
            (admin, self._admin_health, ADMIN_SERVICE),
        ):
            health_pb2_grpc.add_HealthServicer_to_server(health, server)
            enable_reflection((service, _HEALTH_SERVICE), server)

    async def start(self) -> tuple[int, int]:
        """Bind and start both servers; returns the bound (data, admin) ports.

        Liveness and the overall status are SERVING at once; readiness is
        NOT_SERVING until the first assessment (made before returning:
        required backends probed once), then kept current in the background."""
        data_port = _bind(self._data, self._options.listen, self._options.tls)
        admin_port = _bind(self._admin, self._options.admin_listen, self._options.tls)
        await self._data.start()
        await self._admin.start()
        self._started = True
        for name in ("", "liveness"):
            await self._health.set(name, _SERVING)
            await self._admin_health.set(name, _SERVING)
        await self._admin_health.set(ADMIN_SERVICE, _SERVING)
        await self.publish(Readiness(False, "starting"))
        await self._readiness.start()
        return data_port, admin_port

    async def publish(self, readiness: Readiness) -> None:
        """Set readiness (both ports) and the per-backend names; ignored once draining."""
        if self._draining:
            return
        status = _SERVING if readiness.serving else _NOT_SERVING
        for name in ("readiness", GATEWAY_SERVICE):
            await self._health.set(name, status)
        await self._admin_health.set("readiness", status)
        for backend, up in (readiness.backends or {}).items():
            backend_status = _SERVING if up else _NOT_SERVING
            await self._health.set(BACKEND_HEALTH_PREFIX + backend, backend_status)
            await self._admin_health.set(BACKEND_HEALTH_PREFIX + backend, backend_status)

    async def begin_drain(self) -> None:
        """Readiness and the overall status NOT_SERVING; servers keep accepting."""
        self._draining = True
        await self._readiness.stop()
        for health, names in (
            (self._health, ("", "readiness", GATEWAY_SERVICE)),
            (self._admin_health, ("", "readiness", ADMIN_SERVICE)),
        ):
            for name in names:
                await health.set(name, _NOT_SERVING)

    async def shutdown(self, delay: float, grace: float) -> None:
        """The rollout sequence: ``begin_drain``, keep serving ``delay`` seconds
        (new calls arriving while endpoints update are still answered), then
        ``stop(grace)``. A start that failed skips the delay."""
        await self.begin_drain()
        await asyncio.sleep(delay if self._started else 0)
        await self.stop(grace)

    async def stop(self, grace: float) -> None:
        """Drain (if not begun), every name NOT_SERVING, then stop both servers:
        no new RPCs, in-flight ones get ``grace`` seconds."""
        await self.begin_drain()
        await self._health.enter_graceful_shutdown()
        await self._admin_health.enter_graceful_shutdown()
        await asyncio.gather(self._data.stop(grace), self._admin.stop(grace))


def _bind(
    server: grpc.aio.Server, address: str, tls: Callable[[], CertificateSource] | None
) -> int:
    """Bind ``address`` (TLS when ``tls`` is given); a taken port or a bad
    address is an ``OSError`` naming it."""
    try:
        if tls is None:
            port: int = server.add_insecure_port(address)
        else:
            port = server.add_secure_port(address, server_credentials(tls()))
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {address}: {exc}") from exc
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return port


__all__ = [
    "HEALTH_NAMES",
    "GatewayServers",
    "ServerOptions",
    "ServerParts",
]
