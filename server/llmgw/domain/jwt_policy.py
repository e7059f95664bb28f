"""What a JWT bearer token must satisfy, and how its claims become a principal.

Built from ``settings.auth.jwt`` by the composition root; the verifier
(``auth/jwt_verifier.py``) applies it. Algorithms are pinned here, never
taken from the token header: ``alg: none`` and HS/RS confusion (an HMAC token
"signed" with the RSA public key) fail because their algorithm is not listed,
and configuration refuses to mix HMAC and public-key algorithms.
"""

from __future__ import annotations

from dataclasses import dataclass

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})


@dataclass(frozen=True, slots=True)
class JwtPolicy:
    """``issuer``, ``audience`` and ``exp`` are always required.

    ``scope_claim`` holds space-separated scopes (``"chat embed"``) or a list;
    a token without it gets ``default_scopes``. A token whose
    ``admin_role_claim`` (a string or a list) contains ``admin_role`` gets
    ``admin:read`` and ``admin:write`` too.
    """

    issuer: str
    audience: str
    algorithms: tuple[str, ...]
    leeway_seconds: float = 30.0
    admin_role_claim: str = "roles"
    admin_role: str = "admin"
    scope_claim: str = "scope"
    tenant_claim: str = "tenant"
    project_claim: str = "project"
    default_scopes: tuple[str, ...] = ("chat", "embed")

    @property
    def symmetric(self) -> bool:
        return bool(set(self.algorithms) & HMAC_ALGORITHMS)
