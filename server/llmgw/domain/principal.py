"""Who is calling: the identity a credential proves (never a request field).

A ``Principal`` comes from an API key or a JWT, made by the API layer's
authenticator. Everything downstream (attribution, budgets, rate limits, the
ledger, audit rows) reads it; nothing downstream can forge it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Scope(StrEnum):
    """What a credential may do; each RPC needs exactly one of these."""

    CHAT = "chat"
    EMBED = "embed"
    ADMIN_READ = "admin:read"
    ADMIN_WRITE = "admin:write"


ALL_SCOPES = frozenset(Scope)
ANY_PROJECT = "*"  # in ``Principal.projects``: may bill every project
DEFAULT_TENANT = "default"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller.

    ``subject`` is what audit rows and the ledger name (key id or JWT ``sub``).
    ``projects`` are the projects it may bill besides ``project`` (its default).
    ``models`` empty means every model. Limits of 0 mean unlimited.
    """

    subject: str
    tenant: str = DEFAULT_TENANT
    project: str = ""
    projects: frozenset[str] = frozenset()
    end_user: str = ""
    key_id: str = ""
    scopes: frozenset[Scope] = field(default_factory=frozenset)
    models: frozenset[str] = frozenset()
    rpm: int = 0
    input_tpm: int = 0
    output_tpm: int = 0
    max_concurrent_streams: int = 0

    def may_bill(self, project: str) -> bool:
        """Whether this principal may attribute spend to ``project``."""
        return (
            not project
            or project == self.project
            or project in self.projects
            or ANY_PROJECT in self.projects
        )

    def may_call(self, model: str) -> bool:
        return not self.models or model in self.models


# The caller when authentication is disabled (loopback development only).
ANONYMOUS = Principal(subject="anonymous", scopes=ALL_SCOPES, projects=frozenset({ANY_PROJECT}))
