"""``JournaledLedger``: rows durable by one ``write(2)`` on the event loop,
applied to the SQLite ledger in batches by a background task.

Why: committing each request's row through SQLite costs a round trip to
aiosqlite's thread per group-commit batch, and under load batches stay small,
so that hop was the largest item a bare relay does not pay. Here ``record``
appends the row (one orjson line) to an append-only journal segment with one
``os.write`` and returns: the bytes are then in the kernel's page cache, so
the row survives the process being killed (``kill -9``, OOM) exactly as a
SQLite commit with ``synchronous=NORMAL`` in WAL mode does. An applier task
wakes at most every ``interval`` seconds (0.25 s by default: each wake-up
costs a segment switch and a SQLite transaction through aiosqlite's thread,
so longer batches are cheaper per row; reads apply pending rows first, so no
answer waits for it), switches ``record`` to a fresh segment, inserts the old
segment's rows into SQLite (the ledger's own batch write: ``ON CONFLICT
(attempt_id) DO NOTHING``, rollups by trigger), and only
then deletes the old segment.

What survives, per ``ledger.sqlite_synchronous`` (``app.py`` chooses):

=========  ===========================  =============  ==========
setting    path of a row                process crash  power loss
=========  ===========================  =============  ==========
NORMAL     this journal, then SQLite     yes            no (the last
                                                        ~interval of rows,
                                                        as SQLite NORMAL)
FULL       SQLite group commit + fsync  yes            yes
=========  ===========================  =============  ==========

Recovery (``start``): every segment in the directory that no live process
holds (each writer keeps an exclusive ``flock`` on the segments it owns) is
replayed into SQLite and deleted. Replaying a row twice (a crash after the
SQLite commit, before the delete) inserts nothing: the ``attempt_id``
conflict. A torn last line (only possible on power loss) is skipped.

Reads (``report``, ``attempts``, ``spent``, ``repeats``) first apply what is
pending, so a row recorded before a read is always in the answer.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path

import orjson

from llmgw.accounting.ledger.port import CostQuery, CostReport, Ledger, RepeatGroup
from llmgw.accounting.ledger.sqlite import SqliteLedger
from llmgw.accounting.ledger.write import decode_payload, row_values
from llmgw.domain.budgets import BudgetScope
from llmgw.domain.ledger import LedgerRow
from llmgw.observability.logging import get_logger
from llmgw.storage.database import Database

log = get_logger(__name__)
_PREFIX = "segment-"
_SUFFIX = ".jsonl"


def local_ledger(db: Database, synchronous: str, sqlite_path: str) -> Ledger:
    """The embedded ledger over ``db`` (the SQLite file ``sqlite_path``): with
    ``synchronous`` NORMAL (the default) behind a journal beside the file, with
    FULL the fsynced group commit alone (the table above says why)."""
    sqlite = SqliteLedger(db, synchronous=synchronous)
    if synchronous != "NORMAL" or db.dialect != "sqlite" or sqlite_path in ("", ":memory:"):
        return sqlite
    return JournaledLedger(sqlite, Path(f"{sqlite_path}.journal"))


class _Segment:
    """One journal file, open for append, exclusively locked by this process."""

    __slots__ = ("fd", "path", "rows")

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd
        self.rows: list[LedgerRow] = []

    @classmethod
    def claim(cls, path: Path) -> _Segment | None:
        """Open and lock ``path`` (created if absent); ``None`` if a live process holds it."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(path, fd)

    def discard(self) -> None:
        """Delete the file (its rows are in SQLite), then drop the lock."""
        self.path.unlink(missing_ok=True)
        os.close(self.fd)


class JournaledLedger:
    """The ``Ledger`` port: journal on the loop, SQLite (``inner``) in batches."""

    def __init__(self, inner: SqliteLedger, directory: Path, *, interval: float = 0.25) -> None:
        self._inner = inner
        self._directory = directory
        self._interval = interval
        self._sequence = 0
        self._current: _Segment | None = None
        self._unapplied: list[_Segment] = []  # closed for append, not yet in SQLite
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._applier: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Migrate SQLite, replay what dead processes left, start the applier."""
        await self._inner.start()
        self._directory.mkdir(parents=True, exist_ok=True)
        for path in sorted(self._directory.glob(f"{_PREFIX}*{_SUFFIX}")):
            segment = _Segment.claim(path)
            if segment is not None:
                segment.rows = _read_rows(path)
                self._unapplied.append(segment)
        async with self._lock:
            await self._apply()
        self._current = self._next_segment()
        self._applier = asyncio.create_task(self._run(), name="ledger-journal-applier")

    async def record(self, row: LedgerRow) -> None:
        """Return once ``row`` is in the journal (in the kernel: survives ``kill -9``)."""
        segment = self._current
        if segment is None:
            raise RuntimeError("ledger journal is not started or closed")
        data = orjson.dumps(row_values(row), option=orjson.OPT_APPEND_NEWLINE)  # no concat copy
        try:
            written = os.write(segment.fd, data)
            if written != len(data):
                raise OSError(f"short journal write ({written} of {len(data)} bytes)")
        except OSError:
            # A torn line must stay the last one of its segment: append elsewhere.
            self._rotate(force=True)
            raise
        segment.rows.append(row)
        if not self._wake.is_set():
            self._wake.set()

    async def flush(self) -> None:
        """Apply every row recorded so far to SQLite."""
        async with self._lock:
            self._rotate()
            await self._apply()

    async def close(self) -> None:
        """Apply what is pending, stop the applier, remove the empty segment."""
        if self._applier is not None:
            self._applier.cancel()
            await asyncio.gather(self._applier, return_exceptions=True)
            self._applier = None
        if self._current is not None:
            await self.flush()
            if not self._unapplied and self._current is not None:
                self._current.discard()
            self._current = None
        await self._inner.close()

    async def report(self, query: CostQuery) -> CostReport:
        await self.flush()
        return await self._inner.report(query)

    async def attempts(self, request_id: str) -> list[LedgerRow]:
        await self.flush()
        return await self._inner.attempts(request_id)

    async def spent(self, scope: BudgetScope, start: float, end: float | None) -> int:
        await self.flush()
        return await self._inner.spent(scope, start, end)

    async def repeats(self, start: float, end: float) -> list[RepeatGroup]:
        await self.flush()
        return await self._inner.repeats(start, end)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._interval)  # batch: one SQLite write per interval
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # kept in the journal; retried on the next wake
                log.exception("ledger journal: applying to SQLite failed; will retry")
                self._wake.set()

    def _rotate(self, *, force: bool = False) -> None:
        """Close the current segment for append (if it holds rows); open the next."""
        current = self._current
        if current is None or not (current.rows or force):
            return
        self._unapplied.append(current)
        self._current = self._next_segment()

    async def _apply(self) -> None:
        """Write closed segments' rows to SQLite, oldest first; delete each after."""
        while self._unapplied:
            segment = self._unapplied[0]
            if segment.rows:
                await self._inner.record_batch(segment.rows)
            self._unapplied.pop(0)
            segment.discard()

    def _next_segment(self) -> _Segment:
        for _ in range(1000):
            self._sequence += 1
            name = f"{_PREFIX}{os.getpid()}-{self._sequence:012d}{_SUFFIX}"
            path = self._directory / name
            if path.exists():
                continue
            segment = _Segment.claim(path)
            if segment is not None:
                return segment
        raise RuntimeError(f"no free journal segment name in {self._directory}")


def _read_rows(path: Path) -> list[LedgerRow]:
    rows: list[LedgerRow] = []
    for line in path.read_bytes().split(b"\n"):
        if not line.strip():
            continue
        try:
            rows.append(decode_payload(line))
        except (ValueError, TypeError):
            log.warning("ledger journal: skipping a torn line in %s", path.name)
    return rows
