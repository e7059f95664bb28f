"""Which calls the response cache serves: scopes, per-alias defaults, the
caller's policy.

The effective mode is the caller's ``CachePolicy.mode`` unless it is
``UNSPECIFIED``, then the alias's configured default, then ``default``
(``BYPASS`` unless configured: the cache is off unless configured or asked
for). ``max_age`` likewise. The scope decides who shares entries: the tenant
(default), the project or the API key within a tenant, or ``global``
(every caller; only when the operator configures it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from llmgw.domain.cache import CacheMode, CachePolicy
from llmgw.domain.requests import Attribution


class Scope(StrEnum):
    TENANT = "tenant"
    PROJECT = "project"
    KEY = "key"
    GLOBAL = "global"


@dataclass(frozen=True, slots=True)
class SemanticRoute:
    """A route's semantic cache: the embedding model (any backend's) for the
    last user turn, and the cosine similarity a stored answer must reach."""

    embedding_model: str
    threshold: float = 0.95
    dimensions: int | None = None


@dataclass(frozen=True, slots=True)
class RouteCache:
    """One alias's cache defaults."""

    mode: CacheMode = CacheMode.BYPASS
    max_age_seconds: float | None = None  # oldest answer served (None: any live one)
    ttl_seconds: float = 3600.0  # how long a stored answer lives
    semantic: SemanticRoute | None = None  # on an exact miss, the nearest stored answer


@dataclass(frozen=True, slots=True)
class CacheSettings:
    scope: Scope = Scope.TENANT
    default: RouteCache = field(default_factory=RouteCache)
    aliases: Mapping[str, RouteCache] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        """Whether any route caches without being asked."""
        routes = (self.default, *self.aliases.values())
        return any(r.mode is not CacheMode.BYPASS for r in routes)


class Pending(NamedTuple):
    """A call the cache did not answer: where its answer goes, and whether
    identical calls in flight may share it (single-flight: only under
    ``READ_WRITE``, where the caller already accepts a stored answer)."""

    scope: str
    key: str
    ttl_seconds: float
    shareable: bool
    semantic: tuple[str, Any] | None = None  # (context key, embedding) to index it under


def scope_of(scope: Scope, attribution: Attribution) -> str:
    """The partition key of a caller's entries (tenant-qualified)."""
    if scope is Scope.GLOBAL:
        return "global"
    tenant = f"tenant:{attribution.tenant}"
    if scope is Scope.PROJECT:
        return f"{tenant}/project:{attribution.project}"
    if scope is Scope.KEY:
        return f"{tenant}/key:{attribution.key_id}"
    return tenant


def effective(route: RouteCache, caller: CachePolicy | None) -> tuple[CacheMode, float | None]:
    """(mode, max_age_seconds) for one call."""
    if caller is None:
        return route.mode, route.max_age_seconds
    mode = caller.mode if caller.mode is not CacheMode.UNSPECIFIED else route.mode
    max_age = caller.max_age_seconds
    return mode, (max_age if max_age is not None else route.max_age_seconds)


PURGE_SCOPES = (
    "must be tenants/{tenant}, tenants/{tenant}/projects/{project},"
    " tenants/{tenant}/apiKeys/{key}, global or *"
)


def purge_scope(name: str) -> str:
    """An admin's scope name as the partition key ``scope_of`` gives:
    ``tenants/t``, ``tenants/t/projects/p``, ``tenants/t/apiKeys/k``,
    ``global``, or ``*`` (every scope: ``""``). ``ValueError`` otherwise."""
    if name == "*":
        return ""
    if name == "global":
        return "global"
    parts = name.split("/")
    if len(parts) in (2, 4) and parts[0] == "tenants" and all(parts):
        key = f"tenant:{parts[1]}"
        if len(parts) == 2:
            return key
        kind = {"projects": "project", "apiKeys": "key"}.get(parts[2])
        if kind is not None:
            return f"{key}/{kind}:{parts[3]}"
    raise ValueError(f"{name!r} is not a cache scope")


__all__ = [
    "PURGE_SCOPES",
    "CacheSettings",
    "Pending",
    "RouteCache",
    "Scope",
    "SemanticRoute",
    "effective",
    "purge_scope",
    "scope_of",
]
