"""The ledger port: append attempt rows durably, report costs from rollups.

Two implementations behind one protocol:

* ``SqliteLedger`` (``accounting.ledger.sqlite``), the embedded default: rows
  and hourly rollups are written in the same SQLite transaction;
* ``RelayedLedger`` (``accounting.ledger.relay``), with PostgreSQL: a row is
  committed to the local SQLite outbox first (so it survives ``kill -9``), a
  background relay batches outbox rows into PostgreSQL with an insert keyed
  by ``attempt_id`` (``ON CONFLICT DO NOTHING``) that updates the rollups only
  for rows it really inserted, in the same transaction, and deletes them from
  the outbox only after that commit.

Reports read the hourly rollups (hour x tenant x project x end user x key x
model x backend x currency), never the raw rows; ``attempts(request_id)`` is
an indexed lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from llmgw.domain.budgets import BudgetScope
from llmgw.domain.ledger import LedgerRow

# Dimensions a report may group or filter by (rollup columns).
DIMENSIONS = ("tenant", "project", "end_user", "key_id", "model", "backend")
GRANULARITIES = ("total", "hour", "day", "month")


@dataclass(frozen=True, slots=True)
class CostQuery:
    """``[start, end)`` epoch seconds; ``filters`` are equality on dimensions."""

    start: float
    end: float
    group_by: tuple[str, ...] = ()
    granularity: str = "total"
    time_zone: str = "UTC"
    filters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CostGroup:
    """One (bucket, dimension values) cell; ``bucket_start`` is ``None`` for total."""

    dimensions: Mapping[str, str]
    bucket_start: float | None = None
    cost_nanos: int = 0
    charged_nanos: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    attempts: int = 0
    unpriced: int = 0
    estimated: int = 0  # attempts whose usage was estimated
    saved_nanos: int = 0  # what response-cache hits saved
    cache_hits: int = 0


@dataclass(frozen=True, slots=True)
class CostReport:
    groups: tuple[CostGroup, ...]
    total: CostGroup


@dataclass(frozen=True, slots=True)
class RepeatGroup:
    """Requests with one fingerprint (identical as a response cache keys them)."""

    requests: int
    cost_nanos: int


class Ledger(Protocol):
    async def start(self) -> None:
        """Open stores, apply migrations, start the relay (if any)."""

    async def record(self, row: LedgerRow) -> None:
        """Append ``row``; when this returns the row is committed locally."""

    async def flush(self) -> None:
        """Relay everything pending now (no-op without a relay)."""

    async def close(self) -> None:
        """Flush what can be flushed, stop the relay, close connections.
        Rows that could not be relayed stay in the outbox for the next start."""

    async def report(self, query: CostQuery) -> CostReport: ...

    async def attempts(self, request_id: str) -> list[LedgerRow]:
        """Every attempt of one request, oldest first."""

    async def spent(self, scope: BudgetScope, start: float, end: float | None) -> int:
        """Sum of ``charged_nanos`` for ``scope`` in ``[start, end)`` (hour-aligned
        ``start`` reads rollups; budget counters are seeded from it)."""

    async def repeats(self, start: float, end: float) -> list[RepeatGroup]:
        """Successful fingerprinted requests in ``[start, end)``, one group per
        fingerprint (rows from before fingerprints existed are left out)."""
