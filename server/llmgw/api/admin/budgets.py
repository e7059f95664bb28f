"""``ListBudgets`` and ``UpdateBudget``: budgets proto <-> domain.

``budget_message`` renders a budget with its current spend, reservation and
fired alerts; ``budget_from_proto`` builds the domain ``Budget`` an
``UpdateBudget`` asks for (field mask honoured; money and time zone checked,
``INVALID_ARGUMENT`` naming the field otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from google.protobuf import timestamp_pb2
from llmgateway.v1 import admin_service_pb2

from llmgw.api import convert
from llmgw.api.checks import money_nanos
from llmgw.domain.budgets import Budget, BudgetScope, Enforcement, Period, ScopeKind
from llmgw.domain.errors import FieldViolation, InvalidRequestError
from llmgw.pipeline.budget import BudgetStatus

_pb = admin_service_pb2
PERIODS = {
    Period.DAILY: _pb.BUDGET_PERIOD_DAILY,
    Period.WEEKLY: _pb.BUDGET_PERIOD_WEEKLY,
    Period.MONTHLY: _pb.BUDGET_PERIOD_MONTHLY,
    Period.TOTAL: _pb.BUDGET_PERIOD_LIFETIME,
}
_ENFORCEMENT = {
    Enforcement.HARD: _pb.BUDGET_ENFORCEMENT_HARD,
    Enforcement.SOFT: _pb.BUDGET_ENFORCEMENT_SOFT,
    Enforcement.DOWNGRADE: _pb.BUDGET_ENFORCEMENT_DOWNGRADE,
}


def _bad(field: str, description: str, reason: str = "INVALID_ARGUMENT") -> InvalidRequestError:
    return InvalidRequestError((FieldViolation(field, description, reason),))


def _stamp(target: timestamp_pb2.Timestamp, seconds: float) -> None:
    target.FromNanoseconds(round(seconds * 1e9))


def budget_message(status: BudgetStatus) -> admin_service_pb2.Budget:
    """The proto ``Budget`` with its current spend, reservation and alerts."""
    budget = status.budget
    message = _pb.Budget(
        name=f"budgets/{budget.name}",
        period=PERIODS[budget.period],
        enforcement=_ENFORCEMENT[budget.enforcement],
        alert_threshold_percents=list(budget.thresholds),
        etag=status.etag,
        time_zone=budget.time_zone,
        percent_used=status.percent_used,
    )
    kind, value = budget.scope.kind, budget.scope.value
    if kind is ScopeKind.GLOBAL:
        setattr(message, "global", True)  # a Python keyword
    elif kind is ScopeKind.TENANT:
        message.tenant = f"tenants/{value}"
    elif kind is ScopeKind.PROJECT:
        message.project = f"projects/{value}"
    elif kind is ScopeKind.USER:
        message.end_user_id = value
    else:
        message.api_key = f"apiKeys/{value}"
    currency = budget.currency
    message.limit.CopyFrom(convert.money(status.limit_nanos, currency))
    message.spent.CopyFrom(convert.money(status.spent_nanos, currency))
    message.remaining.CopyFrom(convert.money(status.remaining_nanos, currency))
    message.reserved.CopyFrom(convert.money(status.reserved_nanos, currency))
    _stamp(message.period_start_time, status.period_start)
    if status.reset_time is not None:
        _stamp(message.reset_time, status.reset_time)
    for alert in status.alerts:
        fired = message.alerts.add(
            threshold_percent=alert.threshold, severity=_severity(alert.threshold)
        )
        _stamp(fired.fire_time, alert.fire_time)
        _stamp(fired.period_start_time, float(alert.period_start))
        fired.spent.CopyFrom(convert.money(alert.spent_nanos, currency))
    return message


def _severity(threshold: int) -> admin_service_pb2.AlertSeverity.ValueType:
    if threshold >= 100:
        return _pb.ALERT_SEVERITY_EXHAUSTED
    if threshold >= 90:
        return _pb.ALERT_SEVERITY_CRITICAL
    return _pb.ALERT_SEVERITY_WARNING


_UPDATABLE = frozenset(
    {"limit", "period", "enforcement", "alert_threshold_percents", "time_zone", "scope"}
)
_SCOPE_FIELDS = ("project", "end_user_id", "label", "global", "tenant", "api_key")


def budget_from_proto(
    message: admin_service_pb2.Budget, current: Budget | None, mask: Sequence[str]
) -> Budget:
    """Domain budget from an UpdateBudget request (field mask honoured)."""
    name = message.name.removeprefix("budgets/")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,62}", name):
        raise _bad("budget.name", "must be budgets/{id} with id [a-z0-9][a-z0-9_-]{0,62}")
    paths = {p.removeprefix("budget.") for p in mask}
    paths = {"scope" if p in _SCOPE_FIELDS else p for p in paths}
    unknown = paths - _UPDATABLE
    if unknown:
        raise _bad("update_mask", f"cannot update {sorted(unknown)}", "UNSUPPORTED_FIELD")
    if current is None or not paths:
        paths = set(_UPDATABLE)
    base = current or Budget(name=name, scope=BudgetScope(ScopeKind.GLOBAL), limit_nanos=0)
    changes: dict[str, object] = {}
    if "limit" in paths:
        if not message.HasField("limit"):
            raise _bad("budget.limit", "is required", "REQUIRED")
        nanos, currency = money_nanos(message.limit, "budget.limit")
        if nanos < 0:
            raise _bad("budget.limit", "must be >= 0", "VALUE_OUT_OF_RANGE")
        changes["limit_nanos"] = nanos
        changes["currency"] = currency
    if "scope" in paths:
        changes["scope"] = _scope(message)
    changes.update(_policy_changes(message, paths))
    return replace(base, **changes)  # type: ignore[arg-type]


def _policy_changes(message: admin_service_pb2.Budget, paths: set[str]) -> dict[str, object]:
    """Period, enforcement, thresholds and time zone (unset enum = keep)."""
    changes: dict[str, object] = {}
    if "period" in paths and message.period:
        changes["period"] = _known(PERIODS, message.period, "period")
    if "enforcement" in paths and message.enforcement:
        changes["enforcement"] = _known(_ENFORCEMENT, message.enforcement, "enforcement")
    if "alert_threshold_percents" in paths and message.alert_threshold_percents:
        thresholds = tuple(sorted(set(message.alert_threshold_percents)))
        if any(t <= 0 or t > 1000 for t in thresholds):
            raise _bad("budget.alert_threshold_percents", "must be in 1..1000")
        changes["thresholds"] = thresholds
    if "time_zone" in paths and message.time_zone:
        changes["time_zone"] = _zone(message.time_zone)
    return changes


def _known(values: Mapping[Any, int], number: int, field: str) -> Any:
    """The domain value of proto enum ``number``; proto enums are open, so a
    newer client can send a number this gateway does not know."""
    for value, wire in values.items():
        if wire == number:
            return value
    raise _bad(f"budget.{field}", f"unknown {field}", "VALUE_OUT_OF_RANGE")


def _zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _bad("budget.time_zone", f"unknown time zone {name!r}") from exc
    return name


def _scope(message: admin_service_pb2.Budget) -> BudgetScope:
    which = message.WhichOneof("scope")
    if which is None or which == "global":
        return BudgetScope(ScopeKind.GLOBAL)
    if which == "label":
        raise _bad("budget.label", "label budgets are not supported", "UNSUPPORTED")
    value = getattr(message, which)
    kind, prefix = {
        "tenant": (ScopeKind.TENANT, "tenants/"),
        "project": (ScopeKind.PROJECT, "projects/"),
        "end_user_id": (ScopeKind.USER, "users/"),
        "api_key": (ScopeKind.API_KEY, "apiKeys/"),
    }[which]
    value = value.removeprefix(prefix)
    if not value:
        raise _bad(f"budget.{which}", "must name the scope", "REQUIRED")
    return BudgetScope(kind, value)


__all__ = ["PERIODS", "budget_from_proto", "budget_message"]
