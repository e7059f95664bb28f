"""Ledger write-path benchmark: ``record()`` wall time and CPU per row.

Records a bounded number of rows (default 5000) into a fresh ledger at
concurrency 1 and 32, for ``SqliteLedger`` (rows + rollups in one SQLite
transaction) and ``RelayedLedger`` (SQLite outbox; the relay to PostgreSQL
runs in the background meanwhile, and its CPU is counted too). Prints, per
phase, wall microseconds per row, process CPU microseconds per row (utime +
stime of this process, aiosqlite's thread included), p50/p99 ``record()``
latency, and for the relayed ledger how long the final drain to PostgreSQL
took. Group commit is what makes concurrency 32 cheaper per row than 1.

Usage: ``python bench/ledger.py [--rows N] [--postgres-url URL] [--json PATH]``.
PostgreSQL comes from ``--postgres-url`` or ``LLMGW_TEST_POSTGRES_URL``; a
database with a random name is created on that server and dropped after.
Without one, only ``SqliteLedger`` is measured. Files go to a temp dir.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from llmgw.accounting.ledger.relay import RelayedLedger
from llmgw.accounting.ledger.sqlite import SqliteLedger
from llmgw.domain.ledger import AttemptStatus, LedgerRow
from llmgw.storage.database import Database, open_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from databases import fresh_postgres_database

PHASE_WALL_LIMIT = 120.0  # seconds per phase, whatever the row count
WARMUP_ROWS = 200


@dataclass
class Phase:
    ledger: str
    concurrency: int
    rows: int
    wall_us_per_row: float
    cpu_us_per_row: float
    p50_ms: float
    p99_ms: float
    drain_ms: float | None


def _rows(prefix: str, count: int) -> list[LedgerRow]:
    now = time.time()
    return [
        LedgerRow(
            attempt_id=f"{prefix}-{i}",
            request_id=f"{prefix}-req-{i // 2}",
            created_at=now + i * 0.001,
            tenant=f"tenant-{i % 7}",
            project=f"project-{i % 3}",
            end_user=f"user-{i % 50}",
            alias="fast",
            backend="openai",
            model="gpt-4o-mini",
            status=AttemptStatus.OK,
            key_id=f"key-{i % 5}",
            labels=(("team", "bench"),),
            input_tokens=1200 + i % 100,
            output_tokens=300 + i % 40,
            cost_nanos=180_000 + i,
            charged_nanos=180_000 + i,
            price_version="bench",
            latency_ms=420,
        )
        for i in range(count)
    ]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _load(
    record: Callable[[LedgerRow], Awaitable[None]], rows: list[LedgerRow], concurrency: int
) -> tuple[list[float], float, float]:
    """(latencies in ms, wall seconds, CPU seconds) of recording ``rows``."""
    pending = iter(rows)
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PHASE_WALL_LIMIT

    async def worker() -> None:
        for row in pending:
            if loop.time() > deadline:
                return
            started = time.perf_counter()
            await record(row)
            latencies.append((time.perf_counter() - started) * 1000)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - wall, time.process_time() - cpu


def _phase(
    name: str,
    concurrency: int,
    measured: tuple[list[float], float, float],
    drain_ms: float | None = None,
) -> Phase:
    latencies, wall, cpu = measured
    count = max(1, len(latencies))
    return Phase(
        ledger=name,
        concurrency=concurrency,
        rows=len(latencies),
        wall_us_per_row=wall * 1e6 / count,
        cpu_us_per_row=cpu * 1e6 / count,
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        drain_ms=drain_ms,
    )


async def _sqlite_phase(workdir: Path, concurrency: int, count: int, sync: str) -> Phase:
    db: Database = await open_database(f"sqlite:///{workdir}/sqlite-{concurrency}.db")
    ledger = SqliteLedger(db, synchronous=sync)
    await ledger.start()
    try:
        await _load(ledger.record, _rows("warm", WARMUP_ROWS), concurrency)
        measured = await _load(ledger.record, _rows("row", count), concurrency)
        return _phase("SqliteLedger", concurrency, measured)
    finally:
        await ledger.close()
        await db.close()


async def _relayed_phase(
    workdir: Path, server_url: str, concurrency: int, count: int, sync: str
) -> Phase:
    async with fresh_postgres_database(server_url) as store_url:
        outbox = await open_database(f"sqlite:///{workdir}/outbox-{concurrency}.db")
        ledger = RelayedLedger(outbox, store_url, synchronous=sync)
        await ledger.start()
        try:
            await _load(ledger.record, _rows("warm", WARMUP_ROWS), concurrency)
            await ledger.flush()
            measured = await _load(ledger.record, _rows("row", count), concurrency)
            started = time.perf_counter()
            await ledger.flush()
            drain_ms = (time.perf_counter() - started) * 1000
            if await ledger.pending():
                raise RuntimeError("outbox not drained")
            return _phase("RelayedLedger", concurrency, measured, drain_ms)
        finally:
            await ledger.close()
            await outbox.close()


async def run(count: int, postgres_url: str | None, sync: str = "NORMAL") -> list[Phase]:
    phases: list[Phase] = []
    with tempfile.TemporaryDirectory(prefix="llmgw-ledger-bench-") as tmp:
        workdir = Path(tmp)
        for concurrency in (1, 32):
            phases.append(await _sqlite_phase(workdir, concurrency, count, sync))
        if postgres_url:
            for concurrency in (1, 32):
                phases.append(
                    await _relayed_phase(workdir, postgres_url, concurrency, count, sync)
                )
    return phases


def _print(phases: list[Phase], postgres: bool) -> None:
    header = (
        f"{'ledger':<14} {'conc':>4} {'rows':>6} {'wall us/row':>12} {'CPU us/row':>11}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'drain ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for p in phases:
        drain = f"{p.drain_ms:9.1f}" if p.drain_ms is not None else f"{'-':>9}"
        print(
            f"{p.ledger:<14} {p.concurrency:>4} {p.rows:>6} {p.wall_us_per_row:>12.1f}"
            f" {p.cpu_us_per_row:>11.1f} {p.p50_ms:>7.2f} {p.p99_ms:>7.2f} {drain}"
        )
    if not postgres:
        print("(RelayedLedger skipped: pass --postgres-url or set LLMGW_TEST_POSTGRES_URL)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--postgres-url", default=os.environ.get("LLMGW_TEST_POSTGRES_URL"))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--synchronous",
        choices=("NORMAL", "FULL"),
        default="NORMAL",
        help="SQLite durability (the gateway default is NORMAL)",
    )
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency
        phases = asyncio.run(run(args.rows, args.postgres_url, args.synchronous))
    else:
        phases = uvloop.run(run(args.rows, args.postgres_url, args.synchronous))
    _print(phases, bool(args.postgres_url))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(p) for p in phases], indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
