"""Domain state -> admin proto messages (pure): backends and their health,
breakers, routes and overrides, budgets for audit rows.

Health combines active probes and passive breakers: a failing probe or every
breaker open is ``UNHEALTHY``, some breaker not closed is ``DEGRADED``, a
backend with neither probe nor traffic yet is ``HEALTH_STATE_UNKNOWN``.
"""

from __future__ import annotations

import orjson
from llmgateway.v1 import admin_service_pb2, routing_pb2

from llmgw.api import convert
from llmgw.api.status import rule_for
from llmgw.control.probes import ProbeResult
from llmgw.domain.backends import BackendKind, BackendSpec
from llmgw.domain.budgets import Budget
from llmgw.domain.models import Target
from llmgw.pipeline.breaker import BreakerSnapshot, BreakerState
from llmgw.pipeline.catalog import RouteOverride

_pb = admin_service_pb2
Breakers = dict[str, dict[str, BreakerSnapshot]]  # backend -> model -> snapshot

_TYPES: dict[BackendKind, admin_service_pb2.BackendType.ValueType] = {
    BackendKind.OPENAI: _pb.BACKEND_TYPE_OPENAI,
    BackendKind.ANTHROPIC: _pb.BACKEND_TYPE_ANTHROPIC,
    BackendKind.DEMO: _pb.BACKEND_TYPE_SIMULATED,
}
STRATEGIES = {
    "balanced": routing_pb2.ROUTING_STRATEGY_BALANCED,
    "cost": routing_pb2.ROUTING_STRATEGY_PRIORITIZE_COST,
    "latency": routing_pb2.ROUTING_STRATEGY_PRIORITIZE_LATENCY,
    "quality": routing_pb2.ROUTING_STRATEGY_PRIORITIZE_QUALITY,
    "local_first": routing_pb2.ROUTING_STRATEGY_LOCAL_FIRST,
    "capability": routing_pb2.ROUTING_STRATEGY_CAPABILITY_MATCH,
}


def grouped(snapshots: dict[tuple[str, str], BreakerSnapshot]) -> Breakers:
    """Breaker snapshots keyed (backend, model) -> backend -> model."""
    out: Breakers = {}
    for (backend, model), snapshot in snapshots.items():
        out.setdefault(backend, {})[model] = snapshot
    return out


def budget_json(budget: Budget | None) -> str:
    """A budget for an audit row's before/after (empty when there is none)."""
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


def route_target(target: Target) -> admin_service_pb2.RouteTarget:
    return _pb.RouteTarget(backend=f"backends/{target.backend}", model_id=target.model.id, weight=1)


def route(
    alias: str,
    targets: tuple[Target, ...],
    strategy: str,
    etag: str,
    override: RouteOverride | None,
) -> admin_service_pb2.Route:
    message = _pb.Route(
        name=f"routes/{alias}",
        targets=[route_target(t) for t in targets],
        default_strategy=STRATEGIES.get(strategy, routing_pb2.ROUTING_STRATEGY_UNSPECIFIED),
        etag=etag,
    )
    if override is not None:
        active = message.active_override
        active.target.CopyFrom(route_target(override.target))
        active.reason = override.reason
        active.actor = override.actor
        active.create_time.FromNanoseconds(int(override.created_at * 1e9))
        if override.expires_at is not None:
            active.expire_time.FromNanoseconds(int(override.expires_at * 1e9))
    return message


def fill_health(
    target: admin_service_pb2.BackendHealth,
    name: str,
    snapshots: dict[str, BreakerSnapshot],
    probe: ProbeResult | None,
) -> None:
    """Active probes and passive breakers combined (module docstring)."""
    target.health_service_name = f"llmgateway.v1.backends/{name}"
    failures = max((s.consecutive_failures for s in snapshots.values()), default=0)
    if probe is not None:
        target.last_check_time.FromNanoseconds(int(probe.checked_at * 1e9))
        target.last_check_latency.FromNanoseconds(int(probe.latency * 1e9))
        failures = max(failures, probe.consecutive_failures)
        if probe.error is not None:
            target.last_error.code = rule_for(probe.error).code.value[0]
            target.last_error.message = probe.error.public_message
    target.consecutive_failure_count = failures
    target.state = _health_state([s.state for s in snapshots.values()], probe)


def _health_state(
    states: list[BreakerState], probe: ProbeResult | None
) -> admin_service_pb2.HealthState.ValueType:
    if (probe is not None and not probe.ok) or (
        states and all(state is BreakerState.OPEN for state in states)
    ):
        return _pb.HEALTH_STATE_UNHEALTHY
    if any(state is not BreakerState.CLOSED for state in states):
        return _pb.HEALTH_STATE_DEGRADED
    if probe is not None or states:
        return _pb.HEALTH_STATE_HEALTHY
    return _pb.HEALTH_STATE_UNKNOWN


def backend(
    spec: BackendSpec, snapshots: dict[str, BreakerSnapshot], probe: ProbeResult | None
) -> admin_service_pb2.Backend:
    message = _pb.Backend(
        name=f"backends/{spec.name}",
        display_name=spec.preset or spec.name,
        type=_backend_type(spec),
        endpoint_uri=spec.base_url,
        state=_pb.BACKEND_STATE_ENABLED,
        max_concurrent_request_count=spec.max_connections,
    )
    message.request_timeout.FromNanoseconds(int(spec.request_timeout * 1e9))
    for model in spec.models:
        message.served_models.add(
            model_id=model.id,
            upstream_model=model.upstream_id,
            capabilities=[convert.CAPABILITIES[c] for c in sorted(model.capabilities)],
            input_token_limit=model.context_window,
            output_token_limit=model.max_output_tokens,
        )
    fill_health(message.health, spec.name, snapshots, probe)
    return message


def _backend_type(spec: BackendSpec) -> admin_service_pb2.BackendType.ValueType:
    if spec.kind is BackendKind.OPENAI_COMPATIBLE:
        vllm = spec.preset == "vllm"
        return _pb.BACKEND_TYPE_VLLM if vllm else _pb.BACKEND_TYPE_OPENAI_COMPATIBLE
    return _TYPES[spec.kind]


__all__ = [
    "STRATEGIES",
    "Breakers",
    "backend",
    "budget_json",
    "fill_health",
    "grouped",
    "route",
    "route_target",
]
