"""Which environment variables ``CreateBackend``'s ``credential_ref: env://NAME`` may read.

The value of the variable becomes the bearer token the gateway sends to an
endpoint the admin caller chose. Without a rule, ``env://AWS_SECRET_ACCESS_KEY``
or ``env://PATH`` would ship any secret of the process to that endpoint. So a
name is readable only when the operator declared it (``endpoints.credential_env``
in the config: exact names, or a prefix ending in ``*``); the default declares
the documented prefix ``UPSTREAM_KEY_*`` and nothing else. The gateway's own
settings (``LLMGW_*``, the JWT secret's variable) are refused even when a
pattern would match. Refusals are ``INVALID_ARGUMENT`` naming
``backend.credential_ref`` (the admin servicer audits failures); the variable's
value is never part of a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_CREDENTIAL_ENV = ("UPSTREAM_KEY_*",)
GATEWAY_PREFIX = "LLMGW_"
PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}\*?")
"""A declaration: a variable name, or a non-empty prefix followed by ``*``."""


@dataclass(frozen=True, slots=True)
class EnvCredentialPolicy:
    """Declared names/prefixes (``allowed``) and names refused whatever the
    declarations say (``refused``, plus every ``LLMGW_*`` name)."""

    allowed: tuple[str, ...] = DEFAULT_CREDENTIAL_ENV
    refused: frozenset[str] = frozenset()

    def refusal(self, name: str) -> str | None:
        """Why ``name`` may not be read (safe to show the caller), or ``None``."""
        if name.startswith(GATEWAY_PREFIX) or name in self.refused:
            return f"{name} is one of the gateway's own settings and is never a backend credential"
        if not any(_declares(pattern, name) for pattern in self.allowed):
            declared = ", ".join(self.allowed) or "none"
            return f"{name} is not declared in endpoints.credential_env (declared: {declared})"
        return None


@dataclass(frozen=True, slots=True)
class EnvCredentials:
    """The ``Credentials`` callable of ``CreateBackend``: ``lookup`` (the
    composition root's reader of the environment) behind ``policy``."""

    policy: EnvCredentialPolicy
    lookup: Callable[[str], str | None]

    def __call__(self, name: str) -> str | None:
        return None if self.policy.refusal(name) is not None else self.lookup(name)


def credential_refusal(name: str, credentials: Callable[[str], str | None]) -> str | None:
    """Why ``credentials`` refuses ``name`` by policy (``None``: allowed, or a
    reader without a policy, which decides alone)."""
    if isinstance(credentials, EnvCredentials):
        return credentials.policy.refusal(name)
    return None


def _declares(pattern: str, name: str) -> bool:
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return name == pattern
