"""Group commit: many concurrent writers, one transaction per batch.

``submit(item)`` queues ``item`` and returns once a single writer task has
committed it, together with every other item queued meanwhile, in one
transaction of ``db`` (``write(tx, items)``). A hundred concurrent requests
then cost one SQLite commit (one fsync), not a hundred, while each caller
still gets the guarantee it needs: its row is durable when ``submit``
returns.

If a batch fails, its items are retried one transaction each, so a single
bad item fails only its own caller. Cancelling a caller does not withdraw
its item: once queued it is written (a ledger row must not be lost because
the client went away). ``close()`` writes what is queued, then stops.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from llmgw.storage.database import Database

T = TypeVar("T")
Write = Callable[[Any, list[T]], Awaitable[object]]


class GroupCommit(Generic[T]):
    """One writer task committing queued items in batches of ``max_batch``."""

    def __init__(
        self, db: Database, write: Write[T], *, max_batch: int = 1000, transactional: bool = True
    ) -> None:
        self._db = db
        # False: ``write`` gets ``db`` itself and makes its own statements atomic
        # (one SQLite statement is; it saves the BEGIN/COMMIT round trips).
        self._transactional = transactional
        self._write = write
        self._max_batch = max_batch
        self._queue: deque[tuple[T, asyncio.Future[None]]] = deque()
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closed = False

    async def submit(self, item: T) -> None:
        """Return when ``item`` is committed; raise what the write raised."""
        if self._closed:
            raise RuntimeError("group commit is closed")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._wake.set()
        if self._writer is None:
            self._writer = asyncio.create_task(self._run(), name="ledger-group-commit")
        await future

    async def close(self) -> None:
        """Commit everything queued, then stop the writer."""
        self._closed = True
        self._wake.set()
        if self._writer is not None:
            await self._writer
            self._writer = None

    async def _run(self) -> None:
        batch: list[tuple[T, asyncio.Future[None]]] = []
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    size = min(self._max_batch, len(self._queue))
                    batch = [self._queue.popleft() for _ in range(size)]
                    await self._commit(batch)
                    batch = []
                if self._closed:
                    return
        finally:
            # Only reached with items left if the writer itself was cancelled
            # (loop shutdown): tell their callers instead of leaving them hanging.
            stopped = RuntimeError("ledger writer stopped before committing")
            for _, future in (*batch, *self._queue):
                _resolve(future, stopped)

    async def _commit(self, batch: list[tuple[T, asyncio.Future[None]]]) -> None:
        try:
            if self._transactional:
                async with self._db.transaction() as tx:
                    await self._write(tx, [item for item, _ in batch])
            else:
                await self._write(self._db, [item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _resolve(batch[0][1], exc)
                return
            for one in batch:  # isolate the failing item(s)
                await self._commit([one])
            return
        for _, future in batch:
            _resolve(future, None)


def _resolve(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled; the item was written anyway
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
