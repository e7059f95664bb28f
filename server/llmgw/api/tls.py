"""Server TLS credentials that pick up renewed certificate files.

``server_credentials(source)`` builds ``grpc.dynamic_ssl_server_credentials``:
gRPC calls the fetcher at every new connection's handshake; it returns a new
certificate configuration only when ``source.changed()`` has one (files
rotated), else ``None`` (keep the current one). Connections already open keep
the certificate they were made with (a stream open across a rotation is not
disturbed); new connections get the renewed one.

With a client CA bundle the server requires and verifies a client
certificate (mTLS); a client without one fails the handshake. Each listener
needs its own source (a fetcher consumes the change it reports).
"""

from __future__ import annotations

from typing import Protocol

import grpc

from llmgw.domain.tls import TlsMaterial
from llmgw.observability.logging import get_logger

log = get_logger("llmgw.tls")


class CertificateSource(Protocol):
    def read(self) -> TlsMaterial: ...

    def changed(self) -> TlsMaterial | None: ...


def server_credentials(source: CertificateSource) -> grpc.ServerCredentials:
    """TLS (or mTLS when the material has a client CA) reloading from ``source``."""
    initial = source.read()

    def fetch() -> grpc.ServerCertificateConfiguration | None:
        # Runs in gRPC's handshake path: never raise (that would fail the
        # handshake), keep the current certificate instead.
        try:
            material = source.changed()
            return None if material is None else _configuration(material)
        except Exception as exc:
            log.warning(
                "tls reload failed; keeping the current certificate", error=type(exc).__name__
            )
            return None

    return grpc.dynamic_ssl_server_credentials(
        _configuration(initial),
        fetch,
        require_client_authentication=initial.client_ca is not None,
    )


def _configuration(material: TlsMaterial) -> grpc.ServerCertificateConfiguration:
    return grpc.ssl_server_certificate_configuration(
        [(material.private_key, material.certificate_chain)],
        root_certificates=material.client_ca,
    )


def peer_names(auth_context: dict[str, list[bytes]]) -> list[str]:
    """The verified peer certificate's subject alternative names (URI, DNS, ...)."""
    names = auth_context.get("x509_subject_alternative_name", [])
    return [n.decode("utf-8", "replace") for n in names]
