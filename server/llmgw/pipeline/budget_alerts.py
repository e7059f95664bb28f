"""Budget threshold alerts: which crossings a settlement fires, and firing them.

After a settlement the guard asks ``due`` (no I/O) which thresholds the new
spend crossed that this process has not fired yet; usually none, and the
settlement is over. ``fire`` records each with ``BudgetStore.fire`` (an edge
trigger shared by replicas: exactly one call fires a threshold once per
period); only that call logs ``budget_alert`` and schedules ``notify`` in the
background. Fired thresholds are remembered per process, so settlements below
the next threshold do no database I/O. Split from ``pipeline.budget`` (the
guard) so that module stays about reserving and settling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence

from llmgw.accounting.budget_counters import CounterKey
from llmgw.observability.logging import get_logger
from llmgw.pipeline.budget_plans import CounterEntry
from llmgw.pipeline.budget_types import BudgetAlert, Notify, rfc3339, severity_of
from llmgw.storage.budgets import BudgetStore

_log = get_logger("llmgw.budget")


class ThresholdAlerts:
    """Threshold crossings of one guard (see the module docstring)."""

    def __init__(
        self,
        store: BudgetStore,
        notify: Notify | None,
        track: Callable[[asyncio.Task[None]], None],
    ) -> None:
        self._store = store
        self._notify = notify
        self._track = track  # the guard's background tasks (awaited at close)
        self._fired: set[tuple[str, int, int]] = set()

    def due(
        self, entries: Sequence[CounterEntry], spent: Mapping[CounterKey, int]
    ) -> list[tuple[CounterEntry, int, int]]:
        """(entry, threshold, spent) of every threshold crossed and not yet
        fired by this process (no I/O: most settlements end here)."""
        due: list[tuple[CounterEntry, int, int]] = []
        for entry in entries:
            now_spent = spent.get(entry.key)
            budget = entry.budget
            if now_spent is None or budget.limit_nanos <= 0:
                continue
            for threshold in sorted(budget.thresholds):
                if now_spent * 100 < threshold * budget.limit_nanos:
                    break
                if (budget.name, entry.key.period_start, threshold) not in self._fired:
                    due.append((entry, threshold, now_spent))
        return due

    async def fire(self, entries: Sequence[CounterEntry], spent: Mapping[CounterKey, int]) -> None:
        for entry, threshold, now_spent in self.due(entries, spent):
            budget = entry.budget
            marker = (budget.name, entry.key.period_start, threshold)
            if marker in self._fired:  # fired meanwhile by another settlement
                continue
            fired = await self._store.fire(
                budget.name, entry.key.period_start, threshold, now_spent
            )
            self._fired.add(marker)
            if fired:
                self._announce(entry, threshold, now_spent)

    def _announce(self, entry: CounterEntry, threshold: int, spent: int) -> None:
        budget = entry.budget
        alert = BudgetAlert(
            budget=budget.name,
            scope=budget.scope.label,
            threshold=threshold,
            severity=severity_of(threshold),
            spent_nanos=spent,
            limit_nanos=budget.limit_nanos,
            currency=budget.currency,
            period_start=float(entry.key.period_start),
        )
        _log.warning(
            "budget_alert",
            budget=alert.budget,
            scope=alert.scope,
            threshold=threshold,
            severity=alert.severity,
            spent_nanos=spent,
            limit_nanos=budget.limit_nanos,
            currency=budget.currency,
            period_start=rfc3339(alert.period_start),
        )
        if self._notify is not None:
            self._track(asyncio.create_task(self._deliver(alert)))

    async def _deliver(self, alert: BudgetAlert) -> None:
        assert self._notify is not None
        try:
            await self._notify(alert)
        except Exception as error:  # the webhook retried already; the log has the alert
            _log.warning("budget_alert_notify_failed", budget=alert.budget, error=repr(error))


__all__ = ["ThresholdAlerts"]
