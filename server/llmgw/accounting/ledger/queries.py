"""Ledger reads, one SQL text for both engines: reports, per-request lookup, spend.

* ``report`` reads only the rollups (whole UTC days from ``ledger_rollup_daily``
  when the query allows, see ``report``): SQL groups by UTC hour and
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

from llmgw.accounting.ledger.port import (
    DIMENSIONS,
    GRANULARITIES,
    CostGroup,
    CostQuery,
    CostReport,
    RepeatGroup,
)
from llmgw.accounting.ledger.schema import (
    ATTEMPT_COLUMNS,
    ATTEMPTS_TABLE,
    DAILY_TABLE,
    ROLLUP_SUMS,
    ROLLUP_TABLE,
)
from llmgw.accounting.ledger.write import DAY, HOUR, row_from_values
from llmgw.domain.budgets import BudgetScope, ScopeKind
from llmgw.domain.ledger import AttemptStatus, LedgerRow
from llmgw.storage.database import Database

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
    """Costs in ``[query.start, query.end)`` grouped as asked, from the rollups.

    Whole UTC days come from the daily rollup when the query allows it (UTC,
    no hour buckets, no end-user or key dimension); the partial days at the
    edges, and every other query, from the hourly one. Both hold the same
    sums, so the result is the same either way, only cheaper.
    """
    _validate(query)
    zone = ZoneInfo(query.time_zone)
    lo, hi = first_hour_at_or_after(query.start), first_hour_at_or_after(query.end)
    spans = [(ROLLUP_TABLE, "hour_start", lo, hi)]
    if _daily_applies(query):
        first_day, last_day = -(-lo // DAY) * DAY, hi // DAY * DAY
        if first_day < last_day:
            spans = [
                (ROLLUP_TABLE, "hour_start", lo, first_day),
                (DAILY_TABLE, "day_start", first_day, last_day),
                (ROLLUP_TABLE, "hour_start", last_day, hi),
            ]
    cells: dict[GroupKey, list[int]] = {}
    total = [0] * len(ROLLUP_SUMS)
    buckets: dict[int, float] = {}  # bucket start -> its report bucket (many rows share one)
    for table, column, begin, end in spans:
        if begin < end:
            for bucket, values, sums in await _cells(db, query, table, column, begin, end):
                if bucket is not None:
                    start = buckets.get(bucket)
                    if start is None:
                        start = buckets[bucket] = _bucket(bucket, query.granularity, zone)
                key: GroupKey = (start if bucket is not None else None, values)
                _add(cells.setdefault(key, [0] * len(ROLLUP_SUMS)), sums)
                _add(total, sums)
    dims = query.group_by
    groups = tuple(
        _group(dict(zip(dims, values, strict=True)), bucket, sums)
        for (bucket, values), sums in sorted(cells.items(), key=_sort_key)
    )
    return CostReport(groups=groups, total=_group({}, None, total))


_FINE_DIMENSIONS = frozenset({"end_user", "key_id"})  # only in the hourly rollup


def _daily_applies(query: CostQuery) -> bool:
    return (
        query.granularity in ("total", "day", "month")
        and query.time_zone in ("UTC", "Etc/UTC")
        and not (set(query.group_by) | set(query.filters)) & _FINE_DIMENSIONS
    )


async def _cells(
    db: Database, query: CostQuery, table: str, column: str, begin: int, end: int
) -> list[tuple[int | None, tuple[str, ...], list[int]]]:
    """(bucket start or None, dimension values, sums) of one rollup in [begin, end)."""
    dims = query.group_by
    by_time = query.granularity != "total"
    clauses = [f"{column} >= ?", f"{column} < ?"]
    args: list[object] = [begin, end]
    for dimension, value in sorted(query.filters.items()):
        clauses.append(f"{dimension} = ?")
        args.append(value)
    select_dims = "".join(f", {d}" for d in dims)
    group_cols = ", ".join(([column] if by_time else []) + list(dims))
    sql = (
        f"SELECT {column if by_time else '0'}{select_dims}, {_SUMS_SQL} FROM {table}"
        f" WHERE {' AND '.join(clauses)}"
    )
    if group_cols:
        sql += f" GROUP BY {group_cols}"
    found: list[tuple[int | None, tuple[str, ...], list[int]]] = []
    for record in await db.fetch(sql, *args):
        sums = [int(v or 0) for v in record[1 + len(dims) :]]
        if not sums[5]:  # the SUM over zero rows of an ungrouped SELECT
            continue
        values = tuple(str(v) for v in record[1 : 1 + len(dims)])
        found.append((int(record[0]) if by_time else None, values, sums))
    return found


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


async def repeats(db: Database, start: float, end: float) -> list[RepeatGroup]:
    """Per fingerprint: distinct requests and the cost of their OK attempts."""
    rows = await db.fetch(
        f"SELECT COUNT(DISTINCT request_id), SUM(cost_nanos) FROM {ATTEMPTS_TABLE}"
        " WHERE created_at >= ? AND created_at < ? AND fingerprint IS NOT NULL"
        " AND fingerprint <> '' AND status = ? GROUP BY fingerprint",
        float(start),
        float(end),
        str(AttemptStatus.OK),
    )
    return [RepeatGroup(int(r[0]), int(r[1] or 0)) for r in rows]


def _validate(query: CostQuery) -> None:
    unknown = [d for d in (*query.group_by, *query.filters) if d not in DIMENSIONS]
    if unknown:  # also what keeps column names in the SQL ours
        raise ValueError(f"unknown report dimension(s) {unknown}; expected {DIMENSIONS}")
    if len(set(query.group_by)) != len(query.group_by):
        raise ValueError(f"group_by repeats a dimension: {query.group_by}")
    if query.granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {query.granularity!r}; expected {GRANULARITIES}")


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
        saved_nanos=sums[8],
        cache_hits=sums[9],
    )


def _sort_key(item: tuple[GroupKey, list[int]]) -> tuple[float, tuple[str, ...]]:
    (bucket, values), _ = item
    return (bucket if bucket is not None else 0.0, values)
