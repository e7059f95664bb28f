"""Self-hosted fixed costs (vLLM uptime x hourly rate) in budget spend.

A co-located vLLM sidecar costs its hourly rate whether it serves or idles;
``GetCosts`` shows it as a fixed-cost line. The budgets that cover it (the
``global`` budget by default; ``budgets.fixed_cost_budgets`` in config) count
it as spend: toward their percentage, their alerts, a soft budget's routing
pressure and a hard budget's limit.

``FixedCostCounters`` does that by wrapping the budget counters, so the guard
needs no second notion of spend:

=======================  =====================================================
counter call             for a covered budget's key (budget, period start)
=======================  =====================================================
``read``                 spent + the fixed cost from period start to now
                         (measured now: what ListBudgets/GetCosts show)
``reserve``              a hard limit lowered by the fixed cost so far; the
                         values returned include it
``settle``               spent + the fixed cost so far (alerts fire on it)
``seed``                 unchanged: counters hold request spend only, so a
                         reseed from the ledger never counts the hours twice
=======================  =====================================================

"So far" on the request path is a measurement at most ``max_age`` seconds
old, refreshed in the background (never a database query inline once warm).
The amount per backend is rounded to nanos exactly as the ``GetCosts`` line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

from llmgw.accounting.budget_counters import (
    BudgetCounters,
    CounterKey,
    CounterValue,
    ReserveItem,
    ReserveOutcome,
)
from llmgw.accounting.uptime import UptimeLog
from llmgw.domain.money import decimal_to_nanos

_HOUR = Decimal(3600)


class FixedCosts:
    """Uptime x hourly rate of the self-hosted backends, in nanos."""

    def __init__(self, uptime: UptimeLog, hourly_rates: Mapping[str, Decimal]) -> None:
        self._uptime = uptime
        self._rates = dict(hourly_rates)

    async def nanos(self, start: float, end: float) -> int:
        """Their cost within ``[start, end)`` (this process's uptime counted to now)."""
        if not self._rates or end <= start:
            return 0
        await self._uptime.touch()
        total = 0
        for backend, rate in self._rates.items():
            seconds = await self._uptime.uptime(backend, start, end)
            total += decimal_to_nanos(Decimal(seconds) / _HOUR * rate)
        return total


class FixedCostCounters:
    """``BudgetCounters`` with the fixed costs in covered budgets' spend (table above)."""

    def __init__(
        self,
        inner: BudgetCounters,
        costs: FixedCosts,
        covered: frozenset[str],
        *,
        now: Callable[[], float] = time.time,
        max_age: float = 5.0,
    ) -> None:
        self._inner = inner
        self._costs = costs
        self._covered = covered
        self._now = now
        self._max_age = max_age
        self._measured: dict[CounterKey, tuple[float, int]] = {}  # key -> (when, nanos)
        self._refreshing: dict[CounterKey, asyncio.Task[int]] = {}

    async def fixed(self, key: CounterKey, fresh: bool = False) -> int:
        """The fixed cost of ``key``'s budget since its period start (0 if not covered)."""
        if key.budget not in self._covered:
            return 0
        known = self._measured.get(key)
        if fresh or known is None:
            return await self._measure(key)
        if self._now() - known[0] > self._max_age and key not in self._refreshing:
            task = asyncio.create_task(self._measure(key))
            self._refreshing[key] = task
            task.add_done_callback(lambda done: self._refreshed(key, done))
        return known[1]

    def _refreshed(self, key: CounterKey, done: asyncio.Task[int]) -> None:
        """A background measurement ended; a failed one keeps the last figure
        (the next call past ``max_age`` tries again)."""
        self._refreshing.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved: a database hiccup is not an unhandled error

    async def _measure(self, key: CounterKey) -> int:
        now = self._now()
        nanos = await self._costs.nanos(float(key.period_start), now)
        for old in [k for k in self._measured if k.budget == key.budget and k != key]:
            del self._measured[old]  # a past period's figure is not needed again
        self._measured[key] = (now, nanos)
        return nanos

    async def reserve(self, items: Sequence[ReserveItem], amount: int) -> ReserveOutcome:
        fixed = {item.key: await self.fixed(item.key) for item in items}
        lowered = [
            ReserveItem(k, None if limit is None else max(0, limit - fixed[k]))
            for k, limit in items
        ]
        outcome = await self._inner.reserve(lowered, amount)
        values = {
            k: CounterValue(v.spent + fixed.get(k, 0), v.reserved)
            for k, v in outcome.values.items()
        }
        return ReserveOutcome(outcome.cold, outcome.refused, values)

    async def settle(
        self, keys: Sequence[CounterKey], reserved_amount: int, actual_amount: int
    ) -> dict[CounterKey, int]:
        spent = await self._inner.settle(keys, reserved_amount, actual_amount)
        return {k: v + await self.fixed(k) for k, v in spent.items()}

    async def seed(self, key: CounterKey, spent_nanos: int, ttl_seconds: float) -> None:
        await self._inner.seed(key, spent_nanos, ttl_seconds)

    async def read(self, keys: Sequence[CounterKey]) -> dict[CounterKey, CounterValue]:
        values = await self._inner.read(keys)
        return {
            k: CounterValue(v.spent + await self.fixed(k, fresh=True), v.reserved)
            for k, v in values.items()
        }


__all__ = ["FixedCostCounters", "FixedCosts"]
