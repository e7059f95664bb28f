"""JournaledLedger: a row is durable once ``record`` returns, even under kill -9.

The storage contract itself (round trips, rollups, duplicates) runs on the
journal through ``test_ledger``'s ``ledger`` fixture. Here: reads see rows not
yet applied, recovery replays what a dead process left (torn last line
skipped, nothing counted twice), a live process's segment is left alone, and
a real process SIGKILLed at random points of a burst loses no row it
acknowledged. Nothing sleeps to wait: conditions are polled with a deadline.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from llmgw.accounting.ledger.journal import JournaledLedger
from llmgw.accounting.ledger.port import CostQuery
from llmgw.accounting.ledger.sqlite import SqliteLedger
from llmgw.accounting.ledger.write import row_values
from llmgw.storage.database import Database
from test_ledger import make_row, open_sqlite

BASE = 1_717_243_200.0  # 2024-06-01T12:00Z
EVERYTHING = CostQuery(start=BASE - 86400, end=BASE + 86400)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_sqlite(tmp_path / "ledger.sqlite3")
    yield database
    await database.close()


def _segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("segment-*.jsonl"))


async def test_a_read_sees_rows_the_applier_has_not_written_yet(
    db: Database, tmp_path: Path
) -> None:
    ledger = JournaledLedger(SqliteLedger(db), tmp_path / "journal", interval=3600)
    await ledger.start()
    try:
        for i in range(7):
            await ledger.record(make_row(f"a-{i}", created_at=BASE + i, cost_nanos=100 + i))
        assert b"a-6" in b"".join(p.read_bytes() for p in _segments(tmp_path / "journal"))
        total = (await ledger.report(EVERYTHING)).total
        assert (total.attempts, total.cost_nanos) == (7, sum(100 + i for i in range(7)))
        assert [r.attempt_id for r in await ledger.attempts("req-a-3")] == ["a-3"]
    finally:
        await ledger.close()
    assert _segments(tmp_path / "journal") == []  # closed cleanly: nothing left to replay


async def test_start_replays_a_dead_process_segment_once_skipping_a_torn_line(
    db: Database, tmp_path: Path
) -> None:
    directory = tmp_path / "journal"
    directory.mkdir()
    rows = [make_row(f"d-{i}", created_at=BASE + i, cost_nanos=10 + i) for i in range(5)]
    lines = b"".join(orjson.dumps(row_values(r)) + b"\n" for r in rows)
    # A row already applied before the crash (replayed again) and a torn tail.
    (directory / "segment-1-000000000001.jsonl").write_bytes(lines + lines[:40])
    first = SqliteLedger(db)
    await first.start()
    await first.record(rows[0])
    await first.close()

    ledger = JournaledLedger(SqliteLedger(db), directory)
    await ledger.start()
    try:
        total = (await ledger.report(EVERYTHING)).total
        assert (total.attempts, total.cost_nanos) == (5, sum(10 + i for i in range(5)))
        assert all(p.name.startswith(f"segment-{os.getpid()}-") for p in _segments(directory))
    finally:
        await ledger.close()


async def test_a_live_process_segment_is_not_replayed_by_another(tmp_path: Path) -> None:
    directory = tmp_path / "journal"
    one = await open_sqlite(tmp_path / "one.sqlite3")
    two = await open_sqlite(tmp_path / "two.sqlite3")
    owner = JournaledLedger(SqliteLedger(one), directory, interval=3600)
    other = JournaledLedger(SqliteLedger(two), directory, interval=3600)
    try:
        await owner.start()
        await owner.record(make_row("live-1", created_at=BASE))
        await other.start()  # the owner holds its segment's lock: skipped
        assert (await other.report(EVERYTHING)).total.attempts == 0
        assert (await owner.report(EVERYTHING)).total.attempts == 1
    finally:
        await owner.close()
        await other.close()
        await one.close()
        await two.close()


CHILD = r"""
import asyncio, sys
from pathlib import Path
from llmgw.accounting.ledger.journal import JournaledLedger
from llmgw.accounting.ledger.sqlite import SqliteLedger
from llmgw.domain.ledger import AttemptStatus, LedgerRow
from llmgw.storage.database import open_database

async def main():
    db = await open_database("sqlite:///" + sys.argv[1])
    ledger = JournaledLedger(SqliteLedger(db), Path(sys.argv[2]), interval=0.002)
    await ledger.start()
    print("STARTED", flush=True)

    async def one(i):
        await ledger.record(LedgerRow(
            attempt_id=f"k-{i}", request_id=f"k-{i}", created_at=1717243200.0 + i % 3600,
            tenant="acme", project="p", end_user="u", alias="a", backend="b", model="m",
            status=AttemptStatus.OK, cost_nanos=1000 + i, charged_nanos=i))
        sys.stdout.write(f"{i}\n")
        sys.stdout.flush()

    for start in range(0, int(sys.argv[3]), 16):
        await asyncio.gather(*(one(i) for i in range(start, start + 16)))
    print("DONE", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def _kill_after(child: subprocess.Popen[bytes], acknowledged: int) -> set[int]:
    """Read acknowledgements until ``acknowledged`` of them, then SIGKILL the child."""
    assert child.stdout is not None
    seen: set[int] = set()
    async with asyncio.timeout(60):
        while len(seen) < acknowledged:
            line = (await asyncio.to_thread(child.stdout.readline)).strip()
            if not line:
                raise AssertionError(f"child exited early: {child.stderr}")
            if line.isdigit():
                seen.add(int(line))
    os.kill(child.pid, signal.SIGKILL)  # no close(), no flush, no atexit
    await asyncio.to_thread(child.wait, 30)
    # Acknowledged after our last read but before the kill: written too.
    rest = child.stdout.read().split()
    seen.update(int(x) for x in rest if x.isdigit())
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_sigkill_at_a_random_point_of_a_burst_loses_no_acknowledged_row(
    tmp_path: Path, seed: int
) -> None:
    burst = 1600
    kill_at = random.Random(seed).randrange(16, burst - 16)
    path, directory = tmp_path / "ledger.sqlite3", tmp_path / "journal"
    command = [sys.executable, "-c", CHILD, str(path), str(directory), str(burst)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "server")}
    child = await asyncio.to_thread(
        subprocess.Popen, command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        assert child.stdout is not None
        assert (await asyncio.to_thread(child.stdout.readline)).strip() == b"STARTED"
        acknowledged = await _kill_after(child, kill_at)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert child.returncode == -signal.SIGKILL

    db = await open_sqlite(path)
    ledger = JournaledLedger(SqliteLedger(db), directory)
    try:
        await ledger.start()  # recovery
        stored = {
            int(row[0].removeprefix("k-"))
            for row in await db.fetch("SELECT attempt_id FROM ledger_attempts")
        }
        assert acknowledged <= stored  # nothing acknowledged is lost
        total = (await ledger.report(EVERYTHING)).total
        assert total.attempts == len(stored)  # rollups count each row once
        assert total.cost_nanos == sum(1000 + i for i in stored)
    finally:
        await ledger.close()
        await db.close()
