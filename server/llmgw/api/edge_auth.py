"""Authentication + authorization at the edge (one ``Admission`` per port).

``admit_for(method)`` is asked once per method, when the edge wraps its
handler (``api/edge.py``). For a method the port's ``AccessRules`` open
(health, data-plane reflection) it answers ``None`` and the handler runs
untouched. For every other method it answers the coroutine the edge awaits
first, inside the RPC's own task, which:

1. reads the credential from metadata (``authorization: Bearer <key or
   JWT>``, else ``x-api-key``), never from a request field;
2. authenticates it (``UNAUTHENTICATED`` + ``API_KEY_INVALID`` otherwise);
   with no such credential and mTLS identities configured, the verified
   client certificate's SANs name the principal instead (``auth.cert_identity``);
   an unreachable key store is ``UNAVAILABLE`` + ``RetryInfo`` (see
   ``auth/authenticator.py`` for the keys still served from the cache);
   any other failure ends through ``api/error_seam.py`` like every RPC;
3. checks the method's scope (``PERMISSION_DENIED`` + ``PERMISSION_DENIED``;
   a method with no rule is always denied);
4. sets ``current_principal()`` for the handler and returns the token the
   edge resets it with after.

Failures are logged with the method and the reason class, never the
credential. Admission exists only when authentication is on; otherwise
handlers see ``ANONYMOUS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import grpc

from llmgw.api.authz import AccessRules, Needed
from llmgw.api.error_seam import end_rpc
from llmgw.api.principal_context import set_principal
from llmgw.api.tls import peer_names
from llmgw.auth.authenticator import Authenticator
from llmgw.auth.cert_identity import CertificateIdentities
from llmgw.auth.jwt_verifier import JwtRejected
from llmgw.domain.errors import ScopeDeniedError, UnauthenticatedError
from llmgw.domain.principal import Scope
from llmgw.observability.logging import get_logger

log = get_logger("llmgw.auth")
Metadata = Sequence[tuple[str, str | bytes]] | None
Admit = Callable[[grpc.aio.ServicerContext], Awaitable[object]]


def credential_from(metadata: Metadata) -> str:
    """The presented credential: ``authorization: Bearer X`` wins over ``x-api-key: X``."""
    bearer = api_key = ""
    for key, value in metadata or ():
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        if key == "authorization" and not bearer:
            scheme, _, token = text.strip().partition(" ")
            if scheme.lower() == "bearer":
                bearer = token.strip()
        elif key == "x-api-key" and not api_key:
            api_key = text.strip()
    return bearer or api_key


class Admission:
    """The deny-by-default gate of one port (see the module docstring)."""

    def __init__(
        self,
        authenticator: Authenticator,
        rules: AccessRules,
        identities: CertificateIdentities | None = None,
    ) -> None:
        self._authenticator = authenticator
        self._rules = rules
        self._identities = identities

    def admit_for(self, method: str) -> Admit | None:
        """What runs before ``method``'s handler; ``None`` for an open method."""
        known = self._rules.known(method)
        needed: Needed = self._rules.needed(method) if known else frozenset()
        if needed is None:
            return None
        scopes: frozenset[Scope] = needed
        authenticate = self._authenticator.authenticate
        identities = self._identities

        async def admit(context: grpc.aio.ServicerContext) -> object:
            try:
                credential = credential_from(context.invocation_metadata())
                if credential or not identities:
                    principal = await authenticate(credential)
                else:
                    principal = identities.principal(peer_names(context.auth_context()))
                if not (principal.scopes & scopes):
                    _deny(method, needed)
            except Exception as exc:  # store down, verifier bug: still the one seam
                _log_denial(method, exc)
                await end_rpc(context, exc, "", method)
            return set_principal(principal)

        return admit


def _deny(method: str, needed: Needed) -> None:
    want = " or ".join(sorted(needed)) if needed else "a rule (none exists)"
    raise ScopeDeniedError(method, want)


def _log_denial(method: str, exc: Exception) -> None:
    if isinstance(exc, UnauthenticatedError):
        kind = "unauthenticated"
    elif isinstance(exc, ScopeDeniedError):
        kind = "permission_denied"
    else:
        kind = "unavailable"
    why = exc.why if isinstance(exc, JwtRejected) else type(exc).__name__
    log.info("auth denied", method=method, outcome=kind, reason=why)


__all__ = ["Admission", "Admit", "credential_from"]
