"""A grpc.health.v1 ``Check`` client for ``llmgw health`` (image HEALTHCHECK,
Kubernetes exec probes under TLS). Plain values in, plain values out: the CLI
reads any certificate files and prints the one-line message."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


@dataclass(frozen=True, slots=True)
class TlsMaterial:
    """PEM bytes for a TLS channel: the CA that signed the server's certificate,
    and (mTLS) the client certificate chain and its key. ``server_name``
    overrides the name checked against the certificate (a probe dials
    127.0.0.1, which the certificate rarely names)."""

    ca: bytes | None = None
    cert: bytes | None = None
    key: bytes | None = None
    server_name: str = ""


@dataclass(frozen=True, slots=True)
class HealthResult:
    serving: bool
    message: str


async def check_health(
    address: str, service: str, deadline_seconds: float, tls: TlsMaterial | None = None
) -> HealthResult:
    """One ``Check`` against ``service`` at ``address`` within ``deadline_seconds``.
    ``serving`` only for ``SERVING``; unreachable, unknown service, timeouts and
    every other status are not serving, with the reason in ``message``."""
    label = f"{address} service={service or '(overall)'}"
    if tls is None:
        channel = grpc.aio.insecure_channel(address)
    else:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=tls.ca, private_key=tls.key, certificate_chain=tls.cert
        )
        options = (
            [("grpc.ssl_target_name_override", tls.server_name)] if tls.server_name else []
        )
        channel = grpc.aio.secure_channel(address, credentials, options=options)
    async with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = await stub.Check(
                health_pb2.HealthCheckRequest(service=service),
                timeout=deadline_seconds,
                wait_for_ready=False,
            )
        except grpc.aio.AioRpcError as exc:
            details = (exc.details() or "").splitlines()[0:1]
            why = f"{exc.code().name}: {details[0]}" if details else exc.code().name
            return HealthResult(False, f"{label}: {why}")
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    serving = reply.status == health_pb2.HealthCheckResponse.SERVING
    return HealthResult(serving, f"{label}: {status}")
