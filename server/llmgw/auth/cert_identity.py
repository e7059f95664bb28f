"""Client-certificate identity (mTLS) -> ``Principal``.

gRPC has already verified the certificate against the configured client CA
bundle before any RPC runs; what is left is to name the caller. Each
configured identity matches one subject alternative name exactly (a SPIFFE
URI such as ``spiffe://cluster.local/ns/apps/sa/billing`` or a DNS name):
no wildcards, no common-name fallback, so a certificate proves only what
the operator wrote down. The first configured identity one of the peer's
SANs matches wins; a verified certificate that matches nothing proves
nothing (``UnauthenticatedError``, like an unknown API key).

The principal's ``subject`` is ``certs/<matched SAN>``: ledger rows and
audit entries name the workload.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from llmgw.domain.errors import UnauthenticatedError
from llmgw.domain.principal import Principal

NO_IDENTITY = "client certificate matches no configured identity"


class CertificateIdentities:
    """The configured ``tls.identities``, in configuration order."""

    def __init__(self, identities: Mapping[str, Principal]) -> None:
        self._identities = dict(identities)

    def __bool__(self) -> bool:
        return bool(self._identities)

    def principal(self, names: Iterable[str]) -> Principal:
        """The principal of the first identity one of ``names`` (the peer's
        SANs) matches; ``UnauthenticatedError`` when none does."""
        presented = set(names)
        for match, principal in self._identities.items():
            if match in presented:
                return principal
        raise UnauthenticatedError(NO_IDENTITY)
