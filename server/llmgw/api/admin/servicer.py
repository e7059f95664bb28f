"""``llmgateway.v1.AdminService`` on the admin plane.

Serves every RPC of the v1 admin contract: health, backends (list, get,
create, update), routes and ``SwitchBackend``, metrics, costs and budgets
(``api.cost_admin``), API keys (``api.key_admin``) and the audit trail
(``api.audit``). Every change is written to the audit store before its
response. An RPC added to the proto without a handler here answers
``UNIMPLEMENTED`` with ``ErrorInfo(NOT_IMPLEMENTED, method=...)`` through the
status table (handlers attached from the service descriptor), never grpc's
bare default.

Backend health is passive for now: it comes from the breakers fed by live
traffic. A backend with no traffic yet is ``HEALTH_STATE_UNKNOWN``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import grpc
import orjson
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc, routing_pb2

from llmgw.api import convert
from llmgw.api.admin import backend_create
from llmgw.api.admin import costs as cost_admin
from llmgw.api.admin.audit import AuditTrail
from llmgw.api.admin.backend_create import Credentials
from llmgw.api.admin.costs import CostPlane
from llmgw.api.admin.keys import KeyAdmin
from llmgw.api.principal_context import current_principal
from llmgw.api.status import UPSTREAM_RULES, rule_for, to_status
from llmgw.control.probes import Prober, ProbeResult
from llmgw.domain.backends import BackendKind, BackendSpec
from llmgw.domain.budgets import Budget
from llmgw.domain.clock import SystemClock
from llmgw.domain.errors import (
    BackendExistsError,
    BackendNotFoundError,
    BudgetNotFoundError,
    EtagMismatchError,
    FailureClass,
    FieldViolation,
    GatewayError,
    GatewayOverloadedError,
    InvalidRequestError,
    NoEligibleBackendError,
    RouteNotFoundError,
    UnimplementedError,
)
from llmgw.domain.models import Target
from llmgw.observability.logging import get_logger
from llmgw.observability.window import quantile
from llmgw.outbound.dns import SystemResolver
from llmgw.outbound.endpoint_guard import EndpointGuard, EndpointPolicy
from llmgw.pipeline.breaker import BreakerSnapshot, BreakerState
from llmgw.pipeline.catalog import RouteOverride
from llmgw.pipeline.gateway import Gateway
from llmgw.pipeline.keys import KeyPool
from llmgw.providers.base import Provider
from llmgw.storage.audit import AuditStore

SERVICE = admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"]
_pb = admin_service_pb2

_TYPES: dict[BackendKind, admin_service_pb2.BackendType.ValueType] = {
    BackendKind.OPENAI: _pb.BACKEND_TYPE_OPENAI,
    BackendKind.ANTHROPIC: _pb.BACKEND_TYPE_ANTHROPIC,
    BackendKind.DEMO: _pb.BACKEND_TYPE_SIMULATED,
}
_MAX_DRAIN_SECONDS = 60.0
_DEFAULT_METRICS_WINDOW = 300.0
_ANONYMOUS = "anonymous"  # until authentication names the principal
_Reply = TypeVar("_Reply")
_T = TypeVar("_T")
_STRATEGIES = {
    "balanced": routing_pb2.ROUTING_STRATEGY_BALANCED,
    "cost": routing_pb2.ROUTING_STRATEGY_PRIORITIZE_COST,
    "latency": routing_pb2.ROUTING_STRATEGY_PRIORITIZE_LATENCY,
    "quality": routing_pb2.ROUTING_STRATEGY_PRIORITIZE_QUALITY,
    "local_first": routing_pb2.ROUTING_STRATEGY_LOCAL_FIRST,
    "capability": routing_pb2.ROUTING_STRATEGY_CAPABILITY_MATCH,
}
audit_log = get_logger("llmgw.audit")
_CIRCUITS = {
    BreakerState.CLOSED: _pb.CIRCUIT_STATE_CLOSED,
    BreakerState.OPEN: _pb.CIRCUIT_STATE_OPEN,
    BreakerState.HALF_OPEN: _pb.CIRCUIT_STATE_HALF_OPEN,
}


async def _served(
    context: grpc.aio.ServicerContext,
    work: Awaitable[_T],
    on_failure: Callable[[GatewayError], Awaitable[None]] | None = None,
) -> _T:
    """Await ``work``; any failure ends the RPC through the one status table
    (a non-gateway exception is INTERNAL, never grpc's bare UNKNOWN), after
    ``on_failure`` (the failure's audit row) for gateway errors."""
    try:
        return await work
    except Exception as exc:
        failure = exc
    if on_failure is not None and isinstance(failure, GatewayError):
        await on_failure(failure)
    await context.abort_with_status(to_status(failure, ""))
    raise AssertionError("unreachable")  # abort raises


def _unimplemented(method: str) -> Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Any]]:
    async def handler(_self: Any, _request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort_with_status(to_status(UnimplementedError(f"AdminService.{method}"), ""))

    handler.__name__ = method
    return handler


class AdminServicer(admin_service_pb2_grpc.AdminServiceServicer):
    """The admin plane over the running pipeline and the configured backends."""

    def __init__(
        self,
        gateway: Gateway,
        specs: Sequence[BackendSpec],
        draining: Callable[[], bool],
        prober: Prober | None = None,
        rebuild: Callable[[BackendSpec], Provider] | None = None,
        costs: CostPlane | None = None,
        audit: AuditStore | None = None,
        endpoints: EndpointGuard | None = None,
        keys: KeyAdmin | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self._keys = keys
        self._credentials: Credentials = credentials or (lambda _name: None)
        self._costs = costs
        self._trail = AuditTrail(audit)
        self._endpoints = endpoints or EndpointGuard(EndpointPolicy(), SystemResolver())
        self._gateway = gateway
        self._specs = {spec.name: spec for spec in specs}
        self._draining = draining
        self._prober = prober
        self._rebuild = rebuild
        self._retiring: set[asyncio.Task[None]] = set()
        self._probes = prober.results if prober is not None else {}

    async def GetCosts(
        self, request: admin_service_pb2.GetCostsRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.GetCostsResponse:
        return await _served(context, self._get_costs(request))

    async def _get_costs(
        self, request: admin_service_pb2.GetCostsRequest
    ) -> admin_service_pb2.GetCostsResponse:
        costs = self._costs
        if costs is None or costs.ledger is None:
            raise UnimplementedError("AdminService.GetCosts without a ledger")
        try:
            await costs.ledger.flush()  # this replica's own rows are visible at once
            return await cost_admin.get_costs(
                request, costs.ledger, costs.guard, costs.uptime, costs.fixed
            )
        except (ConnectionError, OSError) as exc:  # the shared store is down
            raise GatewayOverloadedError(
                "The ledger store is unreachable (rows wait in the outbox); retry.",
                retry_after=5.0,
            ) from exc

    async def ListBudgets(
        self, request: admin_service_pb2.ListBudgetsRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.ListBudgetsResponse:
        return await _served(context, self._list_budgets(request))

    async def _list_budgets(
        self, request: admin_service_pb2.ListBudgetsRequest
    ) -> admin_service_pb2.ListBudgetsResponse:
        if request.filter.strip() or request.page_token:
            raise InvalidRequestError(
                (
                    FieldViolation(
                        "filter" if request.filter.strip() else "page_token",
                        "ListBudgets returns every budget in one page; no filter or token",
                        "UNSUPPORTED",
                    ),
                )
            )
        guard = self._costs.guard if self._costs is not None else None
        statuses = await guard.statuses() if guard is not None else []
        return _pb.ListBudgetsResponse(budgets=[cost_admin.budget_message(s) for s in statuses])

    async def UpdateBudget(
        self, request: admin_service_pb2.UpdateBudgetRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.UpdateBudgetResponse:
        return await _served(context, self._update_budget(request))

    async def _update_budget(
        self, request: admin_service_pb2.UpdateBudgetRequest
    ) -> admin_service_pb2.UpdateBudgetResponse:
        guard = self._costs.guard if self._costs is not None else None
        if guard is None:
            raise UnimplementedError("AdminService.UpdateBudget without a budget store")
        name = request.budget.name.removeprefix("budgets/")
        current = next((b for b in guard.budgets() if b.name == name), None)
        if current is None and not request.allow_missing:
            raise BudgetNotFoundError(f"budgets/{name}")
        budget = cost_admin.budget_from_proto(request.budget, current, request.update_mask.paths)
        target = f"budgets/{name}"
        try:
            await guard.upsert(budget, request.budget.etag)
        except Exception:
            await self._audit("UpdateBudget", target, "failure", before=_budget_json(current))
            raise
        await self._audit(
            "UpdateBudget", target, "success",
            before=_budget_json(current), after=_budget_json(budget),
        )
        status = next(s for s in await guard.statuses() if s.budget.name == name)
        return _pb.UpdateBudgetResponse(budget=cost_admin.budget_message(status))

    async def _probe_candidate(self, name: str, provider: Provider) -> ProbeResult:
        """A dry run's probe of a candidate adapter (closed afterwards);
        ``FAILED_PRECONDITION`` when the endpoint does not answer healthy."""
        if self._prober is None:
            raise UnimplementedError("endpoint probes on this server")
        try:
            result = await self._prober.probe(name, provider)
        finally:
            await provider.aclose()
        if not result.ok:
            why = result.error.public_message if result.error else "probe failed"
            raise NoEligibleBackendError(
                name, (FieldViolation("backend.endpoint_uri", why, "HEALTH_CHECK"),)
            )
        return result

    async def GetHealth(
        self, request: admin_service_pb2.GetHealthRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.GetHealthResponse:
        draining = self._draining()
        response = _pb.GetHealthResponse(
            gateway_state=_pb.HEALTH_STATE_UNHEALTHY if draining else _pb.HEALTH_STATE_HEALTHY,
            draining=draining,
        )
        breakers = self._breakers()
        for name in self._specs:
            report = response.backends.add(backend=name, state=_pb.BACKEND_STATE_ENABLED)
            snapshots = breakers.get(name, {})
            _fill_health(report.health, name, snapshots, self._probes.get(name))
            for model, snapshot in sorted(snapshots.items()):
                _fill_breaker(report.circuit_breakers.add(), model, snapshot)
        return response

    async def ListBackends(
        self, request: admin_service_pb2.ListBackendsRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.ListBackendsResponse:
        breakers = self._breakers()
        return _pb.ListBackendsResponse(
            backends=[
                _backend(spec, breakers.get(spec.name, {}), self._probes.get(spec.name))
                for spec in self._specs.values()
            ]
        )

    async def GetBackend(
        self, request: admin_service_pb2.GetBackendRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.GetBackendResponse:
        name = request.name.removeprefix("backends/")
        spec = self._specs.get(name)
        if spec is None:
            await context.abort_with_status(to_status(BackendNotFoundError(request.name), ""))
            raise AssertionError("unreachable")
        snapshots = self._breakers().get(name, {})
        return _pb.GetBackendResponse(backend=_backend(spec, snapshots, self._probes.get(name)))

    async def UpdateBackend(
        self, request: admin_service_pb2.UpdateBackendRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.UpdateBackendResponse:
        async def audit_failure(failure: GatewayError) -> None:
            await self._audit(
                "UpdateBackend", request.backend.name, "failure", error=failure.public_message
            )

        return await _served(context, self._update(request), audit_failure)

    async def _update(
        self, request: admin_service_pb2.UpdateBackendRequest
    ) -> admin_service_pb2.UpdateBackendResponse:
        name = request.backend.name.removeprefix("backends/")
        spec = self._specs.get(name)
        if spec is None:
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
        # SSRF guard: literal checks, allow/deny lists, DNS resolved once and pinned.
        pinned = await self._endpoints.check(uri, "backend.endpoint_uri")
        if self._rebuild is None or self._prober is None:
            raise UnimplementedError("UpdateBackend on this server")
        updated = replace(spec, base_url=pinned.url, pinned_addresses=pinned.addresses)
        provider = self._rebuild(updated)
        if request.validate_only:
            result = await self._probe_candidate(name, provider)
            await self._audit(
                "UpdateBackend",
                f"backends/{name}",
                "dry_run",
                before={"endpoint_uri": spec.base_url},
                after={"endpoint_uri": uri},
            )
            return _pb.UpdateBackendResponse(backend=_backend(updated, {}, result))
        old = self._gateway.replace_provider(name, provider)
        self._specs[name] = updated
        self._retire(old, spec.request_timeout)
        await self._audit(
            "UpdateBackend",
            f"backends/{name}",
            "success",
            before={"endpoint_uri": spec.base_url},
            after={"endpoint_uri": uri, "pinned_addresses": list(pinned.addresses)},
        )
        snapshots = self._breakers().get(name, {})
        return _pb.UpdateBackendResponse(backend=_backend(updated, snapshots, None))

    async def CreateBackend(
        self, request: admin_service_pb2.CreateBackendRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.CreateBackendResponse:
        async def audit_failure(failure: GatewayError) -> None:
            target = f"backends/{request.backend_id[:64]}"
            await self._audit("CreateBackend", target, "failure", error=failure.public_message)

        return await _served(context, self._create(request), audit_failure)

    async def _create(
        self, request: admin_service_pb2.CreateBackendRequest
    ) -> admin_service_pb2.CreateBackendResponse:
        """Validate like ``UpdateBackend`` (fields, then the SSRF guard: DNS
        resolved once and pinned, no redirects), then either probe and change
        nothing (``validate_only``, audited ``dry_run``) or register the
        backend: adapter, key pool, catalogue and price book (``Gateway.
        add_backend``) and this servicer's specs (List/Get/GetHealth).

        The backend lives in this process until it stops: it is not written
        to the configuration file or shared with other replicas.
        """
        name = backend_create.backend_id(request.backend_id)
        if name in self._specs or self._gateway.has_backend(name):
            raise BackendExistsError(name)
        spec = backend_create.spec_from_request(name, request.backend, self._credentials)
        pinned = await self._endpoints.check(spec.base_url, "backend.endpoint_uri")
        if self._rebuild is None or self._prober is None:
            raise UnimplementedError("CreateBackend on this server")
        spec = replace(spec, base_url=pinned.url, pinned_addresses=pinned.addresses)
        target = f"backends/{name}"
        provider = self._rebuild(spec)
        if request.validate_only:
            result = await self._probe_candidate(name, provider)
            await self._audit(
                "CreateBackend", target, "dry_run", after=backend_create.audit_view(spec)
            )
            return _pb.CreateBackendResponse(backend=_backend(spec, {}, result))
        if name in self._specs or self._gateway.has_backend(name):  # created meanwhile
            await provider.aclose()
            raise BackendExistsError(name)
        # One unlimited key at most: the pool is trivial (no counters to share).
        self._gateway.add_backend(spec, provider, KeyPool(name, spec.key_pool(), SystemClock()))
        self._specs[name] = spec
        await self._audit("CreateBackend", target, "success", after=backend_create.audit_view(spec))
        return _pb.CreateBackendResponse(backend=_backend(spec, {}, None))

    async def CreateApiKey(
        self, request: admin_service_pb2.CreateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.CreateApiKeyResponse:
        target = f"apiKeys/{request.key_id}" if request.key_id else "apiKeys/"
        return await self._key_rpc(
            "CreateApiKey", target, context, lambda k: k.create(request, current_principal())
        )

    async def ListApiKeys(
        self, request: admin_service_pb2.ListApiKeysRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.ListApiKeysResponse:
        return await self._key_rpc("", "", context, lambda k: k.list(request))

    async def RotateApiKey(
        self, request: admin_service_pb2.RotateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.RotateApiKeyResponse:
        return await self._key_rpc(
            "RotateApiKey", request.name, context, lambda k: k.rotate(request)
        )

    async def RevokeApiKey(
        self, request: admin_service_pb2.RevokeApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.RevokeApiKeyResponse:
        return await self._key_rpc(
            "RevokeApiKey", request.name, context, lambda k: k.revoke(request)
        )

    async def _key_rpc(
        self,
        action: str,
        target: str,
        context: grpc.aio.ServicerContext,
        call: Callable[[KeyAdmin], Awaitable[_Reply]],
    ) -> _Reply:
        """Run a key RPC (``api/admin/keys.py``); changes are audited, never the secret."""
        try:
            if self._keys is None:
                raise UnimplementedError("AdminService key management on this server")
            response = await call(self._keys)
        except GatewayError as exc:
            failure = exc
        else:
            if action:
                key = response.api_key  # type: ignore[attr-defined]
                after = {"tenant": key.tenant, "scopes": list(key.scopes), "state": key.state}
                await self._audit(action, key.name, "success", after=after)
            return response
        if action:
            await self._audit(action, target, "failure", after={"error": failure.public_message})
        await context.abort_with_status(to_status(failure, ""))
        raise AssertionError("unreachable")

    async def _audit(self, action: str, target: str, outcome: str, **fields: Any) -> None:
        """Append the audit row (redacted) and log it; awaited before answering."""
        await self._trail.record(action, target, outcome, **fields)

    async def ListAuditEvents(
        self, request: admin_service_pb2.ListAuditEventsRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.ListAuditEventsResponse:
        return await _served(context, self._trail.list_events(request))

    def _retire(self, provider: Provider, drain_seconds: float) -> None:
        """Close a replaced adapter once the attempts still using it can have ended."""

        async def close_later() -> None:
            await asyncio.sleep(min(drain_seconds, _MAX_DRAIN_SECONDS))
            await provider.aclose()

        task = asyncio.get_running_loop().create_task(close_later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def GetMetrics(
        self, request: admin_service_pb2.GetMetricsRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.GetMetricsResponse:
        window = (
            request.window.ToTimedelta().total_seconds()
            if request.HasField("window")
            else _DEFAULT_METRICS_WINDOW
        )
        if window <= 0:
            error = InvalidRequestError((FieldViolation("window", "must be positive"),))
            await context.abort_with_status(to_status(error, ""))
        backends = {b.removeprefix("backends/") for b in request.backends}
        models = set(request.model_ids)
        breakers = self._gateway.attempts.breakers.snapshots()
        now = time.time()
        response = _pb.GetMetricsResponse()
        start, rows = self._gateway.metrics.rows(window)  # the Prometheus instruments
        response.window_start_time.FromNanoseconds(int(start * 1e9))
        response.window_end_time.FromNanoseconds(int(now * 1e9))
        for (backend, model), row in sorted(rows.items()):
            if (backends and backend not in backends) or (models and model not in models):
                continue
            if not row.requests:
                continue
            out = response.rows.add(
                backend=f"backends/{backend}",
                model_id=model,
                request_count=row.requests,
                in_flight_request_count=self._gateway.in_flight(backend),
                output_tokens_per_second=row.tokens_per_second,
            )
            for failure, count in row.failures.items():
                code = UPSTREAM_RULES[FailureClass(failure)].code.name
                out.error_counts[code] = out.error_counts.get(code, 0) + count
            for field_name, buckets, q in (
                ("p50_latency", row.latency, 0.5),
                ("p95_latency", row.latency, 0.95),
                ("p50_time_to_first_token", row.first_token, 0.5),
                ("p95_time_to_first_token", row.first_token, 0.95),
            ):
                value = quantile(q, buckets)
                if value is not None:
                    getattr(out, field_name).FromNanoseconds(int(value * 1e9))
            convert.fill_money(out.cost, int(row.cost_nanos), "USD")
            snapshot = breakers.get((backend, model))
            if snapshot is not None:
                _fill_breaker(out.circuit_breaker, model, snapshot)
        return response

    async def ListRoutes(
        self, request: admin_service_pb2.ListRoutesRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.ListRoutesResponse:
        catalog = self._gateway.catalog
        return _pb.ListRoutesResponse(
            routes=[self._route(alias) for alias in sorted(catalog.aliases)]
        )

    async def SwitchBackend(
        self, request: admin_service_pb2.SwitchBackendRequest, context: grpc.aio.ServicerContext
    ) -> admin_service_pb2.SwitchBackendResponse:
        async def audit_failure(failure: GatewayError) -> None:
            await self._audit(
                "SwitchBackend", request.route, "failure", error=failure.public_message
            )

        return await _served(context, self._switch(request), audit_failure)

    async def _switch(
        self, request: admin_service_pb2.SwitchBackendRequest
    ) -> admin_service_pb2.SwitchBackendResponse:
        catalog = self._gateway.catalog
        alias = request.route.removeprefix("routes/")
        if alias not in catalog.aliases:
            raise RouteNotFoundError(request.route)
        backend = request.backend.removeprefix("backends/")
        if backend not in self._specs:
            raise BackendNotFoundError(request.backend)
        if request.etag and request.etag != catalog.etag(alias):
            raise EtagMismatchError(catalog.etag(alias))
        current = catalog.route(alias)
        model_id = request.model_id or current[0].model.id
        model = catalog.find(backend, model_id)
        if model is None:
            raise NoEligibleBackendError(
                alias,
                (
                    FieldViolation(
                        "model_id", f"backend {backend!r} does not serve {model_id!r}", "CAPABILITY"
                    ),
                ),
            )
        if not request.skip_health_check and self._prober is not None:
            probe = await self._prober.probe(backend)
            if not probe.ok:
                raise NoEligibleBackendError(
                    alias,
                    (
                        FieldViolation(
                            "backend",
                            f"backend {backend!r} failed its health check; "
                            "set skip_health_check to switch anyway",
                            "HEALTH_CHECK",
                        ),
                    ),
                )
        previous = _route_target(current[0])
        if request.validate_only:
            await self._audit(
                "SwitchBackend",
                f"routes/{alias}",
                "dry_run",
                before={"target": f"{previous.backend}:{previous.model_id}"},
                after={"target": f"backends/{backend}:{model.id}"},
                reason=request.reason or None,
            )
            return _pb.SwitchBackendResponse(route=self._route(alias), previous_target=previous)
        now = time.time()
        ttl = request.ttl.ToTimedelta().total_seconds() if request.HasField("ttl") else 0.0
        override = RouteOverride(
            target=Target(model, alias),
            reason=request.reason,
            actor=current_principal().subject,
            created_at=now,
            expires_at=now + ttl if ttl > 0 else None,
        )
        catalog.switch(alias, override)
        aborted = 0
        if request.mode == _pb.SWITCH_MODE_IMMEDIATE and current[0].backend != backend:
            aborted = self._gateway.abort(current[0].backend, alias)
        await self._audit(
            "SwitchBackend",
            f"routes/{alias}",
            "success",
            before={"target": f"{previous.backend}:{previous.model_id}"},
            after={"target": f"backends/{backend}:{model.id}"},
            ttl_seconds=ttl or None,
            mode="immediate" if request.mode == _pb.SWITCH_MODE_IMMEDIATE else "drain",
            aborted_requests=aborted,
            reason=request.reason or None,
        )
        return _pb.SwitchBackendResponse(route=self._route(alias), previous_target=previous)

    def _route(self, alias: str) -> admin_service_pb2.Route:
        catalog = self._gateway.catalog
        route = _pb.Route(
            name=f"routes/{alias}",
            targets=[_route_target(t) for t in catalog.route(alias)],
            default_strategy=_STRATEGIES.get(
                self._gateway.routing.strategies.get(alias, ""),
                routing_pb2.ROUTING_STRATEGY_UNSPECIFIED,
            ),
            etag=catalog.etag(alias),
        )
        override = catalog.override(alias)
        if override is not None:
            active = route.active_override
            active.target.CopyFrom(_route_target(override.target))
            active.reason = override.reason
            active.actor = override.actor
            active.create_time.FromNanoseconds(int(override.created_at * 1e9))
            if override.expires_at is not None:
                active.expire_time.FromNanoseconds(int(override.expires_at * 1e9))
        return route

    def _breakers(self) -> dict[str, dict[str, BreakerSnapshot]]:
        grouped: dict[str, dict[str, BreakerSnapshot]] = {}
        for (backend, model), snapshot in self._gateway.attempts.breakers.snapshots().items():
            grouped.setdefault(backend, {})[model] = snapshot
        return grouped


def _budget_json(budget: Budget | None) -> str:
    if budget is None:
        return ""
    return orjson.dumps(
        {
            "scope": budget.scope.label,
            "limitNanos": budget.limit_nanos,
            "currency": budget.currency,
            "period": budget.period.value,
            "enforcement": budget.enforcement.value,
            "thresholds": list(budget.thresholds),
            "timeZone": budget.time_zone,
        }
    ).decode()


def _fill_breaker(
    target: admin_service_pb2.CircuitBreakerReport, model: str, snapshot: BreakerSnapshot
) -> None:
    target.model = model
    target.state = _CIRCUITS[snapshot.state]
    target.consecutive_failure_count = snapshot.consecutive_failures
    target.trip_count = snapshot.trips
    target.transition_count = snapshot.transitions
    if snapshot.retry_after:
        target.retry_after.FromNanoseconds(int(snapshot.retry_after * 1e9))


def _route_target(target: Target) -> admin_service_pb2.RouteTarget:
    return _pb.RouteTarget(backend=f"backends/{target.backend}", model_id=target.model.id, weight=1)


def _fill_health(
    target: admin_service_pb2.BackendHealth,
    name: str,
    snapshots: dict[str, BreakerSnapshot],
    probe: ProbeResult | None,
) -> None:
    """Active probes and passive breakers combined: a failing probe or every
    breaker open is UNHEALTHY, some breaker not closed is DEGRADED."""
    target.health_service_name = f"llmgateway.v1.backends/{name}"
    failures = max((s.consecutive_failures for s in snapshots.values()), default=0)
    if probe is not None:
        target.last_check_time.FromNanoseconds(int(probe.checked_at * 1e9))
        target.last_check_latency.FromNanoseconds(int(probe.latency * 1e9))
        failures = max(failures, probe.consecutive_failures)
        if probe.error is not None:
            rule = rule_for(probe.error)
            target.last_error.code = rule.code.value[0]
            target.last_error.message = probe.error.public_message
    target.consecutive_failure_count = failures
    states = [s.state for s in snapshots.values()]
    if (probe is not None and not probe.ok) or (
        states and all(state is BreakerState.OPEN for state in states)
    ):
        target.state = _pb.HEALTH_STATE_UNHEALTHY
    elif any(state is not BreakerState.CLOSED for state in states):
        target.state = _pb.HEALTH_STATE_DEGRADED
    elif probe is not None or states:
        target.state = _pb.HEALTH_STATE_HEALTHY
    else:
        target.state = _pb.HEALTH_STATE_UNKNOWN


def _backend(
    spec: BackendSpec, snapshots: dict[str, BreakerSnapshot], probe: ProbeResult | None
) -> admin_service_pb2.Backend:
    backend = _pb.Backend(
        name=f"backends/{spec.name}",
        display_name=spec.preset or spec.name,
        type=_backend_type(spec),
        endpoint_uri=spec.base_url,
        state=_pb.BACKEND_STATE_ENABLED,
        max_concurrent_request_count=spec.max_connections,
    )
    backend.request_timeout.FromNanoseconds(int(spec.request_timeout * 1e9))
    for model in spec.models:
        backend.served_models.add(
            model_id=model.id,
            upstream_model=model.upstream_id,
            capabilities=[convert.CAPABILITIES[c] for c in sorted(model.capabilities)],
            input_token_limit=model.context_window,
            output_token_limit=model.max_output_tokens,
        )
    _fill_health(backend.health, spec.name, snapshots, probe)
    return backend


def _backend_type(spec: BackendSpec) -> admin_service_pb2.BackendType.ValueType:
    if spec.kind is BackendKind.OPENAI_COMPATIBLE:
        vllm = spec.preset == "vllm"
        return _pb.BACKEND_TYPE_VLLM if vllm else _pb.BACKEND_TYPE_OPENAI_COMPATIBLE
    return _TYPES[spec.kind]


for _method in SERVICE.methods:
    if _method.name not in AdminServicer.__dict__:
        setattr(AdminServicer, _method.name, _unimplemented(_method.name))
