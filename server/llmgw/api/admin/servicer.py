"""``llmgateway.v1.AdminService`` on the admin plane: convert and call.

Serves every RPC of the v1 admin contract. The work lives elsewhere (route
switches, backend and breaker changes in ``control/``, budgets in the budget
guard, keys in ``api/admin/keys``, the cache purge in ``api/admin/cache``):
this module converts requests, calls, writes the audit row (before the
response; failures audited too where the action is) and converts back.

Every RPC ends through ``_run`` -> ``api/error_seam.end_rpc`` (the status
table; an unknown exception is ``INTERNAL`` with a request id and no text).
An RPC added to the proto without a handler here answers ``UNIMPLEMENTED``
with ``ErrorInfo(NOT_IMPLEMENTED)`` (handlers attached from the service
descriptor), never grpc's bare default.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

import grpc
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc

from llmgw.api import checks
from llmgw.api.admin import backend_create, budgets, route_explain, views
from llmgw.api.admin import breakers as breakers_admin
from llmgw.api.admin import metrics as admin_metrics
from llmgw.api.admin.audit import AuditTrail
from llmgw.api.admin.backend_create import Credentials
from llmgw.api.admin.cache import purge_response_cache
from llmgw.api.admin.costs import CostPlane, get_costs
from llmgw.api.admin.keys import KeyAdmin
from llmgw.api.admin.recommendations import list_recommendations
from llmgw.api.error_seam import end_rpc, unimplemented
from llmgw.api.principal_context import current_principal
from llmgw.control.backends import BackendControl, BackendTools, audit_view
from llmgw.control.probes import Prober
from llmgw.control.switching import RouteSwitcher, SwitchOrder
from llmgw.domain.backends import BackendSpec
from llmgw.domain.clock import Clock, SystemClock
from llmgw.domain.errors import (
    BackendNotFoundError,
    BudgetNotFoundError,
    FieldViolation,
    GatewayError,
    GatewayOverloadedError,
    InvalidRequestError,
    UnimplementedError,
)
from llmgw.outbound.dns import SystemResolver
from llmgw.outbound.endpoint_guard import EndpointGuard, EndpointPolicy
from llmgw.pipeline.gateway import Gateway
from llmgw.providers.base import Provider
from llmgw.storage.audit import AuditStore

SERVICE = admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"]
_pb = admin_service_pb2
_T = TypeVar("_T")
Context: TypeAlias = grpc.aio.ServicerContext
OnFailure = Callable[[GatewayError], Awaitable[None]] | None


@dataclass(frozen=True, slots=True)
class AdminParts:
    """What the admin plane works on besides the pipeline (``None``: absent)."""

    specs: Sequence[BackendSpec] = ()
    draining: Callable[[], bool] = lambda: False
    prober: Prober | None = None
    rebuild: Callable[[BackendSpec], Provider] | None = None
    costs: CostPlane = field(default_factory=CostPlane)
    audit: AuditStore | None = None
    endpoints: EndpointGuard | None = None
    keys: KeyAdmin | None = None
    credentials: Credentials = lambda _name: None
    clock: Clock = field(default_factory=SystemClock)
    wall: Callable[[], float] = time.time


class AdminServicer(admin_service_pb2_grpc.AdminServiceServicer):
    """The admin plane over the running pipeline and the configured backends."""

    def __init__(self, gateway: Gateway, parts: AdminParts) -> None:
        self._gateway = gateway
        self._parts = parts
        self._trail = AuditTrail(parts.audit)
        endpoints = parts.endpoints or EndpointGuard(EndpointPolicy(), SystemResolver())
        tools = BackendTools(endpoints, parts.rebuild, parts.prober)
        self._backends = BackendControl(gateway, parts.specs, tools, parts.clock)
        self._switcher = RouteSwitcher(gateway, self._backends.specs, parts.prober, parts.wall)
        self._probes = parts.prober.results if parts.prober is not None else {}

    async def _run(
        self, context: Context, method: str, work: Awaitable[_T], on_failure: OnFailure = None
    ) -> _T:
        """Await ``work``; a failure ends the RPC through the one seam, after
        ``on_failure`` (the failure's audit row) for gateway errors."""
        try:
            return await work
        except Exception as exc:
            failure = exc
        if on_failure is not None and isinstance(failure, GatewayError):
            await on_failure(failure)
        await end_rpc(context, failure, "", method)

    def _audit_failure(self, action: str, target: str) -> OnFailure:
        async def record(failure: GatewayError) -> None:
            await self._trail.record(action, target, "failure", error=failure.public_message)

        return record

    # ------------------------------------------------------------ costs, budgets

    async def GetCosts(
        self, request: admin_service_pb2.GetCostsRequest, context: Context
    ) -> admin_service_pb2.GetCostsResponse:
        return await self._run(context, "GetCosts", self._get_costs(request))

    async def _get_costs(
        self, request: admin_service_pb2.GetCostsRequest
    ) -> admin_service_pb2.GetCostsResponse:
        costs = self._parts.costs
        if costs.ledger is None:
            raise UnimplementedError("AdminService.GetCosts without a ledger")
        try:
            await costs.ledger.flush()  # this replica's own rows are visible at once
            return await get_costs(request, costs.ledger, costs.guard, costs.uptime, costs.fixed)
        except (ConnectionError, OSError) as exc:  # the shared store is down
            raise GatewayOverloadedError(
                "The ledger store is unreachable (rows wait in the outbox); retry.",
                retry_after=5.0,
            ) from exc

    async def ListRecommendations(
        self, request: admin_service_pb2.ListRecommendationsRequest, context: Context
    ) -> admin_service_pb2.ListRecommendationsResponse:
        work = list_recommendations(request, self._parts.costs, self._gateway.list_models())
        return await self._run(context, "ListRecommendations", work)

    async def ListBudgets(
        self, request: admin_service_pb2.ListBudgetsRequest, context: Context
    ) -> admin_service_pb2.ListBudgetsResponse:
        return await self._run(context, "ListBudgets", self._list_budgets(request))

    async def _list_budgets(
        self, request: admin_service_pb2.ListBudgetsRequest
    ) -> admin_service_pb2.ListBudgetsResponse:
        if request.filter.strip() or request.page_token:
            which = "filter" if request.filter.strip() else "page_token"
            why = "ListBudgets returns every budget in one page; no filter or token"
            raise InvalidRequestError((FieldViolation(which, why, "UNSUPPORTED"),))
        guard = self._parts.costs.guard
        statuses = await guard.statuses() if guard is not None else []
        return _pb.ListBudgetsResponse(budgets=[budgets.budget_message(s) for s in statuses])

    async def UpdateBudget(
        self, request: admin_service_pb2.UpdateBudgetRequest, context: Context
    ) -> admin_service_pb2.UpdateBudgetResponse:
        return await self._run(context, "UpdateBudget", self._update_budget(request))

    async def _update_budget(
        self, request: admin_service_pb2.UpdateBudgetRequest
    ) -> admin_service_pb2.UpdateBudgetResponse:
        guard = self._parts.costs.guard
        if guard is None:
            raise UnimplementedError("AdminService.UpdateBudget without a budget store")
        name = request.budget.name.removeprefix("budgets/")
        current = next((b for b in guard.budgets() if b.name == name), None)
        if current is None and not request.allow_missing:
            raise BudgetNotFoundError(f"budgets/{name}")
        budget = budgets.budget_from_proto(request.budget, current, request.update_mask.paths)
        target, before = f"budgets/{name}", views.budget_json(current)
        try:
            await guard.upsert(budget, request.budget.etag)
        except Exception:
            await self._trail.record("UpdateBudget", target, "failure", before=before)
            raise
        after = views.budget_json(budget)
        await self._trail.record("UpdateBudget", target, "success", before=before, after=after)
        status = next(s for s in await guard.statuses() if s.budget.name == name)
        return _pb.UpdateBudgetResponse(budget=budgets.budget_message(status))

    # ------------------------------------------------------------ health, backends

    async def GetHealth(
        self, request: admin_service_pb2.GetHealthRequest, context: Context
    ) -> admin_service_pb2.GetHealthResponse:
        draining = self._parts.draining()
        response = _pb.GetHealthResponse(
            gateway_state=_pb.HEALTH_STATE_UNHEALTHY if draining else _pb.HEALTH_STATE_HEALTHY,
            draining=draining,
        )
        breakers = self._breakers()
        for name in self._backends.specs:
            report = response.backends.add(backend=name, state=_pb.BACKEND_STATE_ENABLED)
            snapshots = breakers.get(name, {})
            views.fill_health(report.health, name, snapshots, self._probes.get(name))
            for model, snapshot in sorted(snapshots.items()):
                breakers_admin.fill_breaker_report(report.circuit_breakers.add(), model, snapshot)
        return response

    async def ListBackends(
        self, request: admin_service_pb2.ListBackendsRequest, context: Context
    ) -> admin_service_pb2.ListBackendsResponse:
        breakers = self._breakers()
        return _pb.ListBackendsResponse(
            backends=[
                views.backend(spec, breakers.get(name, {}), self._probes.get(name))
                for name, spec in self._backends.specs.items()
            ]
        )

    async def GetBackend(
        self, request: admin_service_pb2.GetBackendRequest, context: Context
    ) -> admin_service_pb2.GetBackendResponse:
        return await self._run(context, "GetBackend", self._get_backend(request.name))

    async def _get_backend(self, resource: str) -> admin_service_pb2.GetBackendResponse:
        name = resource.removeprefix("backends/")
        spec = self._backends.specs.get(name)
        if spec is None:
            raise BackendNotFoundError(resource)
        snapshots = self._breakers().get(name, {})
        return _pb.GetBackendResponse(
            backend=views.backend(spec, snapshots, self._probes.get(name))
        )

    async def UpdateBackend(
        self, request: admin_service_pb2.UpdateBackendRequest, context: Context
    ) -> admin_service_pb2.UpdateBackendResponse:
        on_failure = self._audit_failure("UpdateBackend", request.backend.name)
        return await self._run(context, "UpdateBackend", self._update(request), on_failure)

    async def _update(
        self, request: admin_service_pb2.UpdateBackendRequest
    ) -> admin_service_pb2.UpdateBackendResponse:
        name = request.backend.name.removeprefix("backends/")
        if name not in self._backends.specs:
            raise BackendNotFoundError(request.backend.name)
        paths = list(request.update_mask.paths) or ["endpoint_uri"]
        unsupported = [p for p in paths if p not in ("endpoint_uri", "endpointUri")]
        if unsupported:
            raise InvalidRequestError(
                tuple(
                    FieldViolation("update_mask", f"{p} cannot be updated yet", "NOT_UPDATABLE")
                    for p in unsupported
                )
            )
        uri = request.backend.endpoint_uri.strip()
        change = await self._backends.update_endpoint(name, uri, request.validate_only)
        assert change.before is not None
        after: dict[str, Any] = {"endpoint_uri": uri}
        if change.applied:
            after["pinned_addresses"] = list(change.after.pinned_addresses)
        await self._trail.record(
            "UpdateBackend",
            f"backends/{name}",
            "success" if change.applied else "dry_run",
            before={"endpoint_uri": change.before.base_url},
            after=after,
        )
        snapshots = self._breakers().get(name, {}) if change.applied else {}
        backend = views.backend(change.after, snapshots, change.probe)
        return _pb.UpdateBackendResponse(backend=backend)

    async def CreateBackend(
        self, request: admin_service_pb2.CreateBackendRequest, context: Context
    ) -> admin_service_pb2.CreateBackendResponse:
        on_failure = self._audit_failure("CreateBackend", f"backends/{request.backend_id[:64]}")
        return await self._run(context, "CreateBackend", self._create(request), on_failure)

    async def _create(
        self, request: admin_service_pb2.CreateBackendRequest
    ) -> admin_service_pb2.CreateBackendResponse:
        """Fields checked here (``backend_create``), the rest in ``control/backends``."""
        name = backend_create.backend_id(request.backend_id)
        self._backends.require_free(name)  # before reading credentials
        spec = backend_create.spec_from_request(name, request.backend, self._parts.credentials)
        change = await self._backends.create(spec, request.validate_only)
        outcome = "success" if change.applied else "dry_run"
        target = f"backends/{name}"
        await self._trail.record("CreateBackend", target, outcome, after=audit_view(change.after))
        return _pb.CreateBackendResponse(backend=views.backend(change.after, {}, change.probe))

    async def PurgeResponseCache(
        self, request: admin_service_pb2.PurgeResponseCacheRequest, context: Context
    ) -> admin_service_pb2.PurgeResponseCacheResponse:
        work = purge_response_cache(self._gateway, self._trail, request.scope)
        failed = self._audit_failure("PurgeResponseCache", request.scope)
        return await self._run(context, "PurgeResponseCache", work, failed)

    async def GetMetrics(
        self, request: admin_service_pb2.GetMetricsRequest, context: Context
    ) -> admin_service_pb2.GetMetricsResponse:
        return await self._run(context, "GetMetrics", self._metrics(request))

    async def _metrics(
        self, request: admin_service_pb2.GetMetricsRequest
    ) -> admin_service_pb2.GetMetricsResponse:
        return admin_metrics.metrics(self._gateway, request, self._parts.wall)

    # ------------------------------------------------------------ routes

    async def ListRoutes(
        self, request: admin_service_pb2.ListRoutesRequest, context: Context
    ) -> admin_service_pb2.ListRoutesResponse:
        aliases = sorted(self._gateway.catalog.aliases)
        return _pb.ListRoutesResponse(routes=[self._route(alias) for alias in aliases])

    async def SwitchBackend(
        self, request: admin_service_pb2.SwitchBackendRequest, context: Context
    ) -> admin_service_pb2.SwitchBackendResponse:
        on_failure = self._audit_failure("SwitchBackend", request.route)
        return await self._run(context, "SwitchBackend", self._switch(request), on_failure)

    async def _switch(
        self, request: admin_service_pb2.SwitchBackendRequest
    ) -> admin_service_pb2.SwitchBackendResponse:
        ttl = (
            checks.duration_seconds(request.ttl, "ttl", checks.MAX_SWITCH_TTL_SECONDS)
            if request.HasField("ttl")
            else 0.0
        )
        immediate = request.mode == _pb.SWITCH_MODE_IMMEDIATE
        order = SwitchOrder(
            alias=request.route.removeprefix("routes/"),
            backend=request.backend.removeprefix("backends/"),
            model_id=request.model_id,
            etag=request.etag,
            reason=request.reason,
            actor=current_principal().subject,
            ttl_seconds=ttl,
            immediate=immediate,
            skip_health_check=request.skip_health_check,
            validate_only=request.validate_only,
        )
        outcome = await self._switcher.switch(order)
        previous = views.route_target(outcome.previous)
        fields: dict[str, Any] = {"reason": request.reason or None}
        if not request.validate_only:
            mode = "immediate" if immediate else "drain"
            fields.update(ttl_seconds=ttl or None, mode=mode, aborted_requests=outcome.aborted)
        await self._trail.record(
            "SwitchBackend",
            f"routes/{order.alias}",
            "dry_run" if request.validate_only else "success",
            before={"target": f"{previous.backend}:{previous.model_id}"},
            after={"target": f"backends/{order.backend}:{outcome.target.model.id}"},
            **fields,
        )
        route = self._route(order.alias)
        return _pb.SwitchBackendResponse(route=route, previous_target=previous)

    def _route(self, alias: str) -> admin_service_pb2.Route:
        catalog = self._gateway.catalog
        strategy = self._gateway.routing.strategies.get(alias, "")
        return views.route(
            alias, catalog.route(alias), strategy, catalog.etag(alias), catalog.override(alias)
        )

    async def OpenCircuitBreaker(
        self, request: admin_service_pb2.OpenCircuitBreakerRequest, context: Context
    ) -> admin_service_pb2.OpenCircuitBreakerResponse:
        work = breakers_admin.of(self._gateway, self._trail).open(request)
        return await self._run(context, "OpenCircuitBreaker", work)

    async def ResetCircuitBreaker(
        self, request: admin_service_pb2.ResetCircuitBreakerRequest, context: Context
    ) -> admin_service_pb2.ResetCircuitBreakerResponse:
        work = breakers_admin.of(self._gateway, self._trail).reset(request)
        return await self._run(context, "ResetCircuitBreaker", work)

    async def ExplainRoute(
        self, request: admin_service_pb2.ExplainRouteRequest, context: Context
    ) -> admin_service_pb2.ExplainRouteResponse:
        work = route_explain.explain_route(route_explain.explainer(self._gateway), request)
        return await self._run(context, "ExplainRoute", work)

    def _breakers(self) -> views.Breakers:
        return views.grouped(self._gateway.attempts.breakers.snapshots())

    # ------------------------------------------------------------ keys, audit

    async def CreateApiKey(
        self, request: admin_service_pb2.CreateApiKeyRequest, context: Context
    ) -> admin_service_pb2.CreateApiKeyResponse:
        target = f"apiKeys/{request.key_id}" if request.key_id else "apiKeys/"
        work = self._key_rpc(
            "CreateApiKey", target, lambda k: k.create(request, current_principal())
        )
        return await self._run(context, "CreateApiKey", work)

    async def ListApiKeys(
        self, request: admin_service_pb2.ListApiKeysRequest, context: Context
    ) -> admin_service_pb2.ListApiKeysResponse:
        return await self._run(
            context, "ListApiKeys", self._key_rpc("", "", lambda k: k.list(request))
        )

    async def RotateApiKey(
        self, request: admin_service_pb2.RotateApiKeyRequest, context: Context
    ) -> admin_service_pb2.RotateApiKeyResponse:
        work = self._key_rpc("RotateApiKey", request.name, lambda k: k.rotate(request))
        return await self._run(context, "RotateApiKey", work)

    async def RevokeApiKey(
        self, request: admin_service_pb2.RevokeApiKeyRequest, context: Context
    ) -> admin_service_pb2.RevokeApiKeyResponse:
        work = self._key_rpc("RevokeApiKey", request.name, lambda k: k.revoke(request))
        return await self._run(context, "RevokeApiKey", work)

    async def _key_rpc(
        self, action: str, target: str, call: Callable[[KeyAdmin], Awaitable[_T]]
    ) -> _T:
        """A key RPC (``api/admin/keys.py``); changes are audited, never the secret."""
        try:
            if self._parts.keys is None:
                raise UnimplementedError("AdminService key management on this server")
            response = await call(self._parts.keys)
        except GatewayError as exc:
            if action:
                error = {"error": exc.public_message}
                await self._trail.record(action, target, "failure", after=error)
            raise
        if action:
            key = response.api_key  # type: ignore[attr-defined]
            after = {"tenant": key.tenant, "scopes": list(key.scopes), "state": key.state}
            await self._trail.record(action, key.name, "success", after=after)
        return response

    async def ListAuditEvents(
        self, request: admin_service_pb2.ListAuditEventsRequest, context: Context
    ) -> admin_service_pb2.ListAuditEventsResponse:
        return await self._run(context, "ListAuditEvents", self._trail.list_events(request))


for _method in SERVICE.methods:
    if _method.name not in AdminServicer.__dict__:
        setattr(AdminServicer, _method.name, unimplemented("AdminService", _method.name))

__all__ = ["SERVICE", "AdminParts", "AdminServicer"]
