"""Ledger reads, one SQL text for both engines: reports, per-request lookup, spend.

* ``report`` reads only ``ledger_rollup_hourly``: SQL groups by UTC hour and
  the requested dimensions; hours are folded into local days or months here,
  in ``query.time_zone`` (IANA, DST-correct: a local day is 23 or 25 hours
  when the clocks change). An hour bucket belongs to ``[start, end)`` when
  its start does. Zones whose offset is not a whole number of hours put
  each UTC hour in the local day where it starts.
* ``attempts`` is an indexed lookup of the raw rows of one request.
* ``spent`` sums ``charged_nanos`` of one budget scope from the rollups.

Sums are exact integers (PostgreSQL's ``SUM(bigint)`` is ``numeric``; it is
converted with ``int``, never through a float).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from llmgw.accounting.database import Database
from llmgw.accounting.ledger import DIMENSIONS, GRANULARITIES, CostGroup, CostQuery, CostReport
from llmgw.accounting.ledger_schema import (
    ATTEMPT_COLUMNS,
    ATTEMPTS_TABLE,
    ROLLUP_SUMS,
    ROLLUP_TABLE,
)
from llmgw.accounting.ledger_write import HOUR, row_from_values
from llmgw.domain.budgets import BudgetScope, ScopeKind
from llmgw.domain.ledger import LedgerRow

_SCOPE_COLUMN = {
    ScopeKind.TENANT: "tenant",
    ScopeKind.PROJECT: "project",
    ScopeKind.USER: "end_user",
    ScopeKind.API_KEY: "key_id",
}
_SUMS_SQL = ", ".join(f"SUM({c})" for c in ROLLUP_SUMS)

GroupKey = tuple[float | None, tuple[str, ...]]


def first_hour_at_or_after(t: float) -> int:
    """The smallest hour start >= ``t``: hour ``h`` is in ``[start, end)`` iff
    ``first_hour_at_or_after(start) <= h < first_hour_at_or_after(end)``."""
    return math.ceil(t / HOUR) * HOUR


async def report(db: Database, query: CostQuery) -> CostReport:
    """Costs in ``[query.start, query.end)`` grouped as asked, from the rollups."""
    _validate(query)
    zone = ZoneInfo(query.time_zone)
    dims = query.group_by
    where, args = _where(query)
    select_dims = "".join(f", {d}" for d in dims)
    by_hour = query.granularity != "total"
    hour_col = "hour_start" if by_hour else "0"
    group_cols = ", ".join((["hour_start"] if by_hour else []) + list(dims))
    sql = f"SELECT {hour_col}{select_dims}, {_SUMS_SQL} FROM {ROLLUP_TABLE} WHERE {where}"
    if group_cols:
        sql += f" GROUP BY {group_cols}"
    cells: dict[GroupKey, list[int]] = {}
    total = [0] * len(ROLLUP_SUMS)
    buckets: dict[int, float] = {}  # hour -> its bucket; many rows share an hour
    for record in await db.fetch(sql, *args):
        sums = [int(v or 0) for v in record[1 + len(dims) :]]
        if not sums[5]:  # the SUM over zero rows of an ungrouped SELECT
            continue
        bucket: float | None = None
        if by_hour:
            hour = int(record[0])
            bucket = buckets.get(hour)
            if bucket is None:
                bucket = buckets[hour] = _bucket(hour, query.granularity, zone)
        key: GroupKey = (bucket, tuple(str(v) for v in record[1 : 1 + len(dims)]))
        _add(cells.setdefault(key, [0] * len(ROLLUP_SUMS)), sums)
        _add(total, sums)
    groups = tuple(
        _group(dict(zip(dims, values, strict=True)), bucket, sums)
        for (bucket, values), sums in sorted(cells.items(), key=_sort_key)
    )
    return CostReport(groups=groups, total=_group({}, None, total))


async def attempts(db: Database, request_id: str) -> list[LedgerRow]:
    """Every attempt of ``request_id``, oldest first (ties by attempt id)."""
    rows = await db.fetch(
        f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM {ATTEMPTS_TABLE}"
        " WHERE request_id = ? ORDER BY created_at, attempt_id",
        request_id,
    )
    return [row_from_values(r) for r in rows]


async def spent(db: Database, scope: BudgetScope, start: float, end: float | None) -> int:
    """Sum of ``charged_nanos`` of ``scope`` over the hours in ``[start, end)``."""
    sql = f"SELECT SUM(charged_nanos) FROM {ROLLUP_TABLE} WHERE hour_start >= ?"
    args: list[object] = [first_hour_at_or_after(start)]
    if end is not None:
        sql += " AND hour_start < ?"
        args.append(first_hour_at_or_after(end))
    column = _SCOPE_COLUMN.get(scope.kind)
    if column is not None:
        sql += f" AND {column} = ?"
        args.append(scope.value)
    rows = await db.fetch(sql, *args)
    return int(rows[0][0] or 0) if rows else 0


def _validate(query: CostQuery) -> None:
    unknown = [d for d in (*query.group_by, *query.filters) if d not in DIMENSIONS]
    if unknown:  # also what keeps column names in the SQL ours
        raise ValueError(f"unknown report dimension(s) {unknown}; expected {DIMENSIONS}")
    if len(set(query.group_by)) != len(query.group_by):
        raise ValueError(f"group_by repeats a dimension: {query.group_by}")
    if query.granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {query.granularity!r}; expected {GRANULARITIES}")


def _where(query: CostQuery) -> tuple[str, list[object]]:
    clauses = ["hour_start >= ?", "hour_start < ?"]
    args: list[object] = [first_hour_at_or_after(query.start), first_hour_at_or_after(query.end)]
    for dimension, value in sorted(query.filters.items()):
        clauses.append(f"{dimension} = ?")
        args.append(value)
    return " AND ".join(clauses), args


def _bucket(hour: int, granularity: str, zone: ZoneInfo) -> float:
    """Start (epoch seconds) of the hour/local day/local month holding ``hour``."""
    if granularity == "hour":
        return float(hour)
    local = datetime.fromtimestamp(hour, zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity == "month":
        start = start.replace(day=1)
    # Re-attach the zone: the offset at local midnight, not at ``hour``, counts
    # (fold=0: an ambiguous midnight is its first occurrence; a midnight that
    # DST skips resolves to the day's first real instant).
    return start.replace(tzinfo=None, fold=0).replace(tzinfo=zone).timestamp()


def _add(into: list[int], sums: Iterable[int]) -> None:
    for i, value in enumerate(sums):
        into[i] += value


def _group(dimensions: dict[str, str], bucket: float | None, sums: list[int]) -> CostGroup:
    return CostGroup(
        dimensions=dimensions,
        bucket_start=bucket,
        cost_nanos=sums[0],
        charged_nanos=sums[1],
        input_tokens=sums[2],
        cached_input_tokens=sums[3],
        output_tokens=sums[4],
        attempts=sums[5],
        unpriced=sums[6],
        estimated=sums[7],
    )


def _sort_key(item: tuple[GroupKey, list[int]]) -> tuple[float, tuple[str, ...]]:
    (bucket, values), _ = item
    return (bucket if bucket is not None else 0.0, values)
