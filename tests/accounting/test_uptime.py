"""vLLM uptime intervals: recorded per process, summed over processes, clipped
to the report window; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from databases import state_database
from llmgw.accounting.uptime import UptimeLog
from llmgw.storage.database import Database


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with state_database(request.param, tmp_path) as database:
        yield database


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_two_processes_add_up_and_the_window_clips(db: Database) -> None:
    clock = Clock(10_000.0)
    first = UptimeLog(db, ["vllm"], heartbeat=3600, clock=clock)
    await first.start()
    clock.now = 10_600.0
    second = UptimeLog(db, ["vllm"], heartbeat=3600, clock=clock)  # another replica
    await second.start()
    clock.now = 11_800.0
    await first.touch()
    await second.touch()
    # first: 10_000..11_800 (1800 s), second: 10_600..11_800 (1200 s)
    assert await first.uptime("vllm", 0, 20_000) == pytest.approx(3000)
    # the window [10_300, 11_000): 700 s of the first, 400 s of the second
    assert await second.uptime("vllm", 10_300, 11_000) == pytest.approx(1100)
    assert await first.uptime("other", 0, 20_000) == 0
    await first.close()
    await second.close()


async def test_no_self_hosted_backend_records_nothing(db: Database) -> None:
    log = UptimeLog(db, [], clock=Clock(5.0))
    await log.start()
    assert await log.uptime("vllm", 0, 10) == 0
    await log.close()
