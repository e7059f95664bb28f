"""The budget guard's value types: threshold alerts (and the webhook body),
one budget's status, what writing the config budgets did; money formatting.

Split from ``pipeline.budget`` (the guard itself) so that module stays about
reserving and settling; ``pipeline.budget`` re-exports these names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from llmgw.domain.budgets import Budget
from llmgw.domain.money import NANOS_PER_UNIT
from llmgw.storage.budgets import FiredAlert


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def units(nanos: int) -> str:
    """Integer nanos as an exact decimal string of currency units ("10", "1.5")."""
    return f"{Decimal(nanos) / NANOS_PER_UNIT:f}"


def severity_of(threshold: int) -> str:
    if threshold < 90:
        return "warning"
    return "critical" if threshold < 100 else "exhausted"


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    """One threshold crossing, fired once per budget, period and threshold."""

    budget: str
    scope: str
    threshold: int
    severity: str
    spent_nanos: int
    limit_nanos: int
    currency: str
    period_start: float

    def as_dict(self) -> Mapping[str, Any]:
        """The webhook JSON body (camelCase like the API; money as nanos and units)."""
        return {
            "type": "budget_alert",
            "budget": self.budget,
            "scope": self.scope,
            "threshold": self.threshold,
            "severity": self.severity,
            "spentNanos": self.spent_nanos,
            "limitNanos": self.limit_nanos,
            "spent": units(self.spent_nanos),
            "limit": units(self.limit_nanos),
            "currencyCode": self.currency,
            "periodStart": rfc3339(self.period_start),
        }


Notify = Callable[[BudgetAlert], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """One budget's state in its current period (ListBudgets / GetCosts)."""

    budget: Budget
    etag: str
    limit_nanos: int
    spent_nanos: int
    reserved_nanos: int
    remaining_nanos: int
    percent_used: float
    period_start: float
    reset_time: float | None
    alerts: tuple[FiredAlert, ...]


@dataclass(frozen=True, slots=True)
class ConfigBudgetChanges:
    """What writing the config budgets did, by budget name."""

    written: tuple[str, ...] = ()  # created or changed (origin config)
    removed: tuple[str, ...] = ()  # config rows whose name left the configuration
    admin_kept: tuple[str, ...] = ()  # an admin change owns the name: left alone


def percent(spent: int, limit: int) -> float:
    if limit <= 0:
        return 100.0 if spent > 0 else 0.0
    return spent * 100 / limit


__all__ = [
    "BudgetAlert",
    "BudgetStatus",
    "ConfigBudgetChanges",
    "Notify",
    "percent",
    "rfc3339",
    "severity_of",
    "units",
]
