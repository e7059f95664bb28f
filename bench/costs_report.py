"""GetCosts at scale: how long a cost report takes over a large ledger.

``python bench/costs_report.py --rows 1000000`` writes that many attempt rows
(30 days, 20 tenants x 10 projects x 200 end users x 4 models x 3 backends) into
a fresh embedded SQLite ledger (or PostgreSQL with ``--postgres-url``), then
times the reports GetCosts issues: a month's total, a month by model and by
day, one tenant by project, and one request's attempts. Reports read the
hourly rollups, so their time follows the number of rollup cells, not rows.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from llmgw.accounting.ledger.port import CostQuery
from llmgw.accounting.ledger.schema import LEDGER_MIGRATIONS
from llmgw.accounting.ledger.sqlite import SqliteLedger
from llmgw.accounting.ledger.write import store_rows
from llmgw.domain.ledger import AttemptStatus, LedgerRow
from llmgw.storage.database import Database, migrate, open_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from databases import fresh_postgres_database

DAY = 86_400
BATCH = 2_000


def _row(i: int, start: float, rng: random.Random) -> LedgerRow:
    cost = rng.randint(1_000, 5_000_000)
    return LedgerRow(
        attempt_id=f"a{i}",
        request_id=f"r{i}",
        created_at=start + rng.random() * 30 * DAY,
        tenant=f"tenant-{rng.randrange(20)}",
        project=f"project-{rng.randrange(10)}",
        end_user=f"user-{rng.randrange(200)}",
        alias="default",
        backend=f"backend-{rng.randrange(3)}",
        model=f"model-{rng.randrange(4)}",
        status=AttemptStatus.OK,
        key_id=f"key-{rng.randrange(50)}",
        input_tokens=rng.randint(10, 5_000),
        output_tokens=rng.randint(1, 2_000),
        cost_nanos=cost,
        charged_nanos=cost,
    )


async def _fill(db: Database, rows: int, start: float) -> float:
    rng = random.Random(1)
    began = time.perf_counter()
    for first in range(0, rows, BATCH):
        batch = [_row(i, start, rng) for i in range(first, min(rows, first + BATCH))]
        async with db.transaction() as tx:
            await store_rows(tx, batch)
    return time.perf_counter() - began


async def _time(label: str, call: object, repeat: int = 5) -> None:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = await call()  # type: ignore[operator]
        times.append((time.perf_counter() - began) * 1000)
    print(f"{label:<44} p50 {statistics.median(times):8.1f} ms   ({result})")


async def run(rows: int, postgres_url: str | None) -> None:
    start = time.time() - 30 * DAY
    with tempfile.TemporaryDirectory(prefix="llmgw-costs-bench-") as tmp:
        if postgres_url:
            async with fresh_postgres_database(postgres_url, "llmgw_bench") as url:
                db = await open_database(url)
                await _bench(db, rows, start)
                await db.close()
        else:
            db = await open_database(f"sqlite:///{tmp}/ledger.sqlite3")
            await _bench(db, rows, start)
            await db.close()


async def _bench(db: Database, rows: int, start: float) -> None:
    for name, statements in LEDGER_MIGRATIONS:  # no SQLite triggers: store_rows rolls up
        await migrate(db, name, statements)
    seconds = await _fill(db, rows, start)
    hourly = (await db.fetch("SELECT COUNT(*) FROM ledger_rollup_hourly"))[0][0]
    daily = (await db.fetch("SELECT COUNT(*) FROM ledger_rollup_daily"))[0][0]
    print(
        f"{db.dialect}: {rows} rows written in {seconds:.0f} s;"
        f" rollup cells: {hourly} hourly, {daily} daily"
    )
    ledger = SqliteLedger(db, synchronous=None)
    end = time.time() + 1
    month = CostQuery(start=start, end=end)

    async def total() -> str:
        report = await ledger.report(month)
        return f"total {report.total.cost_nanos} nanos, {report.total.attempts} attempts"

    async def by_model_day() -> str:
        query = CostQuery(start=start, end=end, group_by=("model",), granularity="day")
        return f"{len((await ledger.report(query)).groups)} cells"

    async def tenant_by_project() -> str:
        query = CostQuery(
            start=start, end=end, group_by=("project",), filters={"tenant": "tenant-3"}
        )
        return f"{len((await ledger.report(query)).groups)} cells"

    async def one_request() -> str:
        return f"{len(await ledger.attempts(f'r{rows // 2}'))} attempt"

    await _time("month total", total)
    await _time("month by model and day", by_model_day)
    await _time("one tenant by project", tenant_by_project)
    await _time("one request's attempts (request_id)", one_request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    import uvloop

    uvloop.run(run(args.rows, args.postgres_url))


if __name__ == "__main__":
    main()
