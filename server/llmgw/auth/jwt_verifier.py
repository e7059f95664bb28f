"""JWT bearer tokens -> ``Principal`` (pyjwt), with no I/O on the request path.

Checks, in order: the header's ``alg`` is one of the pinned algorithms (so
``alg: none`` and HS/RS confusion fail before any key is touched); the key
comes from a ``KeySource`` (a static key, or the JWKS held in memory by
``outbound/jwks.py``) by ``kid``; the signature, ``exp`` (required), ``iss``
and ``aud`` (required, exact) and ``nbf``/``iat`` with the configured leeway.
Every failure is the same ``UnauthenticatedError`` text: why a token failed is
logged by the caller, never explained to it, and the token never appears.

PyJWT (and the ``cryptography`` it loads, ~9 MiB) is imported when a
``JwtVerifier`` is built, not with this module: ``JwtRejected`` is imported by
every gateway, JWT auth only by those that configure it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from llmgw.domain.errors import UnauthenticatedError
from llmgw.domain.jwt_policy import JwtPolicy
from llmgw.domain.principal import DEFAULT_TENANT, Principal, Scope

_INVALID = "invalid or expired credential"
_ADMIN = frozenset({Scope.ADMIN_READ, Scope.ADMIN_WRITE})


class KeySource(Protocol):
    def key_for(self, kid: str) -> Any | None: ...


class StaticKey:
    """One configured key (an HMAC secret or a PEM public key) for every ``kid``."""

    def __init__(self, key: Any) -> None:
        self._key = key

    def key_for(self, kid: str) -> Any | None:
        return self._key


class JwtRejected(UnauthenticatedError):
    """A token failed verification; ``why`` is for the server log only."""

    def __init__(self, why: str) -> None:
        super().__init__(_INVALID)
        self.why = why


@dataclass(frozen=True, slots=True)
class Verified:
    """A valid token's principal and its ``exp`` (Unix seconds)."""

    principal: Principal
    expires_at: float


class JwtVerifier:
    def __init__(self, policy: JwtPolicy, keys: KeySource) -> None:
        importlib.import_module("jwt")  # at start-up, not on the first token
        self._policy = policy
        self._keys = keys

    def verify(self, token: str) -> Verified:
        """The principal a valid token names; ``JwtRejected`` otherwise."""
        import jwt  # loaded by ``__init__``: a dictionary look-up here

        policy = self._policy
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise JwtRejected(f"malformed: {type(exc).__name__}") from None
        alg = header.get("alg")
        if alg not in policy.algorithms:
            raise JwtRejected(f"algorithm {alg!r} not allowed")
        key = self._keys.key_for(str(header.get("kid", "")))
        if key is None:
            raise JwtRejected("unknown signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(policy.algorithms),
                audience=policy.audience,
                issuer=policy.issuer,
                leeway=policy.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"], "verify_signature": True},
            )
        except (jwt.InvalidTokenError, jwt.InvalidKeyError, TypeError, ValueError) as exc:
            raise JwtRejected(type(exc).__name__) from None
        return Verified(self._principal(claims), float(claims["exp"]))

    def _principal(self, claims: dict[str, Any]) -> Principal:
        policy = self._policy
        raw = claims.get(policy.scope_claim)
        names = _names(raw) if raw is not None else list(policy.default_scopes)
        scopes = {Scope(n) for n in names if n in Scope._value2member_map_}
        if policy.admin_role in _names(claims.get(policy.admin_role_claim)):
            scopes |= _ADMIN
        project = str(claims.get(policy.project_claim) or "")
        return Principal(
            subject=str(claims["sub"]),
            tenant=str(claims.get(policy.tenant_claim) or DEFAULT_TENANT),
            project=project.removeprefix("projects/"),
            scopes=frozenset(scopes),
        )


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return []


__all__ = [
    "JwtRejected",
    "JwtVerifier",
    "KeySource",
    "StaticKey",
]
