"""Which scope each RPC needs: one explicit, deny-by-default table per port.

Rules are written out per method (never derived from method names), and a
test walks the proto's service descriptors: an RPC added to the contract
without a rule here fails it, and at run time a method with no rule is
refused (``PERMISSION_DENIED``), never let through. Matching is on the
dispatched method path (``handler_call_details.method``), the only name that
decides which handler runs.

* Data plane: ``Chat``/``StreamChat``/``CountTokens`` need ``chat``,
  ``Embed`` needs ``embed``, ``ListModels`` either. Health and reflection are
  open (Kubernetes probes, ``grpcurl list``).
* Admin plane: reads need ``admin:read`` (``admin:write`` includes it),
  changes need ``admin:write``. Health is open; reflection needs
  ``admin:read`` there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from llmgw.domain.principal import Scope

Needed = frozenset[Scope] | None  # any one of these scopes; None = no credential needed

HEALTH_SERVICE = "grpc.health.v1.Health"
REFLECTION_SERVICES = (
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
)
GATEWAY = "llmgateway.v1.GatewayService"
ADMIN = "llmgateway.v1.AdminService"

_CHAT = frozenset({Scope.CHAT})
_EMBED = frozenset({Scope.EMBED})
_READ = frozenset({Scope.ADMIN_READ, Scope.ADMIN_WRITE})
_WRITE = frozenset({Scope.ADMIN_WRITE})

GATEWAY_METHODS: Mapping[str, Needed] = {
    "Chat": _CHAT,
    "StreamChat": _CHAT,
    "CountTokens": _CHAT,
    "Embed": _EMBED,
    "ListModels": _CHAT | _EMBED,
}

ADMIN_METHODS: Mapping[str, Needed] = {
    "ListBackends": _READ,
    "GetBackend": _READ,
    "CreateBackend": _WRITE,
    "UpdateBackend": _WRITE,
    "ListRoutes": _READ,
    "SwitchBackend": _WRITE,
    "GetCosts": _READ,
    "ListRecommendations": _READ,
    "ListBudgets": _READ,
    "UpdateBudget": _WRITE,
    "GetMetrics": _READ,
    "GetHealth": _READ,
    "ListAuditEvents": _READ,
    "CreateApiKey": _WRITE,
    "ListApiKeys": _READ,
    "RotateApiKey": _WRITE,
    "RevokeApiKey": _WRITE,
    "OpenCircuitBreaker": _WRITE,
    "ResetCircuitBreaker": _WRITE,
    "ExplainRoute": _READ,
    "PurgeResponseCache": _WRITE,
}


@dataclass(frozen=True, slots=True)
class AccessRules:
    """Method rules of one port plus whole services that are open or gated."""

    methods: Mapping[str, Needed]
    services: Mapping[str, Needed]

    def known(self, method: str) -> bool:
        return method in self.methods or _service(method) in self.services

    def needed(self, method: str) -> Needed:
        """The scopes ``method`` needs; callers check ``known`` first (unknown = denied)."""
        if method in self.methods:
            return self.methods[method]
        return self.services[_service(method)]


def _service(method: str) -> str:
    return method.lstrip("/").split("/", 1)[0]


def _qualified(service: str, methods: Mapping[str, Needed]) -> dict[str, Needed]:
    return {f"/{service}/{name}": needed for name, needed in methods.items()}


DATA_PLANE = AccessRules(
    methods=_qualified(GATEWAY, GATEWAY_METHODS),
    services={HEALTH_SERVICE: None, **dict.fromkeys(REFLECTION_SERVICES)},
)
ADMIN_PLANE = AccessRules(
    methods=_qualified(ADMIN, ADMIN_METHODS),
    services={HEALTH_SERVICE: None, **dict.fromkeys(REFLECTION_SERVICES, _READ)},
)


__all__ = [
    "ADMIN_METHODS",
    "ADMIN_PLANE",
    "DATA_PLANE",
    "GATEWAY_METHODS",
    "AccessRules",
    "Needed",
]
