"""Budget plans: a scope set's counters are planned once per period and made
again when a period ends, the clock is set back, or budgets are re-read."""

from __future__ import annotations

from llmgw.accounting.budget_counters import CounterKey
from llmgw.domain.budgets import Budget, BudgetScope, Enforcement, Period, ScopeKind
from llmgw.pipeline import budget_plans
from llmgw.pipeline.budget_plans import BudgetPlans

TENANT = BudgetScope(ScopeKind.TENANT, "t")
GLOBAL = BudgetScope(ScopeKind.GLOBAL)
DAILY = Budget("daily", TENANT, 100, period=Period.DAILY)
TOTAL = Budget("total", GLOBAL, 50, period=Period.TOTAL, enforcement=Enforcement.SOFT)
DAY = 86_400.0
NOON = 1_700_000_000.0 // DAY * DAY + DAY / 2  # midday UTC


def test_a_plan_is_reused_inside_its_period_and_remade_after_it() -> None:
    plans = BudgetPlans()
    plans.load({TENANT: (DAILY,), GLOBAL: (TOTAL,)})
    first = plans.plan((GLOBAL, TENANT), NOON)
    assert first is not None
    assert [e.key for e in first.entries] == [
        CounterKey("total", 0),
        CounterKey("daily", int(NOON - DAY / 2)),
    ]
    assert [item.limit_nanos for item in first.items] == [None, 100]  # soft counts only
    assert plans.plan((GLOBAL, TENANT), NOON + 3600) is first
    tomorrow = plans.plan((GLOBAL, TENANT), NOON + DAY)
    assert tomorrow is not None and tomorrow is not first
    assert tomorrow.entries[1].key == CounterKey("daily", int(NOON + DAY / 2))
    yesterday = plans.plan((GLOBAL, TENANT), NOON)  # a wall clock set back
    assert yesterday is not None and yesterday.entries[1].key == first.entries[1].key


def test_no_budget_is_none_and_a_reload_replans() -> None:
    plans = BudgetPlans()
    plans.load({GLOBAL: (TOTAL,)})
    assert plans.plan((TENANT,), NOON) is None
    plans.load({TENANT: (DAILY,)})
    plan = plans.plan((TENANT,), NOON)
    assert plan is not None and [e.budget for e in plan.entries] == [DAILY]


def test_the_cache_is_bounded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(budget_plans, "MAX_PLANS", 4)
    plans = BudgetPlans()
    plans.load({TENANT: (DAILY,)})
    for n in range(10):
        plans.plan((TENANT, BudgetScope(ScopeKind.USER, f"u{n}")), NOON)
        assert len(plans._plans) <= 4
