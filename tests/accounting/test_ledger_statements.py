"""Ledger writes use few distinct SQL texts, so drivers cache few statements."""

from __future__ import annotations

from typing import Any

from llmgw.accounting.ledger.schema import ATTEMPTS_TABLE
from llmgw.accounting.ledger.sqlite import SqliteLedger
from llmgw.accounting.ledger.write import (
    ROWS_PER_STATEMENT,
    insert_rows_with_trigger,
    statement_chunks,
)
from llmgw.storage.database import SqliteDatabase
from test_ledger import make_row

ALLOWED = {ROWS_PER_STATEMENT} | {1 << k for k in range(ROWS_PER_STATEMENT.bit_length())}


def test_chunks_keep_order_and_use_few_lengths() -> None:
    for n in range(1001):
        items = list(range(n))
        chunks = [list(c) for c in statement_chunks(items)]
        assert [x for c in chunks for x in c] == items
        assert {len(c) for c in chunks} <= {s for s in ALLOWED if s <= ROWS_PER_STATEMENT}
        assert len(chunks) <= n // ROWS_PER_STATEMENT + 6


class _Recorder:
    def __init__(self) -> None:
        self.texts: set[str] = set()

    async def execute(self, sql: str, *args: Any) -> None:
        self.texts.add(sql)


async def test_batches_of_every_length_prepare_at_most_eight_statements() -> None:
    recorder = _Recorder()
    rows = [make_row(f"a{i}") for i in range(250)]
    for n in range(1, 251):
        await insert_rows_with_trigger(recorder, rows[:n])
    # One text per chunk length: n % 100 chunks made up to 100 of them.
    assert len(recorder.texts) <= 8


async def test_odd_batches_are_all_stored_once(tmp_path: Any) -> None:
    db = await SqliteDatabase.open(str(tmp_path / "ledger.sqlite3"))
    try:
        ledger = SqliteLedger(db, synchronous=None)
        await ledger.start()
        rows = [make_row(f"b{i}") for i in range(237)]
        await ledger.record_batch(rows)
        await ledger.record_batch(rows[5:42])  # duplicates: nothing new
        count = await db.fetch(f"SELECT COUNT(*) FROM {ATTEMPTS_TABLE}")
        assert count[0][0] == 237
    finally:
        await db.close()
