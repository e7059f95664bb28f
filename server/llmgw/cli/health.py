"""``llmgw health``: a ``grpc.health.v1`` Check for probes and the image's
HEALTHCHECK (exit 0 only when SERVING; unreachable is 1, with one line saying
why)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer


def health(
    address: Annotated[str, typer.Option("--address", "-a", help="host:port")] = "127.0.0.1:50051",
    service: Annotated[
        str, typer.Option(help='"", liveness, readiness or llmgateway.v1.GatewayService.')
    ] = "readiness",
    timeout: Annotated[float, typer.Option(help="Seconds for the whole check.")] = 3.0,
    tls_ca: Annotated[str, typer.Option(help="CA bundle (PEM): use TLS.")] = "",
    tls_cert: Annotated[str, typer.Option(help="Client certificate (PEM), for mTLS.")] = "",
    tls_key: Annotated[str, typer.Option(help="Client key (PEM), for mTLS.")] = "",
    tls_server_name: Annotated[str, typer.Option(help="Name the server cert must carry.")] = "",
) -> None:
    """grpc.health.v1 Check: exit 0 when SERVING, 1 otherwise (unreachable included)."""
    from llmgw.api.health_client import TlsMaterial, check_health
    from llmgw.app import read_pem_files
    from llmgw.config import ConfigError

    try:
        ca, cert, key = read_pem_files(tls_ca, tls_cert, tls_key)
    except ConfigError as exc:
        typer.echo(f"unhealthy: {exc}")
        raise typer.Exit(1) from exc
    tls = TlsMaterial(ca, cert, key, tls_server_name) if tls_ca or tls_cert else None
    result = asyncio.run(check_health(address, service, timeout, tls))
    typer.echo(("healthy: " if result.serving else "unhealthy: ") + result.message)
    raise typer.Exit(0 if result.serving else 1)


__all__ = ["health"]
