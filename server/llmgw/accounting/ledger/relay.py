"""``RelayedLedger``: rows committed to a local SQLite outbox, relayed to PostgreSQL.

Write path: ``record(row)`` group-commits the row into ``ledger_outbox``
(SQLite WAL) and returns; the row now survives ``kill -9``. It never waits
for PostgreSQL, so an outage of the shared store does not slow or fail
requests.

Relay: a background task moves outbox rows (oldest first, ``batch_size`` at
a time) to PostgreSQL. For each batch, in ONE PostgreSQL transaction, the
rows are inserted with ``ON CONFLICT (attempt_id) DO NOTHING RETURNING`` and
only the inserted ones are summed into the hourly rollups; only after that
commit are the batch's ids deleted from the outbox. A crash (or a failed
delete) between the two relays the batch again and the conflict clause
drops it: at-least-once delivery into an idempotent sink, so every row is
counted exactly once.

The PostgreSQL pool is opened lazily, on first need, and every failure is
retried with capped exponential backoff (``max_backoff``, 5 s); meanwhile
rows wait in the outbox. One warning is logged per outage (the URL without
its password), one info line when it recovers; ``last_error`` and
``pending()`` feed health reporting. ``start()`` applies migrations (the
PostgreSQL ones in the background if it is down) and relays whatever a
previous process left in the outbox: that is the ``kill -9`` recovery.

Reads (``report``, ``attempts``, ``spent``) go to PostgreSQL, the shared
source of truth; rows still in the outbox are not in them yet.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import SplitResult, urlsplit

from llmgw.accounting.ledger.group_commit import GroupCommit
from llmgw.accounting.ledger.port import CostQuery, CostReport, RepeatGroup
from llmgw.accounting.ledger.queries import attempts, repeats, report, spent
from llmgw.accounting.ledger.schema import (
    LEDGER_MIGRATIONS,
    OUTBOX_MIGRATION,
    OUTBOX_STATEMENTS,
    OUTBOX_TABLE,
)
from llmgw.accounting.ledger.sqlite import SYNCHRONOUS_MODES
from llmgw.accounting.ledger.write import (
    decode_payload,
    encode_payload,
    statement_chunks,
    store_rows,
)
from llmgw.domain.budgets import BudgetScope
from llmgw.domain.clock import Clock, SystemClock
from llmgw.domain.ledger import LedgerRow
from llmgw.observability.logging import get_logger, redact
from llmgw.storage.database import Database, StoreUnavailableError, migrate, open_database

log = get_logger(__name__)

FIRST_BACKOFF = 0.1  # seconds; doubles per consecutive failure up to max_backoff


class LedgerUnavailableError(ConnectionError):
    """PostgreSQL could not be reached (or refused a batch); rows stay in the outbox."""


class RelayedLedger:
    """The ``Ledger`` port: SQLite outbox locally, PostgreSQL as the shared store.

    ``outbox`` is an open SQLite ``Database`` (not owned: the caller closes
    it); ``store_url`` a ``postgresql://`` URL (owned: opened lazily, closed
    by ``close()``).
    """

    def __init__(
        self,
        outbox: Database,
        store_url: str,
        batch_size: int = 500,
        interval: float = 0.2,
        *,
        io_timeout: float = 10.0,
        max_backoff: float = 5.0,
        close_timeout: float = 5.0,
        synchronous: str | None = "FULL",
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if synchronous is not None and synchronous.upper() not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}")
        self._outbox = outbox
        self._url = store_url
        self._safe_url, self._secrets = _redacted_url(store_url)
        self._batch_size = batch_size
        self._interval = interval
        self._io_timeout = io_timeout
        self._max_backoff = max_backoff
        self._close_timeout = close_timeout
        self._synchronous = synchronous
        self._commits: GroupCommit[LedgerRow] = GroupCommit(
            outbox,
            _append_to_outbox,
            transactional=False,  # one statement per chunk
        )
        self._store: Database | None = None
        self._migrated = False
        self._connect_lock = asyncio.Lock()
        self._relay_lock = asyncio.Lock()
        self._dirty = asyncio.Event()
        self._relay: asyncio.Task[None] | None = None
        self._failures = 0
        self.failures_total = 0  # relay/flush failures since start (metrics)
        self._closed = False
        self.clock: Clock = SystemClock()  # paces batching and backoff; tests swap it
        self.last_error = ""  # "" while healthy; the latest failure (no secrets) otherwise

    @property
    def consecutive_failures(self) -> int:
        """Relay/flush failures since the last success (0 = healthy)."""
        return self._failures

    async def start(self) -> None:
        """Migrate the outbox, then start the relay (which migrates PostgreSQL,
        retrying while it is down, and relays rows left by a previous process)."""
        if self._synchronous is not None:
            await self._outbox.execute(f"PRAGMA synchronous={self._synchronous.upper()}")
        await migrate(self._outbox, OUTBOX_MIGRATION, OUTBOX_STATEMENTS)
        self._dirty.set()
        if self._relay is None:
            self._relay = asyncio.create_task(self._run(), name="ledger-relay")

    async def record(self, row: LedgerRow) -> None:
        """Return once ``row`` is committed to the outbox (group commit)."""
        await self._commits.submit(row)
        self._dirty.set()

    async def pending(self) -> int:
        """Rows in the outbox, not yet committed to PostgreSQL."""
        rows = await self._outbox.fetch(f"SELECT COUNT(*) FROM {OUTBOX_TABLE}")
        return int(rows[0][0])

    async def oldest_pending_at(self) -> float | None:
        """``created_at`` of the oldest row still in the outbox (relay lag), or ``None``."""
        rows = await self._outbox.fetch(
            f"SELECT payload FROM {OUTBOX_TABLE} ORDER BY rowid LIMIT 1"
        )
        return decode_payload(rows[0][0]).created_at if rows else None

    async def flush(self) -> None:
        """Relay every row in the outbox now; raise ``LedgerUnavailableError``
        if PostgreSQL cannot take them (they stay in the outbox)."""
        upto = await self._last_rowid()
        async with self._relay_lock:
            try:
                await self._relay_upto(upto)
            except Exception as exc:
                self._failed(exc)
                raise LedgerUnavailableError(self.last_error) from exc
        self._succeeded()

    async def close(self) -> None:
        """Commit queued rows, try a final flush (bounded by ``close_timeout``),
        stop the relay and close PostgreSQL. Unrelayed rows stay in the outbox."""
        if self._closed:
            return
        self._closed = True
        await self._commits.close()
        if self._relay is not None:
            self._relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay
            self._relay = None
        try:
            await asyncio.wait_for(self.flush(), self._close_timeout)
        except (LedgerUnavailableError, TimeoutError):
            log.warning(
                "ledger outbox not drained at close; relayed on next start",
                store=self._safe_url,
                error=self.last_error or "timeout",
            )
        if self._store is not None:
            store, self._store = self._store, None
            try:
                await asyncio.wait_for(store.close(), self._close_timeout)
            except Exception as exc:  # closing a broken pool: nothing left to save
                log.warning("ledger store close failed", error=self._describe(exc))

    async def report(self, query: CostQuery) -> CostReport:
        return await report(await self._reader(), query)

    async def attempts(self, request_id: str) -> list[LedgerRow]:
        return await attempts(await self._reader(), request_id)

    async def spent(self, scope: BudgetScope, start: float, end: float | None) -> int:
        return await spent(await self._reader(), scope, start, end)

    async def repeats(self, start: float, end: float) -> list[RepeatGroup]:
        return await repeats(await self._reader(), start, end)

    # -- relay ------------------------------------------------------------

    async def _run(self) -> None:
        """Relay whenever rows arrive (at most every ``interval``); back off on failure."""
        while True:
            await self._dirty.wait()
            if self._interval > 0:
                await self.clock.sleep(self._interval)  # let a batch accumulate
            self._dirty.clear()
            try:
                await self._connect()
                upto = await self._last_rowid()
                async with self._relay_lock:
                    await self._relay_upto(upto)
            except Exception as exc:
                self._failed(exc)
                self._dirty.set()
                await self.clock.sleep(self._backoff())
            else:
                self._succeeded()

    async def _relay_upto(self, upto: int) -> None:
        """Relay outbox rows with ``rowid <= upto`` (what was pending when asked),
        so a flush ends even while new rows keep arriving."""
        while True:
            rows = await self._outbox.fetch(
                f"SELECT payload FROM {OUTBOX_TABLE} WHERE rowid <= ? ORDER BY rowid LIMIT ?",
                upto,
                self._batch_size,
            )
            if not rows:
                return
            await self._relay_batch([decode_payload(r[0]) for r in rows])
            if len(rows) < self._batch_size:
                return

    async def _relay_batch(self, rows: list[LedgerRow]) -> None:
        store = await self._connect()
        async with asyncio.timeout(self._io_timeout), store.transaction() as tx:
            await store_rows(tx, rows)
        # Only now: a crash before this line relays the batch again, harmlessly.
        await self._forget([r.attempt_id for r in rows])

    async def _forget(self, attempt_ids: list[str]) -> None:
        """Delete relayed rows from the outbox (after the PostgreSQL commit)."""
        async with self._outbox.transaction() as tx:
            for chunk in statement_chunks(attempt_ids):  # few distinct texts
                marks = ", ".join("?" for _ in chunk)
                await tx.execute(
                    f"DELETE FROM {OUTBOX_TABLE} WHERE attempt_id IN ({marks})", *chunk
                )

    async def _last_rowid(self) -> int:
        rows = await self._outbox.fetch(f"SELECT MAX(rowid) FROM {OUTBOX_TABLE}")
        return int(rows[0][0] or 0)

    # -- PostgreSQL connection ---------------------------------------------

    async def _connect(self) -> Database:
        """The PostgreSQL pool, opened and migrated on first need (bounded by
        ``io_timeout``); raises while PostgreSQL is unreachable."""
        if self._store is not None and self._migrated:
            return self._store
        async with self._connect_lock:
            if self._store is None:
                async with asyncio.timeout(self._io_timeout):
                    self._store = await open_database(self._url)
            if not self._migrated:
                async with asyncio.timeout(self._io_timeout):
                    for name, statements in LEDGER_MIGRATIONS:
                        await migrate(self._store, name, statements)
                self._migrated = True
            return self._store

    async def _reader(self) -> Database:
        try:
            return await self._connect()
        except Exception as exc:
            raise LedgerUnavailableError(self._describe(exc)) from exc

    # -- health ---------------------------------------------------------------

    def _failed(self, exc: BaseException) -> None:
        self._failures += 1
        self.failures_total += 1
        self.last_error = self._describe(exc)
        if self._failures == 1:  # one warning per outage, not one per retry
            log.warning(
                "ledger relay failing; rows stay in the outbox",
                store=self._safe_url,
                error=self.last_error,
            )

    def _succeeded(self) -> None:
        if self._failures:
            log.info("ledger relay recovered", store=self._safe_url, failures=self._failures)
        self._failures = 0
        self.last_error = ""

    def _backoff(self) -> float:
        ceiling = min(self._max_backoff, FIRST_BACKOFF * 2.0 ** min(self._failures - 1, 30))
        return ceiling * (0.8 + 0.2 * self.clock.jitter())  # jitter: replicas not in step

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, StoreUnavailableError) and exc.__cause__ is not None:
            exc = exc.__cause__  # the driver's error says more to an operator
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return redact(text, self._secrets)


async def _append_to_outbox(tx: Any, rows: list[LedgerRow]) -> None:
    """Group-commit body: one multi-row insert per chunk; a duplicate id is a no-op."""
    for chunk in statement_chunks(rows):  # few distinct statement texts
        marks = ", ".join("(?, ?)" for _ in chunk)
        params = [value for row in chunk for value in (row.attempt_id, encode_payload(row))]
        await tx.execute(
            f"INSERT INTO {OUTBOX_TABLE} (attempt_id, payload) VALUES {marks}"
            " ON CONFLICT (attempt_id) DO NOTHING",
            *params,
        )


def _redacted_url(url: str) -> tuple[str, tuple[str, ...]]:
    """(``url`` without password or query, the secrets to scrub from messages)."""
    parts: SplitResult = urlsplit(url)
    secrets = tuple(s for s in (parts.password,) if s)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}@{host}" if parts.username else host
    return parts._replace(netloc=netloc, query="", fragment="").geturl(), secrets
