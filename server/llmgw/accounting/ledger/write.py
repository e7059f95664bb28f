"""Writing ledger rows: insert attempts idempotently and add them to the rollups.

Both ledgers call ``store_rows(tx, rows)`` inside one transaction of their
store (SQLite for ``SqliteLedger``, PostgreSQL for the relay). The raw insert
is ``ON CONFLICT (attempt_id) DO NOTHING RETURNING attempt_id``, and only the
rows it really inserted are summed into the hourly rollups, so writing a row
twice (a retried relay batch, a replayed outbox, a duplicate ``record``)
never counts it twice. Rollup deltas are aggregated here first, so each
rollup key appears once per upsert statement (PostgreSQL refuses an upsert
that touches one row twice).

Also the outbox payload codec (``encode_payload``/``decode_payload``) and the
column codec used by reads (``row_values``/``row_from_values``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import orjson

from llmgw.accounting.ledger.schema import (
    ATTEMPT_COLUMNS,
    ATTEMPTS_TABLE,
    DAILY_KEY,
    DAILY_TABLE,
    ROLLUP_KEY,
    ROLLUP_SUMS,
    ROLLUP_TABLE,
)
from llmgw.domain.ledger import AttemptStatus, LedgerRow, UsageSource
from llmgw.storage.database import Row

HOUR = 3600
# Rows per multi-row INSERT: 100 x 25 parameters stays far below both
# engines' bind-parameter limits.
ROWS_PER_STATEMENT = 100

_INSERT_ATTEMPTS = f"INSERT INTO {ATTEMPTS_TABLE} ({', '.join(ATTEMPT_COLUMNS)}) VALUES "
_ATTEMPT_PLACEHOLDERS = "(" + ", ".join("?" for _ in ATTEMPT_COLUMNS) + ")"
_ROLLUP_COLUMNS = (*ROLLUP_KEY, *ROLLUP_SUMS)
_ROLLUP_PLACEHOLDERS = "(" + ", ".join("?" for _ in _ROLLUP_COLUMNS) + ")"
_UPSERT_ROLLUPS_SUFFIX = f" ON CONFLICT ({', '.join(ROLLUP_KEY)}) DO UPDATE SET " + ", ".join(
    f"{c} = {ROLLUP_TABLE}.{c} + excluded.{c}" for c in ROLLUP_SUMS
)

_DAILY_COLUMNS = (*DAILY_KEY, *ROLLUP_SUMS)
_DAILY_PLACEHOLDERS = "(" + ", ".join("?" for _ in _DAILY_COLUMNS) + ")"
_UPSERT_DAILY_SUFFIX = f" ON CONFLICT ({', '.join(DAILY_KEY)}) DO UPDATE SET " + ", ".join(
    f"{c} = {DAILY_TABLE}.{c} + excluded.{c}" for c in ROLLUP_SUMS
)
DAY = 86_400

RollupKey = tuple[int, str, str, str, str, str, str, str]
T = TypeVar("T")


def hour_start(created_at: float) -> int:
    """The UTC hour (epoch seconds) a row's rollup belongs to."""
    return int(created_at // HOUR) * HOUR


def row_values(row: LedgerRow) -> tuple[Any, ...]:
    """``row`` as ``ledger_attempts`` column values (``ATTEMPT_COLUMNS`` order)."""
    return (
        row.attempt_id,
        row.request_id,
        float(row.created_at),
        row.tenant,
        row.project,
        row.end_user,
        row.alias,
        row.backend,
        row.model,
        str(row.status),
        row.principal,
        row.key_id,
        row.upstream_key_id,
        _labels_json(row.labels),
        row.input_tokens,
        row.cached_input_tokens,
        row.output_tokens,
        row.cost_nanos,
        row.charged_nanos,
        row.currency,
        int(row.priced),
        row.price_version,
        str(row.usage_source),
        row.latency_ms,
        row.fingerprint or None,
        row.saved_nanos,
    )


_FROM_SQL: dict[str, Callable[[Any], Any]] = {
    "created_at": float,
    "status": AttemptStatus,
    "labels": lambda text: _labels_from_json(text),  # defined below
    "input_tokens": int,
    "cached_input_tokens": int,
    "output_tokens": int,
    "cost_nanos": int,
    "charged_nanos": int,
    "priced": bool,
    "usage_source": UsageSource,
    "latency_ms": int,
    "fingerprint": lambda value: value or "",
    "saved_nanos": int,
}
# Defaults of the last columns of ``ATTEMPT_COLUMNS`` (fingerprint, saved_nanos),
# in column order, for outbox payloads written before they existed.
_LATE_COLUMN_DEFAULTS: tuple[Any, ...] = (None, 0)


def row_from_values(values: Row) -> LedgerRow:
    """Inverse of ``row_values`` (a ``SELECT`` of ``ATTEMPT_COLUMNS``). Outbox
    payloads written before the newest columns existed read with their
    defaults (no fingerprint, 0 saved)."""
    missing = len(ATTEMPT_COLUMNS) - len(values)
    if 0 < missing <= len(_LATE_COLUMN_DEFAULTS):
        values = (*values, *_LATE_COLUMN_DEFAULTS[-missing:])
    fields = dict(zip(ATTEMPT_COLUMNS, values, strict=True))  # = LedgerRow fields
    return LedgerRow(**{name: _FROM_SQL.get(name, _same)(value) for name, value in fields.items()})


def _same(value: Any) -> Any:
    return value


def encode_payload(row: LedgerRow) -> str:
    """The outbox payload: the row's column values as an orjson array."""
    return orjson.dumps(row_values(row)).decode()


def decode_payload(payload: str | bytes) -> LedgerRow:
    return row_from_values(tuple(orjson.loads(payload)))


async def store_rows(tx: Any, rows: Sequence[LedgerRow]) -> list[LedgerRow]:
    """Insert ``rows`` and add the new ones to the rollups, inside ``tx``.

    Returns the rows really inserted (a duplicate ``attempt_id``, in the
    table or earlier in ``rows``, is skipped: the first one written wins).
    Not for a database with the SQLite rollup triggers (``SQLITE_MIGRATIONS``):
    there ``insert_rows_with_trigger`` is the writer, or rows would count twice.
    """
    inserted = await insert_attempts(tx, rows)
    await add_to_rollups(tx, inserted)
    return inserted


async def insert_rows_with_trigger(db: Any, rows: Sequence[LedgerRow]) -> None:
    """SQLite: one ``INSERT ... ON CONFLICT DO NOTHING`` per chunk, each atomic
    on its own with the rollup trigger (``SQLITE_TRIGGER_STATEMENTS``)."""
    for chunk in statement_chunks(rows):
        sql = (
            _INSERT_ATTEMPTS
            + ", ".join(_ATTEMPT_PLACEHOLDERS for _ in chunk)
            + " ON CONFLICT (attempt_id) DO NOTHING"
        )
        await db.execute(sql, *[value for row in chunk for value in row_values(row)])


async def insert_attempts(tx: Any, rows: Sequence[LedgerRow]) -> list[LedgerRow]:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING``: the rows that were new."""
    new_ids: set[str] = set()
    for chunk in statement_chunks(rows):
        sql = (
            _INSERT_ATTEMPTS
            + ", ".join(_ATTEMPT_PLACEHOLDERS for _ in chunk)
            + " ON CONFLICT (attempt_id) DO NOTHING RETURNING attempt_id"
        )
        params = [value for row in chunk for value in row_values(row)]
        new_ids.update(str(r[0]) for r in await tx.fetch(sql, *params))
    inserted: list[LedgerRow] = []
    for row in rows:  # within one statement the first of two equal ids is the one kept
        if row.attempt_id in new_ids:
            new_ids.discard(row.attempt_id)
            inserted.append(row)
    return inserted


def rollup_deltas(rows: Sequence[LedgerRow]) -> dict[RollupKey, list[int]]:
    """Per rollup key, the sums to add (``ROLLUP_SUMS`` order)."""
    deltas: dict[RollupKey, list[int]] = {}
    for row in rows:
        key: RollupKey = (
            hour_start(row.created_at),
            row.tenant,
            row.project,
            row.end_user,
            row.key_id,
            row.model,
            row.backend,
            row.currency,
        )
        sums = deltas.get(key)
        if sums is None:
            sums = deltas[key] = [0] * len(ROLLUP_SUMS)
        sums[0] += row.cost_nanos
        sums[1] += row.charged_nanos
        sums[2] += row.input_tokens
        sums[3] += row.cached_input_tokens
        sums[4] += row.output_tokens
        sums[5] += 1
        sums[6] += not row.priced
        sums[7] += row.usage_source is UsageSource.ESTIMATED
        sums[8] += row.saved_nanos
        sums[9] += row.status is AttemptStatus.CACHE_HIT
    return deltas


async def add_to_rollups(tx: Any, rows: Sequence[LedgerRow]) -> None:
    """Upsert the aggregated deltas of ``rows`` into both rollups (hourly, daily)."""
    hourly = rollup_deltas(rows)
    daily: dict[tuple[int, str, str, str, str, str], list[int]] = {}
    for (hour, tenant, project, _user, _key, model, backend, currency), sums in hourly.items():
        into = daily.setdefault(
            (hour // DAY * DAY, tenant, project, model, backend, currency), [0] * len(sums)
        )
        for i, value in enumerate(sums):
            into[i] += value
    for table, columns, placeholders, suffix, deltas in (
        (ROLLUP_TABLE, _ROLLUP_COLUMNS, _ROLLUP_PLACEHOLDERS, _UPSERT_ROLLUPS_SUFFIX, hourly),
        (DAILY_TABLE, _DAILY_COLUMNS, _DAILY_PLACEHOLDERS, _UPSERT_DAILY_SUFFIX, daily),
    ):
        items = [(*key, *sums) for key, sums in deltas.items()]
        for chunk in statement_chunks(items):
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                + ", ".join(placeholders for _ in chunk)
                + suffix
            )
            await tx.execute(sql, *[value for item in chunk for value in item])


def _labels_json(labels: tuple[tuple[str, str], ...]) -> str:
    # A list of pairs, not an object: order and repeated keys survive the trip.
    return orjson.dumps([list(pair) for pair in labels]).decode()


def _labels_from_json(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in orjson.loads(text))


def statement_chunks(items: Sequence[T], size: int = ROWS_PER_STATEMENT) -> Iterator[Sequence[T]]:
    """``items`` in order, in chunks of ``size`` while that many remain, then
    the rest in power-of-two chunks (its binary digits: 37 -> 32, 4, 1).

    Why: every chunk length is its own SQL text (one ``(?, ...)`` group per
    row), and drivers keep a prepared statement per text (Python's sqlite3
    128 per connection, asyncpg 100). Chunking a batch of n rows into one
    ``n % size`` remainder made up to ``size`` distinct statements per
    writer; SQLite's for the attempts insert with its rollup trigger take
    about 3.4 KiB per row group, so once batches of every length had been
    seen the cached ones held ~15 MiB (a slow RSS climb under load, bounded
    only by the cache). Power-of-two remainders leave at most
    1 + log2(size) texts (8 for 100: ~0.9 MiB), for at most 6 more
    statements per batch.
    """
    begin, total = 0, len(items)
    while total - begin >= size:
        yield items[begin : begin + size]
        begin += size
    while begin < total:
        step = 1 << ((total - begin).bit_length() - 1)
        yield items[begin : begin + step]
        begin += step
