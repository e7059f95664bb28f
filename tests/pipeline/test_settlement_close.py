"""``Tab.close`` bills in place when nothing waits, and in a shielded task
from the first wait on: a cancelled caller never loses the bill."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llmgw.domain.ledger import AttemptStatus, LedgerRow
from llmgw.domain.models import ModelInfo, Target
from llmgw.domain.requests import Attribution
from llmgw.pipeline import settlement
from llmgw.pipeline.settlement import Accountant, run_until_waiting

TARGET = Target(ModelInfo("m", "b", "m"), "m")


class _Prices:
    def price(self, model: ModelInfo) -> None:
        return None

    def cost(self, model: ModelInfo, usage: Any, *, estimated: bool = False) -> Any:
        from llmgw.domain.money import Cost

        return Cost(estimated=True, priced=False)


class _Ledger:
    """Records rows; with ``gate`` set, each record waits for it first."""

    def __init__(self, gate: asyncio.Event | None = None) -> None:
        self.gate = gate
        self.rows: list[LedgerRow] = []

    async def record(self, row: LedgerRow) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.rows.append(row)


class _Budgets:
    active = True

    def __init__(self) -> None:
        self.settled: list[int] = []

    async def reserve(self, scopes: Any, amount_nanos: int) -> object:
        return object()

    async def settle(self, reservation: Any, actual_nanos: int) -> None:
        await asyncio.sleep(0)  # a bare yield to the loop: resumed without a future
        self.settled.append(actual_nanos)

    def pressure(self, scopes: Any) -> float:
        return 0.0


async def _tab(ledger: _Ledger, budgets: _Budgets | None = None) -> settlement.Tab:
    accountant = Accountant(_Prices(), ledger, budgets)  # type: ignore[arg-type]
    tab = await accountant.open("r1", Attribution(tenant="t"), 5)
    tab.add(TARGET, AttemptStatus.OK, accountant.clock.now())
    tab.add(TARGET, AttemptStatus.ERROR, accountant.clock.now())
    return tab


async def test_a_bill_that_never_waits_is_done_in_place_without_a_task() -> None:
    ledger = _Ledger()
    tab = await _tab(ledger)
    assert run_until_waiting(tab.close()) is None  # finished without yielding to the loop
    assert len(ledger.rows) == 2
    await tab.close()  # once
    assert len(ledger.rows) == 2


async def test_a_caller_cancelled_while_the_bill_waits_does_not_lose_it() -> None:
    gate = asyncio.Event()
    ledger, budgets = _Ledger(gate), _Budgets()
    tab = await _tab(ledger, budgets)
    closing = asyncio.create_task(tab.close())
    await asyncio.sleep(0)  # close ran up to the ledger's wait
    assert tab.closed and ledger.rows == []
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    gate.set()
    for _ in range(10):  # the shielded rest finishes on its own
        if budgets.settled:
            break
        await asyncio.sleep(0)
    assert len(ledger.rows) == 2
    assert budgets.settled == [5]  # the unpriced success is charged its reservation


async def test_run_until_waiting_passes_on_results_and_errors() -> None:
    async def fails_after_a_wait() -> None:
        await asyncio.sleep(0)
        raise ValueError("after the wait")

    async def fails_at_once() -> None:
        raise ValueError("at once")

    rest = run_until_waiting(fails_after_a_wait())
    assert rest is not None
    with pytest.raises(ValueError, match="after the wait"):
        await rest
    with pytest.raises(ValueError, match="at once"):
        run_until_waiting(fails_at_once())
    done: list[int] = []

    async def waits_on_a_future(future: asyncio.Future[int]) -> None:
        done.append(await future)

    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    rest = run_until_waiting(waits_on_a_future(future))
    assert rest is not None and done == []
    future.set_result(7)
    await rest
    assert done == [7]
