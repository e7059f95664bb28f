"""TLS material as the servers consume it: PEM bytes, already read and checked."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TlsMaterial:
    """A server certificate chain, its private key and, for mTLS, the client CA
    bundle (``None``: clients are not asked for a certificate)."""

    certificate_chain: bytes
    private_key: bytes = b""
    client_ca: bytes | None = None

    def __repr__(self) -> str:  # the key never reaches a log line
        mtls = self.client_ca is not None
        return f"TlsMaterial(chain={len(self.certificate_chain)}B, mtls={mtls})"
