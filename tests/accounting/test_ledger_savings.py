"""Cache savings in the ledger: the ``saved_nanos`` column and the rollups'
``saved_nanos``/``cache_hits`` sums, on SQLite (triggers) and PostgreSQL
(the writer), on a fresh ledger and on one created before the columns
existed (the migrations add them; rows written before count as 0 saved)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from databases import state_database
from llmgw.accounting.ledger import schema
from llmgw.accounting.ledger.port import CostQuery
from llmgw.accounting.ledger.sqlite import SqliteLedger
from llmgw.accounting.ledger.write import decode_payload, encode_payload, row_values
from llmgw.domain.ledger import AttemptStatus
from llmgw.storage.database import migrate
from test_ledger import make_row

DAY = 86_400


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("upgrade", [False, True])
async def test_savings_and_cache_hits_reach_the_reports(
    kind: str, upgrade: bool, tmp_path: Path
) -> None:
    if kind == "postgres" and not os.environ.get("LLMGW_TEST_POSTGRES_URL"):
        pytest.skip("LLMGW_TEST_POSTGRES_URL is not set")
    async with state_database(kind, tmp_path) as db:
        if upgrade:  # a ledger from before the savings migrations, with a row in it
            old = [m for m in schema.LEDGER_MIGRATIONS if m[0] != schema.SAVINGS_MIGRATION]
            if kind == "sqlite":
                old += [
                    m
                    for m in schema.SQLITE_MIGRATIONS
                    if m[0] != schema.SQLITE_SAVINGS_TRIGGER_MIGRATION
                ]
            for name, statements in old:
                await migrate(db, name, statements)
            columns = ", ".join(schema.ATTEMPT_COLUMNS[:-1])
            values = row_values(make_row("before"))[:-1]
            placeholders = ", ".join("?" for _ in values)
            await db.execute(
                f"INSERT INTO {schema.ATTEMPTS_TABLE} ({columns}) VALUES ({placeholders})",
                *values,
            )
        ledger = SqliteLedger(db)
        await ledger.start()
        try:
            await ledger.record(make_row("paid", cost_nanos=1000, charged_nanos=1000))
            for i in range(3):
                hit = make_row(
                    f"hit{i}",
                    status=AttemptStatus.CACHE_HIT,
                    cost_nanos=0,
                    charged_nanos=0,
                    saved_nanos=1000,
                )
                await ledger.record(hit)
            await ledger.record(
                make_row("shared", status=AttemptStatus.COALESCED, cost_nanos=0, saved_nanos=1000)
            )
            start = make_row("x").created_at // DAY * DAY
            for end in (start + 3600 * 13, start + DAY):  # hourly rollup, then daily
                report = await ledger.report(CostQuery(start, end))
                assert report.total.saved_nanos == 4000
                assert report.total.cache_hits == 3
                # The old row went straight into the table: only SQLite's
                # (old) trigger put it in the rollups; it counts 0 saved.
                before = 1000 if upgrade and kind == "sqlite" else 0
                assert report.total.cost_nanos == 1000 + before
            (row,) = await ledger.attempts("req-hit0")
            assert row.status is AttemptStatus.CACHE_HIT and row.saved_nanos == 1000
        finally:
            await ledger.close()


def test_an_outbox_payload_from_before_the_savings_column_still_decodes() -> None:
    row = make_row("old")
    legacy = encode_payload(row).replace(",0]", "]")  # the last value was saved_nanos
    assert decode_payload(legacy) == row
