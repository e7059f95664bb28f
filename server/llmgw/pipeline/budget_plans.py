"""Which budget counters a request's scopes reserve on, planned once per period.

A request counts toward every budget of its scopes (``domain.budgets.scopes_of``);
each budget has one counter per calendar period (``CounterKey(name, period
start)``). ``BudgetPlans.plan`` computes that list, with what reserving needs
(the ``ReserveItem`` of each counter, an index by key), once per scope set
and keeps it until the earliest of its periods ends (or starts later than
``now``: a wall clock set back) or the budget definitions are re-read
(``load``). Calendar periods partition time, so a cached plan is exactly what
planning again would give. Bounded: cleared when ``MAX_PLANS`` scope sets are
cached (one per caller shape: tenant, project, end user, key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from llmgw.accounting.budget_counters import CounterKey, ReserveItem
from llmgw.domain.budgets import Budget, BudgetScope, Enforcement

MAX_PLANS = 1024


@dataclass(frozen=True, slots=True)
class CounterEntry:
    """One budget's counter in the period a request falls in."""

    budget: Budget
    key: CounterKey
    reset: float | None


@dataclass(frozen=True, slots=True)
class BudgetPlan:
    """The counters of one scope set in the current periods (maybe none)."""

    entries: tuple[CounterEntry, ...]
    items: tuple[ReserveItem, ...]  # limit None = count, never refuse (not HARD)
    by_key: Mapping[CounterKey, CounterEntry]
    valid_from: float  # the periods' latest start
    valid_until: float  # their earliest reset


def entries_of(
    by_scope: Mapping[BudgetScope, Sequence[Budget]], scopes: Iterable[BudgetScope], now: float
) -> tuple[CounterEntry, ...]:
    """The counters of ``scopes``' budgets in the periods containing ``now``."""
    entries: list[CounterEntry] = []
    for scope in scopes:
        for budget in by_scope.get(scope, ()):
            start, reset = budget.window(now)
            entries.append(CounterEntry(budget, CounterKey(budget.name, int(start)), reset))
    return tuple(entries)


class BudgetPlans:
    """Plans per scope set (module docstring)."""

    def __init__(self) -> None:
        self._by_scope: Mapping[BudgetScope, Sequence[Budget]] = {}
        self._plans: dict[tuple[BudgetScope, ...], BudgetPlan] = {}
        # id(scopes) -> (scopes, plan): the same tuple object again (the
        # accountant keeps one per caller) finds its plan without hashing its
        # scopes; the entry holds the tuple, so no other object has that id.
        self._by_identity: dict[int, tuple[Sequence[BudgetScope], BudgetPlan]] = {}

    def load(self, by_scope: Mapping[BudgetScope, Sequence[Budget]]) -> None:
        """New budget definitions: every plan is made again."""
        self._by_scope = by_scope
        self._plans = {}
        self._by_identity = {}

    def plan(self, scopes: Sequence[BudgetScope], now: float) -> BudgetPlan | None:
        """The plan of ``scopes`` at ``now``; ``None`` when no budget applies."""
        known = self._by_identity.get(id(scopes))
        if known is not None and known[0] is scopes:
            hit = known[1]
            if hit.valid_from <= now < hit.valid_until:
                return hit if hit.entries else None
        key = tuple(scopes)
        plan = self._plans.get(key)
        if plan is None or not plan.valid_from <= now < plan.valid_until:
            plan = self._make(key, now)
            if len(self._plans) >= MAX_PLANS:
                self._plans.clear()
            self._plans[key] = plan
        if len(self._by_identity) >= MAX_PLANS:
            self._by_identity.clear()
        self._by_identity[id(scopes)] = (scopes, plan)
        return plan if plan.entries else None

    def _make(self, scopes: Sequence[BudgetScope], now: float) -> BudgetPlan:
        entries = entries_of(self._by_scope, scopes, now)
        hard = Enforcement.HARD
        items = tuple(
            ReserveItem(e.key, e.budget.limit_nanos if e.budget.enforcement is hard else None)
            for e in entries
        )
        resets = [e.reset for e in entries if e.reset is not None]
        return BudgetPlan(
            entries,
            items,
            {e.key: e for e in entries},
            max((float(e.key.period_start) for e in entries), default=float("-inf")),
            min(resets, default=float("inf")),
        )


__all__ = ["MAX_PLANS", "BudgetPlan", "BudgetPlans", "CounterEntry", "entries_of"]
