"""Uptime of self-hosted backends, for costing them by the hour.

A co-located vLLM sidecar costs its GPU's hourly rate whether it serves one
request or a million, so it is not priced per token: each gateway process that
serves a vLLM backend records one interval ``[started, last_seen]`` per
backend in the shared database and extends it every ``heartbeat`` seconds.
``uptime(backend, start, end)`` sums the intervals' overlap with a report
window: replicas each bring their own sidecar, so their intervals add up.
A process killed without warning loses at most one heartbeat of uptime.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence

from llmgw.domain.clock import Clock, SystemClock
from llmgw.domain.ids import new_id
from llmgw.storage.database import Database, migrate

MIGRATION = (
    "CREATE TABLE IF NOT EXISTS backend_uptime ("
    " interval_id TEXT PRIMARY KEY, backend TEXT NOT NULL,"
    " started_at DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL)",
    "CREATE INDEX IF NOT EXISTS backend_uptime_backend ON backend_uptime (backend, last_seen)",
)


class UptimeLog:
    """Records this process's uptime for ``backends`` and sums everyone's."""

    def __init__(
        self,
        db: Database,
        backends: Sequence[str],
        heartbeat: float = 60.0,
        clock: Callable[[], float] = time.time,
        timer: Clock | None = None,
    ) -> None:
        self._db = db
        self._timer: Clock = timer or SystemClock()  # paces the heartbeat
        self._backends = tuple(backends)
        self._heartbeat = heartbeat
        self._clock = clock
        self._intervals = {backend: new_id() for backend in self._backends}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await migrate(self._db, "backend_uptime_v1", MIGRATION)
        if not self._backends:
            return
        now = self._clock()
        for backend, interval in self._intervals.items():
            await self._db.execute(
                "INSERT INTO backend_uptime (interval_id, backend, started_at, last_seen)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                interval,
                backend,
                now,
                now,
            )
        self._task = asyncio.create_task(self._beat(), name="llmgw-uptime")

    async def _beat(self) -> None:
        while True:
            await self._timer.sleep(self._heartbeat)
            with contextlib.suppress(Exception):  # a missed beat loses one interval
                await self.touch()

    async def touch(self) -> None:
        """Extend this process's intervals to now."""
        now = self._clock()
        for interval in self._intervals.values():
            await self._db.execute(
                "UPDATE backend_uptime SET last_seen = ? WHERE interval_id = ?", now, interval
            )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            with contextlib.suppress(Exception):
                await self.touch()

    async def uptime(self, backend: str, start: float, end: float) -> float:
        """Seconds ``backend`` was up (summed over processes) within ``[start, end)``."""
        rows = await self._db.fetch(
            "SELECT started_at, last_seen FROM backend_uptime"
            " WHERE backend = ? AND last_seen > ? AND started_at < ?",
            backend,
            start,
            end,
        )
        return sum(max(0.0, min(float(b), end) - max(float(a), start)) for a, b in rows)

    @property
    def backends(self) -> tuple[str, ...]:
        return self._backends
