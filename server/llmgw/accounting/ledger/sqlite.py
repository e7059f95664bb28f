"""``SqliteLedger``: the embedded default ledger, one SQLite file, no relay.

``record(row)`` returns only after the raw row and its hourly rollup update
are committed in the same SQLite transaction (WAL). Concurrent ``record``
calls are group-committed (``GroupCommit``): one writer task commits
everything queued in one transaction, so N concurrent requests cost one
commit. A duplicate ``attempt_id`` is inserted with ``ON CONFLICT DO NOTHING``
and only really inserted rows reach the rollups, so it is never counted
twice.

Durability: by default the connection is switched to ``synchronous=FULL``
(an fsync per commit, cheap with group commit), so a committed billing row
survives power loss too, not only ``kill -9``. Note that this PRAGMA is per
connection: it applies to every store sharing ``db``. Pass
``synchronous=None`` to keep the connection's setting.

The ledger does not own ``db``: ``close()`` commits what is queued and stops
the writer; the composition root closes the database.
"""

from __future__ import annotations

from llmgw.accounting.ledger.group_commit import GroupCommit
from llmgw.accounting.ledger.port import CostQuery, CostReport, RepeatGroup
from llmgw.accounting.ledger.queries import attempts, repeats, report, spent
from llmgw.accounting.ledger.schema import LEDGER_MIGRATIONS, SQLITE_MIGRATIONS
from llmgw.accounting.ledger.write import insert_rows_with_trigger, store_rows
from llmgw.domain.budgets import BudgetScope
from llmgw.domain.ledger import LedgerRow
from llmgw.storage.database import Database, migrate

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")


class SqliteLedger:
    """The ``Ledger`` port over one local database (rows + rollups)."""

    def __init__(self, db: Database, *, synchronous: str | None = "FULL", max_batch: int = 1000):
        if synchronous is not None and synchronous.upper() not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}")
        self._db = db
        self._synchronous = synchronous
        sqlite = db.dialect == "sqlite"
        self._write = insert_rows_with_trigger if sqlite else store_rows
        self._commits: GroupCommit[LedgerRow] = GroupCommit(
            db,
            self._write,
            max_batch=max_batch,
            transactional=not sqlite,
        )

    async def start(self) -> None:
        """Apply the ledger migration (idempotent) and set durability."""
        if self._synchronous is not None and self._db.dialect == "sqlite":
            await self._db.execute(f"PRAGMA synchronous={self._synchronous.upper()}")
        for name, statements in LEDGER_MIGRATIONS:
            await migrate(self._db, name, statements)
        if self._db.dialect == "sqlite":
            for name, statements in SQLITE_MIGRATIONS:
                await migrate(self._db, name, statements)

    async def record(self, row: LedgerRow) -> None:
        """Return once ``row`` and its rollup are committed (group commit)."""
        await self._commits.submit(row)

    async def record_batch(self, rows: list[LedgerRow]) -> None:
        """Commit ``rows`` now, outside the group commit (``JournaledLedger``'s
        applier: it batches already). Idempotent on ``attempt_id``."""
        if self._db.dialect == "sqlite":
            await self._write(self._db, rows)
            return
        async with self._db.transaction() as tx:
            await self._write(tx, rows)

    async def flush(self) -> None:
        """Nothing to relay: ``record`` already committed."""

    async def close(self) -> None:
        """Commit what is queued and stop the writer (``db`` stays open)."""
        await self._commits.close()

    async def report(self, query: CostQuery) -> CostReport:
        return await report(self._db, query)

    async def attempts(self, request_id: str) -> list[LedgerRow]:
        return await attempts(self._db, request_id)

    async def spent(self, scope: BudgetScope, start: float, end: float | None) -> int:
        return await spent(self._db, scope, start, end)

    async def repeats(self, start: float, end: float) -> list[RepeatGroup]:
        return await repeats(self._db, start, end)
