"""``GetCosts``: proto <-> the ledger (budgets: ``api/admin/budgets.py``).

GetCosts reads the ledger's hourly rollups (never raw rows), except for a
``request_id = "..."`` filter, which is an indexed lookup of that request's
attempts ("what did that call cost?"). ``total_cost`` is the exact sum of the
per-response costs (integer nanos all the way); self-hosted vLLM uptime is its
own ``fixed_costs`` line, added only to ``grand_total_cost``.

Filter grammar (AIP-160 subset): ``key = "value"`` terms joined by ``AND``;
keys ``tenant``, ``project``, ``end_user``, ``api_key``, ``model``,
``backend``, ``request_id``; resource prefixes (``projects/``, ``tenants/``,
``apiKeys/``, ``backends/``) are accepted and stripped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from google.protobuf import timestamp_pb2
from llmgateway.v1 import admin_service_pb2

from llmgw.accounting.ledger.port import CostGroup, CostQuery, Ledger
from llmgw.accounting.uptime import UptimeLog
from llmgw.api import convert
from llmgw.api.admin.budgets import PERIODS as _PERIODS
from llmgw.api.admin.forecast import fill_forecast
from llmgw.api.checks import timestamp_seconds
from llmgw.api.page_tokens import decode_offset, encode_offset
from llmgw.domain.errors import FieldViolation, InvalidRequestError
from llmgw.domain.ledger import AttemptStatus, LedgerRow, UsageSource
from llmgw.domain.money import decimal_to_nanos
from llmgw.pipeline.budget import BudgetGuard, BudgetStatus

_pb = admin_service_pb2
_DIMENSIONS = {
    _pb.COST_DIMENSION_PROJECT: "project",
    _pb.COST_DIMENSION_MODEL: "model",
    _pb.COST_DIMENSION_BACKEND: "backend",
    _pb.COST_DIMENSION_END_USER: "end_user",
    _pb.COST_DIMENSION_TENANT: "tenant",
    _pb.COST_DIMENSION_API_KEY: "key_id",
}
_PUBLIC_DIMENSION = {
    "project": "project",
    "model": "model",
    "backend": "backend",
    "end_user": "end_user",
    "tenant": "tenant",
    "key_id": "api_key",
}
_GRANULARITY = {
    _pb.COST_GRANULARITY_UNSPECIFIED: "total",
    _pb.COST_GRANULARITY_TOTAL: "total",
    _pb.COST_GRANULARITY_HOUR: "hour",
    _pb.COST_GRANULARITY_DAY: "day",
    _pb.COST_GRANULARITY_MONTH: "month",
}
_FILTER_KEYS = {
    "tenant": ("tenant", "tenants/"),
    "project": ("project", "projects/"),
    "end_user": ("end_user", "users/"),
    "end_user_id": ("end_user", "users/"),
    "api_key": ("key_id", "apiKeys/"),
    "model": ("model", ""),
    "backend": ("backend", "backends/"),
    "request_id": ("request_id", ""),
}
_TERM = re.compile(r'^\s*(\w+)\s*=\s*"([^"]*)"\s*$|^\s*(\w+)\s*=\s*([^\s"]+)\s*$')
_STATUS = {
    AttemptStatus.OK: _pb.ATTEMPT_STATUS_OK,
    AttemptStatus.ERROR: _pb.ATTEMPT_STATUS_ERROR,
    AttemptStatus.CANCELLED: _pb.ATTEMPT_STATUS_CANCELLED,
    AttemptStatus.TRUNCATED: _pb.ATTEMPT_STATUS_TRUNCATED,
    AttemptStatus.CACHE_HIT: _pb.ATTEMPT_STATUS_CACHE_HIT,
    AttemptStatus.COALESCED: _pb.ATTEMPT_STATUS_COALESCED,
}
_DEFAULT_PAGE = 100
_MAX_PAGE = 10_000
_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class FixedCost:
    """A self-hosted backend billed by uptime."""

    backend: str
    hourly_rate: Decimal
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class CostPlane:
    """What the cost and budget RPCs read: the ledger, the budget guard, the
    uptime log and the self-hosted backends billed by the hour."""

    ledger: Ledger | None = None
    guard: BudgetGuard | None = None
    uptime: UptimeLog | None = None
    fixed: Sequence[FixedCost] = ()


def _bad(field: str, description: str, reason: str = "INVALID_ARGUMENT") -> InvalidRequestError:
    return InvalidRequestError((FieldViolation(field, description, reason),))


def parse_filter(text: str) -> dict[str, str]:
    """``key = "value" AND ...`` -> {dimension: value}; INVALID_ARGUMENT otherwise."""
    found: dict[str, str] = {}
    if not text.strip():
        return found
    for raw in re.split(r"\s+AND\s+", text.strip()):
        match = _TERM.match(raw)
        key = (match.group(1) or match.group(3)) if match else ""
        if match is None or key.lower() not in _FILTER_KEYS:
            raise _bad(
                "filter",
                f"unsupported term {raw!r}; use key = \"value\" with keys "
                + ", ".join(sorted(_FILTER_KEYS)),
                "INVALID_FILTER",
            )
        value = match.group(2) if match.group(1) else match.group(4)
        dimension, prefix = _FILTER_KEYS[key.lower()]
        found[dimension] = value.removeprefix(prefix) if prefix else value
    return found


def _stamp(target: timestamp_pb2.Timestamp, seconds: float) -> None:
    target.FromNanoseconds(round(seconds * 1e9))


def _usage(target: admin_service_pb2.UsageTotals, group: CostGroup | LedgerRow) -> None:
    target.input_token_count = group.input_tokens
    target.output_token_count = group.output_tokens
    target.cached_input_token_count = group.cached_input_tokens


async def get_costs(
    request: admin_service_pb2.GetCostsRequest,
    ledger: Ledger,
    guard: BudgetGuard | None,
    uptime: UptimeLog | None,
    fixed: Sequence[FixedCost],
    currency: str = "USD",
) -> admin_service_pb2.GetCostsResponse:
    if not request.HasField("start_time"):
        raise _bad("start_time", "is required", "REQUIRED")
    start = timestamp_seconds(request.start_time, "start_time")
    end = (
        timestamp_seconds(request.end_time, "end_time")
        if request.HasField("end_time")
        else time.time()
    )
    if end <= start:
        raise _bad("end_time", "must be after start_time", "VALUE_OUT_OF_RANGE")
    if request.group_by_labels:
        raise _bad(
            "group_by_labels",
            "label breakdowns are not kept in the rollups; filter per request_id instead",
            "UNSUPPORTED",
        )
    if request.page_size < 0:
        raise _bad("page_size", "must be >= 0", "VALUE_OUT_OF_RANGE")
    filters = parse_filter(request.filter)
    response = _pb.GetCostsResponse()
    request_id = filters.pop("request_id", None)
    if request_id is not None:
        await _one_request(response, ledger, request_id, filters, currency)
    else:
        await _report(response, request, ledger, start, end, filters, currency)
    total_nanos = _nanos(response.total_cost)
    if guard is not None:
        for status in await guard.statuses():
            target = response.budgets.add()
            _budget_status(target, status)
            # The reconciler's view: the ledger's sum for the same scope and period.
            ledger_spent = await ledger.spent(
                status.budget.scope, status.period_start, status.reset_time
            )
            target.ledger_spent.CopyFrom(convert.money(ledger_spent, status.budget.currency))
            fill_forecast(target, status, time.time())
    if uptime is not None:
        total_nanos += await _fixed_costs(response, uptime, fixed, (start, end), currency)
    response.grand_total_cost.CopyFrom(convert.money(total_nanos, currency))
    return response


async def _fixed_costs(
    response: admin_service_pb2.GetCostsResponse,
    uptime: UptimeLog,
    fixed: Sequence[FixedCost],
    window: tuple[float, float],
    currency: str,
) -> int:
    """Self-hosted backends billed by uptime x hourly rate; returns their sum."""
    if fixed:
        await uptime.touch()  # count this process's sidecar up to now
    total = 0
    for line in fixed:
        seconds = await uptime.uptime(line.backend, *window)
        cost = decimal_to_nanos(Decimal(seconds) / Decimal(_HOUR) * line.hourly_rate)
        row = response.fixed_costs.add(name=f"{line.backend}-uptime", backend=line.backend)
        row.uptime.FromNanoseconds(int(seconds * 1e9))
        row.hourly_rate.CopyFrom(convert.money(decimal_to_nanos(line.hourly_rate), currency))
        row.cost.CopyFrom(convert.money(cost, line.currency))
        total += cost
    return total


def _nanos(money: object) -> int:
    units = getattr(money, "units", 0)
    nanos = getattr(money, "nanos", 0)
    return int(units) * 1_000_000_000 + int(nanos)


async def _report(
    response: admin_service_pb2.GetCostsResponse,
    request: admin_service_pb2.GetCostsRequest,
    ledger: Ledger,
    start: float,
    end: float,
    filters: dict[str, str],
    currency: str,
) -> None:
    group_by = []
    for dimension in request.group_by:
        if dimension not in _DIMENSIONS:
            raise _bad("group_by", f"unknown dimension {dimension}", "VALUE_OUT_OF_RANGE")
        group_by.append(_DIMENSIONS[dimension])
    granularity = _GRANULARITY.get(request.granularity)
    if granularity is None:
        raise _bad("granularity", "unknown granularity", "VALUE_OUT_OF_RANGE")
    report = await ledger.report(
        CostQuery(
            start=start,
            end=end,
            group_by=tuple(dict.fromkeys(group_by)),
            granularity=granularity,
            filters=filters,
        )
    )
    offset = decode_offset(request.page_token)
    size = min(request.page_size or _DEFAULT_PAGE, _MAX_PAGE)
    for group in report.groups[offset : offset + size]:
        row = response.rows.add(
            request_count=group.attempts, estimated=bool(group.estimated or group.unpriced)
        )
        if group.bucket_start is not None:
            _stamp(row.bucket_start_time, group.bucket_start)
        for key, value in group.dimensions.items():
            row.dimensions[_PUBLIC_DIMENSION.get(key, key)] = value
        row.cost.CopyFrom(convert.money(group.cost_nanos, currency))
        _usage(row.usage, group)
    if offset + size < len(report.groups):
        response.next_page_token = encode_offset(offset + size)
    response.total_cost.CopyFrom(convert.money(report.total.cost_nanos, currency))
    _usage(response.total_usage, report.total)
    response.unpriced_request_count = report.total.unpriced
    response.cache_savings.CopyFrom(convert.money(report.total.saved_nanos, currency))
    response.cache_hit_count = report.total.cache_hits


async def _one_request(
    response: admin_service_pb2.GetCostsResponse,
    ledger: Ledger,
    request_id: str,
    filters: dict[str, str],
    currency: str,
) -> None:
    rows = [
        r
        for r in await ledger.attempts(request_id)
        if all(getattr(r, key) == value for key, value in filters.items())
    ]
    total = sum(r.cost_nanos for r in rows)
    for r in rows:
        _entry(response.entries.add(), r)
    if rows:
        cell = response.rows.add(request_count=len(rows))
        cell.dimensions["request_id"] = request_id
        cell.cost.CopyFrom(convert.money(total, currency))
        cell.estimated = any(
            r.usage_source is UsageSource.ESTIMATED or not r.priced for r in rows
        )
        for r in rows:
            cell.usage.input_token_count += r.input_tokens
            cell.usage.output_token_count += r.output_tokens
            cell.usage.cached_input_token_count += r.cached_input_tokens
        response.total_usage.CopyFrom(cell.usage)
    response.total_cost.CopyFrom(convert.money(total, currency))
    response.unpriced_request_count = sum(1 for r in rows if not r.priced)


def _entry(entry: admin_service_pb2.LedgerEntry, row: LedgerRow) -> None:
    entry.attempt_id = row.attempt_id
    entry.request_id = row.request_id
    _stamp(entry.create_time, row.created_at)
    entry.tenant = row.tenant
    entry.project = row.project
    entry.end_user_id = row.end_user
    for key, value in row.labels:
        entry.labels[key] = value
    entry.alias = row.alias
    entry.backend = row.backend
    entry.model = row.model
    entry.api_key_id = row.key_id
    entry.upstream_key_id = row.upstream_key_id
    _usage(entry.usage, row)
    entry.cost.CopyFrom(convert.money(row.cost_nanos, row.currency))
    entry.pricing_version = row.price_version
    entry.status = _STATUS[row.status]
    entry.usage_source = (
        _pb.USAGE_SOURCE_ESTIMATED
        if row.usage_source is UsageSource.ESTIMATED
        else _pb.USAGE_SOURCE_PROVIDER
    )
    entry.latency.FromMilliseconds(row.latency_ms)
    entry.priced = row.priced
    entry.principal = row.principal


def _budget_status(target: admin_service_pb2.BudgetStatus, status: BudgetStatus) -> None:
    budget = status.budget
    target.budget = f"budgets/{budget.name}"
    target.scope = budget.scope.label
    target.limit.CopyFrom(convert.money(status.limit_nanos, budget.currency))
    target.spent.CopyFrom(convert.money(status.spent_nanos, budget.currency))
    target.remaining.CopyFrom(convert.money(status.remaining_nanos, budget.currency))
    target.percent_used = status.percent_used
    target.period = _PERIODS[budget.period]
    _stamp(target.period_start_time, status.period_start)
    if status.reset_time is not None:
        _stamp(target.reset_time, status.reset_time)


__all__ = ["CostPlane", "FixedCost", "get_costs", "parse_filter"]
