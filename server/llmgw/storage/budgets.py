"""Budget definitions and fired alerts in SQL (SQLite or a shared PostgreSQL).

* ``budgets``: one row per budget name with an ``etag`` (optimistic
  concurrency for the admin plane) and an ``origin``: ``config`` for rows
  written from the configuration file at start, ``admin`` once an admin call
  changed it (the guard then stops overwriting it from config).
* ``budget_alerts``: one row per (budget, period start, threshold percent).
  ``fire`` inserts with ``ON CONFLICT DO NOTHING ... RETURNING`` and reports
  whether THIS call inserted the row, which makes the alert an edge trigger
  that holds across replicas sharing the database: exactly one replica
  fires each threshold once per period.
"""

from __future__ import annotations

import builtins
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from llmgw.domain.budgets import Budget, BudgetScope, Enforcement, Period, ScopeKind
from llmgw.domain.errors import EtagMismatchError
from llmgw.storage.database import Database, Row, migrate

ORIGIN_CONFIG = "config"
ORIGIN_ADMIN = "admin"

_MIGRATION = (
    """CREATE TABLE IF NOT EXISTS budgets (
        name TEXT PRIMARY KEY,
        scope_kind TEXT NOT NULL,
        scope_value TEXT NOT NULL,
        limit_nanos BIGINT NOT NULL,
        period TEXT NOT NULL,
        enforcement TEXT NOT NULL,
        thresholds TEXT NOT NULL,
        time_zone TEXT NOT NULL,
        currency TEXT NOT NULL,
        origin TEXT NOT NULL,
        etag TEXT NOT NULL,
        update_time DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS budget_alerts (
        budget TEXT NOT NULL,
        period_start BIGINT NOT NULL,
        threshold INTEGER NOT NULL,
        spent_nanos BIGINT NOT NULL,
        fire_time DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (budget, period_start, threshold)
    )""",
)

_COLUMNS = (
    "name, scope_kind, scope_value, limit_nanos, period, enforcement, thresholds,"
    " time_zone, currency, origin, etag, update_time"
)


@dataclass(frozen=True, slots=True)
class StoredBudget:
    budget: Budget
    etag: str
    update_time: float
    origin: str


@dataclass(frozen=True, slots=True)
class FiredAlert:
    budget: str
    period_start: int
    threshold: int
    spent_nanos: int
    fire_time: float


class BudgetStore:
    """CRUD of budget definitions plus the fired-alert edge trigger."""

    def __init__(self, db: Database, now: Callable[[], float] = time.time) -> None:
        self._db = db
        self._now = now

    async def migrate(self) -> None:
        await migrate(self._db, "budgets_v1", _MIGRATION)

    async def list(self) -> list[StoredBudget]:
        rows = await self._db.fetch(f"SELECT {_COLUMNS} FROM budgets ORDER BY name")
        return [_stored(row) for row in rows]

    async def get(self, name: str) -> StoredBudget | None:
        rows = await self._db.fetch(f"SELECT {_COLUMNS} FROM budgets WHERE name = ?", name)
        return _stored(rows[0]) if rows else None

    async def upsert(
        self, budget: Budget, etag: str = "", origin: str = ORIGIN_ADMIN
    ) -> StoredBudget:
        """Create or replace ``budget``. A non-empty ``etag`` must equal the stored
        one (a conditional UPDATE, so two concurrent writers cannot both win);
        otherwise ``EtagMismatchError`` carries the current etag."""
        new_etag = uuid.uuid4().hex
        now = self._now()
        values = (
            budget.name,
            budget.scope.kind.value,
            budget.scope.value,
            budget.limit_nanos,
            budget.period.value,
            budget.enforcement.value,
            ",".join(str(t) for t in budget.thresholds),
            budget.time_zone,
            budget.currency,
            origin,
            new_etag,
            now,
        )
        if etag:
            rows = await self._db.fetch(
                "UPDATE budgets SET scope_kind = ?, scope_value = ?, limit_nanos = ?,"
                " period = ?, enforcement = ?, thresholds = ?, time_zone = ?, currency = ?,"
                " origin = ?, etag = ?, update_time = ? WHERE name = ? AND etag = ?"
                " RETURNING etag",
                *values[1:],
                budget.name,
                etag,
            )
            if not rows:
                current = await self.get(budget.name)
                raise EtagMismatchError(current.etag if current else "")
        else:
            await self._db.fetch(
                f"INSERT INTO budgets ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET scope_kind = excluded.scope_kind,"
                " scope_value = excluded.scope_value, limit_nanos = excluded.limit_nanos,"
                " period = excluded.period, enforcement = excluded.enforcement,"
                " thresholds = excluded.thresholds, time_zone = excluded.time_zone,"
                " currency = excluded.currency, origin = excluded.origin,"
                " etag = excluded.etag, update_time = excluded.update_time RETURNING etag",
                *values,
            )
        return StoredBudget(budget, new_etag, now, origin)

    async def delete(self, name: str) -> bool:
        """Delete the budget (its fired alerts stay as history); True if it existed."""
        rows = await self._db.fetch("DELETE FROM budgets WHERE name = ? RETURNING name", name)
        return bool(rows)

    async def fire(self, budget: str, period_start: int, threshold: int, spent_nanos: int) -> bool:
        """Record that ``threshold`` % of ``budget`` was crossed in the period;
        True only for the one call (on any replica) that inserted the row."""
        rows = await self._db.fetch(
            "INSERT INTO budget_alerts (budget, period_start, threshold, spent_nanos, fire_time)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING threshold",
            budget,
            int(period_start),
            threshold,
            spent_nanos,
            self._now(),
        )
        return bool(rows)

    async def alerts(self, budget: str, period_start: int) -> builtins.list[FiredAlert]:
        rows = await self._db.fetch(
            "SELECT budget, period_start, threshold, spent_nanos, fire_time FROM budget_alerts"
            " WHERE budget = ? AND period_start = ? ORDER BY threshold",
            budget,
            int(period_start),
        )
        return [FiredAlert(str(r[0]), int(r[1]), int(r[2]), int(r[3]), float(r[4])) for r in rows]


def _stored(row: Row) -> StoredBudget:
    thresholds = tuple(int(t) for t in str(row[6]).split(",") if t)
    budget = Budget(
        name=str(row[0]),
        scope=BudgetScope(ScopeKind(row[1]), str(row[2])),
        limit_nanos=int(row[3]),
        period=Period(row[4]),
        enforcement=Enforcement(row[5]),
        thresholds=thresholds,
        time_zone=str(row[7]),
        currency=str(row[8]),
    )
    return StoredBudget(budget, etag=str(row[10]), update_time=float(row[11]), origin=str(row[9]))


__all__ = [
    "ORIGIN_ADMIN",
    "ORIGIN_CONFIG",
    "BudgetStore",
    "FiredAlert",
]
