"""Budgets: a spend limit on one scope over one period, and what counts toward it.

Pure types and period arithmetic; the counters live in ``accounting``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class ScopeKind(StrEnum):
    GLOBAL = "global"
    TENANT = "tenant"
    PROJECT = "project"
    USER = "user"
    API_KEY = "api_key"


class Period(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    TOTAL = "total"  # never resets


class Enforcement(StrEnum):
    HARD = "hard"  # reject at 100 %
    SOFT = "soft"  # alert only
    DOWNGRADE = "downgrade"  # alert, and route to a cheaper target past the soft threshold


DEFAULT_THRESHOLDS = (75, 90, 100)


@dataclass(frozen=True, slots=True)
class BudgetScope:
    """``kind`` plus the value it applies to (empty for global)."""

    kind: ScopeKind
    value: str = ""

    @property
    def label(self) -> str:
        """ "global", "tenants/t", "projects/p", "users/u", "apiKeys/k"."""
        prefix = {
            ScopeKind.GLOBAL: "",
            ScopeKind.TENANT: "tenants/",
            ScopeKind.PROJECT: "projects/",
            ScopeKind.USER: "users/",
            ScopeKind.API_KEY: "apiKeys/",
        }[self.kind]
        return "global" if self.kind is ScopeKind.GLOBAL else prefix + self.value


@dataclass(frozen=True, slots=True)
class Budget:
    """A limit in integer nanos of ``currency`` on ``scope`` per ``period``."""

    name: str
    scope: BudgetScope
    limit_nanos: int
    period: Period = Period.MONTHLY
    enforcement: Enforcement = Enforcement.HARD
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    time_zone: str = "UTC"
    currency: str = "USD"

    def window(self, now: float) -> tuple[float, float | None]:
        """(start, reset) epoch seconds of the period containing ``now``;
        reset is ``None`` for a total budget."""
        return period_window(self.period, self.time_zone, now)


# The last window computed per (period, zone). Calendar periods partition time,
# so the window containing ``now`` is the same for every ``now`` inside it: a
# request reuses it instead of doing timezone arithmetic (bounded: one entry
# per configured period and zone).
_LAST_WINDOW: dict[tuple[Period, str], tuple[float, float]] = {}


def period_window(period: Period, time_zone: str, now: float) -> tuple[float, float | None]:
    """Calendar period boundaries in ``time_zone`` (DST-correct), as epoch seconds."""
    if period is Period.TOTAL:
        return 0.0, None
    last = _LAST_WINDOW.get((period, time_zone))
    if last is not None and last[0] <= now < last[1]:
        return last
    window = _calendar_window(period, time_zone, now)
    _LAST_WINDOW[(period, time_zone)] = window
    return window


def _calendar_window(period: Period, time_zone: str, now: float) -> tuple[float, float]:
    zone = ZoneInfo(time_zone)
    local = datetime.fromtimestamp(now, zone)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is Period.DAILY:
        start, end = day, day + timedelta(days=1)
    elif period is Period.WEEKLY:
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    else:
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    # Re-attach the zone so a DST change inside the period is honoured.
    start = start.replace(tzinfo=None).replace(tzinfo=zone)
    end = end.replace(tzinfo=None).replace(tzinfo=zone)
    return start.timestamp(), end.timestamp()


def scopes_of(tenant: str, project: str, end_user: str, key_id: str) -> tuple[BudgetScope, ...]:
    """Every scope one request's spend counts toward."""
    found = [BudgetScope(ScopeKind.GLOBAL), BudgetScope(ScopeKind.TENANT, tenant)]
    if project:
        found.append(BudgetScope(ScopeKind.PROJECT, project))
    if end_user:
        found.append(BudgetScope(ScopeKind.USER, end_user))
    if key_id:
        found.append(BudgetScope(ScopeKind.API_KEY, key_id))
    return tuple(found)
