"""The ledger's tables and indexes, one SQL text for SQLite and PostgreSQL.

* ``ledger_attempts``: one row per upstream attempt (every ``LedgerRow``
  field; ``labels`` as orjson text), keyed by ``attempt_id`` so a row written
  twice collapses; indexed by ``request_id`` for ``attempts(request_id)``.
* ``ledger_rollup_hourly``: sums per (UTC hour start, tenant, project,
  end user, key id, model, backend, currency). Reports and budget seeding
  read only this table, so their cost does not grow with traffic.
* ``ledger_rollup_daily``: the same sums per (UTC day start, tenant, project,
  model, backend, currency), without the two high-cardinality dimensions
  (end user, key): what keeps a month's report over millions of rows to a
  few thousand cells. Reports that neither group nor filter by end user or
  key read whole UTC days from here and the partial days at the edges of
  their range from the hourly table.
* ``ledger_outbox``: the local SQLite outbox of ``RelayedLedger`` (attempt id
  plus the row as orjson); rows leave it only after PostgreSQL committed them.

Migrations are append-only: change the schema by adding a new named
migration, never by editing an applied one.
"""

from __future__ import annotations

ATTEMPTS_TABLE = "ledger_attempts"
ROLLUP_TABLE = "ledger_rollup_hourly"
DAILY_TABLE = "ledger_rollup_daily"
OUTBOX_TABLE = "ledger_outbox"

# Column order of ``ledger_attempts`` as written and read by ``ledger_write``.
ATTEMPT_COLUMNS = (
    "attempt_id",
    "request_id",
    "created_at",
    "tenant",
    "project",
    "end_user",
    "alias",
    "backend",
    "model",
    "status",
    "principal",
    "key_id",
    "upstream_key_id",
    "labels",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "cost_nanos",
    "charged_nanos",
    "currency",
    "priced",
    "price_version",
    "usage_source",
    "latency_ms",
    "fingerprint",
    "saved_nanos",
)

# The rollup's key and its summed columns, in the order ``ledger_write`` uses.
ROLLUP_KEY = (
    "hour_start",
    "tenant",
    "project",
    "end_user",
    "key_id",
    "model",
    "backend",
    "currency",
)
# The sums of the first migrations (frozen: applied migrations never change).
_ROLLUP_SUMS_V1 = (
    "cost_nanos",
    "charged_nanos",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "attempts",
    "unpriced",
    "estimated",
)
# What the response cache saved (cache-hit rows' original cost) and how many hits.
ROLLUP_SUMS = (*_ROLLUP_SUMS_V1, "saved_nanos", "cache_hits")

LEDGER_MIGRATION = "ledger_0001_attempts_and_hourly_rollups"
LEDGER_STATEMENTS = (
    f"""CREATE TABLE IF NOT EXISTS {ATTEMPTS_TABLE} (
        attempt_id TEXT PRIMARY KEY,
        request_id TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        end_user TEXT NOT NULL,
        alias TEXT NOT NULL,
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        status TEXT NOT NULL,
        principal TEXT NOT NULL,
        key_id TEXT NOT NULL,
        upstream_key_id TEXT NOT NULL,
        labels TEXT NOT NULL,
        input_tokens BIGINT NOT NULL,
        cached_input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cost_nanos BIGINT NOT NULL,
        charged_nanos BIGINT NOT NULL,
        currency TEXT NOT NULL,
        priced INTEGER NOT NULL,
        price_version TEXT NOT NULL,
        usage_source TEXT NOT NULL,
        latency_ms BIGINT NOT NULL
    )""",
    f"CREATE INDEX IF NOT EXISTS ledger_attempts_by_request"
    f" ON {ATTEMPTS_TABLE} (request_id, created_at)",
    # No index on created_at alone: reports read the rollups, and every index
    # on this table is paid on the hot path (one more page per commit).
    f"""CREATE TABLE IF NOT EXISTS {ROLLUP_TABLE} (
        hour_start BIGINT NOT NULL,
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        end_user TEXT NOT NULL,
        key_id TEXT NOT NULL,
        model TEXT NOT NULL,
        backend TEXT NOT NULL,
        currency TEXT NOT NULL,
        cost_nanos BIGINT NOT NULL DEFAULT 0,
        charged_nanos BIGINT NOT NULL DEFAULT 0,
        input_tokens BIGINT NOT NULL DEFAULT 0,
        cached_input_tokens BIGINT NOT NULL DEFAULT 0,
        output_tokens BIGINT NOT NULL DEFAULT 0,
        attempts BIGINT NOT NULL DEFAULT 0,
        unpriced BIGINT NOT NULL DEFAULT 0,
        estimated BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY ({", ".join(ROLLUP_KEY)})
    )""",
    # spent(scope) reads one scope over a time range: one index per scope kind.
    f"CREATE INDEX IF NOT EXISTS ledger_rollup_by_tenant ON {ROLLUP_TABLE} (tenant, hour_start)",
    f"CREATE INDEX IF NOT EXISTS ledger_rollup_by_project ON {ROLLUP_TABLE} (project, hour_start)",
    f"CREATE INDEX IF NOT EXISTS ledger_rollup_by_user ON {ROLLUP_TABLE} (end_user, hour_start)",
    f"CREATE INDEX IF NOT EXISTS ledger_rollup_by_key ON {ROLLUP_TABLE} (key_id, hour_start)",
)

OUTBOX_MIGRATION = "ledger_outbox_0001"
OUTBOX_STATEMENTS = (
    # Relayed in rowid order (oldest first); the payload is the row as orjson.
    f"""CREATE TABLE IF NOT EXISTS {OUTBOX_TABLE} (
        attempt_id TEXT PRIMARY KEY,
        payload TEXT NOT NULL
    )""",
)

# SQLite only: the rollup is maintained by a trigger, so one multi-row
# ``INSERT ... ON CONFLICT DO NOTHING`` (atomic on its own in autocommit mode,
# trigger included) writes a batch: one round trip to the database thread
# instead of four. A duplicate attempt id inserts nothing, so fires nothing.
SQLITE_TRIGGER_MIGRATION = "ledger_0002_sqlite_rollup_trigger"
SQLITE_TRIGGER_STATEMENTS = (
    f"""CREATE TRIGGER IF NOT EXISTS ledger_rollup_on_insert AFTER INSERT ON {ATTEMPTS_TABLE}
    BEGIN
        INSERT INTO {ROLLUP_TABLE} ({", ".join((*ROLLUP_KEY, *_ROLLUP_SUMS_V1))})
        VALUES (
            CAST(NEW.created_at / 3600 AS INTEGER) * 3600 - (NEW.created_at < 0) * 3600,
            NEW.tenant, NEW.project, NEW.end_user, NEW.key_id, NEW.model, NEW.backend,
            NEW.currency, NEW.cost_nanos, NEW.charged_nanos, NEW.input_tokens,
            NEW.cached_input_tokens, NEW.output_tokens, 1, 1 - NEW.priced,
            NEW.usage_source = 'estimated'
        )
        ON CONFLICT ({", ".join(ROLLUP_KEY)}) DO UPDATE SET
            {", ".join(f"{c} = {c} + excluded.{c}" for c in _ROLLUP_SUMS_V1)};
    END""",
)

# The coarse rollup (see the module docstring). Its migration backfills from
# the hourly rollup, so a ledger created before it keeps every sum.
DAILY_KEY = ("day_start", "tenant", "project", "model", "backend", "currency")
DAILY_MIGRATION = "ledger_0003_daily_rollup"
DAILY_STATEMENTS = (
    f"""CREATE TABLE IF NOT EXISTS {DAILY_TABLE} (
        day_start BIGINT NOT NULL,
        tenant TEXT NOT NULL,
        project TEXT NOT NULL,
        model TEXT NOT NULL,
        backend TEXT NOT NULL,
        currency TEXT NOT NULL,
        {", ".join(f"{c} BIGINT NOT NULL DEFAULT 0" for c in _ROLLUP_SUMS_V1)},
        PRIMARY KEY ({", ".join(DAILY_KEY)})
    )""",
    f"CREATE INDEX IF NOT EXISTS ledger_daily_by_tenant ON {DAILY_TABLE} (tenant, day_start)",
    f"CREATE INDEX IF NOT EXISTS ledger_daily_by_project ON {DAILY_TABLE} (project, day_start)",
    f"""INSERT INTO {DAILY_TABLE} ({", ".join((*DAILY_KEY, *_ROLLUP_SUMS_V1))})
    SELECT (hour_start / 86400) * 86400, tenant, project, model, backend, currency,
        {", ".join(f"SUM({c})" for c in _ROLLUP_SUMS_V1)}
    FROM {ROLLUP_TABLE}
    GROUP BY (hour_start / 86400) * 86400, tenant, project, model, backend, currency""",
)

SQLITE_DAILY_TRIGGER_MIGRATION = "ledger_0004_sqlite_daily_rollup_trigger"
SQLITE_DAILY_TRIGGER_STATEMENTS = (
    f"""CREATE TRIGGER IF NOT EXISTS ledger_daily_rollup_on_insert
    AFTER INSERT ON {ATTEMPTS_TABLE}
    BEGIN
        INSERT INTO {DAILY_TABLE} ({", ".join((*DAILY_KEY, *_ROLLUP_SUMS_V1))})
        VALUES (
            CAST(NEW.created_at / 86400 AS INTEGER) * 86400 - (NEW.created_at < 0) * 86400,
            NEW.tenant, NEW.project, NEW.model, NEW.backend, NEW.currency,
            NEW.cost_nanos, NEW.charged_nanos, NEW.input_tokens,
            NEW.cached_input_tokens, NEW.output_tokens, 1, 1 - NEW.priced,
            NEW.usage_source = 'estimated'
        )
        ON CONFLICT ({", ".join(DAILY_KEY)}) DO UPDATE SET
            {", ".join(f"{c} = {c} + excluded.{c}" for c in _ROLLUP_SUMS_V1)};
    END""",
)

# The request fingerprint (nullable: rows before it have none), and the time
# index the recommendation queries scan by.
FINGERPRINT_MIGRATION = "ledger_0005_request_fingerprint"
FINGERPRINT_STATEMENTS = (
    f"ALTER TABLE {ATTEMPTS_TABLE} ADD COLUMN fingerprint TEXT",
    f"CREATE INDEX IF NOT EXISTS ledger_attempts_by_time ON {ATTEMPTS_TABLE} (created_at)",
)


# Response-cache savings: a column on attempts and two sums on both rollups.
SAVINGS_MIGRATION = "ledger_0006_cache_savings"
SAVINGS_STATEMENTS = (
    f"ALTER TABLE {ATTEMPTS_TABLE} ADD COLUMN saved_nanos BIGINT NOT NULL DEFAULT 0",
    *(
        f"ALTER TABLE {table} ADD COLUMN {column} BIGINT NOT NULL DEFAULT 0"
        for table in (ROLLUP_TABLE, DAILY_TABLE)
        for column in ("saved_nanos", "cache_hits")
    ),
)


def _sqlite_rollup_trigger(name: str, table: str, key: tuple[str, ...]) -> str:
    """The SQLite trigger keeping ``table`` in step with every inserted row."""
    period = 3600 if table == ROLLUP_TABLE else 86400
    dims = "NEW.tenant, NEW.project"
    if table == ROLLUP_TABLE:
        dims += ", NEW.end_user, NEW.key_id"
    return f"""CREATE TRIGGER IF NOT EXISTS {name} AFTER INSERT ON {ATTEMPTS_TABLE}
    BEGIN
        INSERT INTO {table} ({", ".join((*key, *ROLLUP_SUMS))})
        VALUES (
            CAST(NEW.created_at / {period} AS INTEGER) * {period} - (NEW.created_at < 0) * {period},
            {dims}, NEW.model, NEW.backend,
            NEW.currency, NEW.cost_nanos, NEW.charged_nanos, NEW.input_tokens,
            NEW.cached_input_tokens, NEW.output_tokens, 1, 1 - NEW.priced,
            NEW.usage_source = 'estimated', NEW.saved_nanos, NEW.status = 'cache_hit'
        )
        ON CONFLICT ({", ".join(key)}) DO UPDATE SET
            {", ".join(f"{c} = {c} + excluded.{c}" for c in ROLLUP_SUMS)};
    END"""


SQLITE_SAVINGS_TRIGGER_MIGRATION = "ledger_0007_sqlite_rollup_triggers_with_savings"
SQLITE_SAVINGS_TRIGGER_STATEMENTS = (
    "DROP TRIGGER IF EXISTS ledger_rollup_on_insert",
    "DROP TRIGGER IF EXISTS ledger_daily_rollup_on_insert",
    _sqlite_rollup_trigger("ledger_rollup_on_insert_v2", ROLLUP_TABLE, ROLLUP_KEY),
    _sqlite_rollup_trigger("ledger_daily_rollup_on_insert_v2", DAILY_TABLE, DAILY_KEY),
)

# In order. Both engines get ``LEDGER_MIGRATIONS``; SQLite (where triggers keep
# the rollups) also gets ``SQLITE_MIGRATIONS`` after them.
Migration = tuple[str, tuple[str, ...]]
LEDGER_MIGRATIONS: tuple[Migration, ...] = (
    (LEDGER_MIGRATION, LEDGER_STATEMENTS),
    (DAILY_MIGRATION, DAILY_STATEMENTS),
    (FINGERPRINT_MIGRATION, FINGERPRINT_STATEMENTS),
    (SAVINGS_MIGRATION, SAVINGS_STATEMENTS),
)
SQLITE_MIGRATIONS: tuple[Migration, ...] = (
    (SQLITE_TRIGGER_MIGRATION, SQLITE_TRIGGER_STATEMENTS),
    (SQLITE_DAILY_TRIGGER_MIGRATION, SQLITE_DAILY_TRIGGER_STATEMENTS),
    (SQLITE_SAVINGS_TRIGGER_MIGRATION, SQLITE_SAVINGS_TRIGGER_STATEMENTS),
)
