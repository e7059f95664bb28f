"""``BudgetStatus.projected_spend`` / ``projected_exhaustion_time`` from the
pure forecast (``accounting.forecast``), for GetCosts."""

from __future__ import annotations

from llmgateway.v1 import admin_service_pb2

from llmgw.accounting.forecast import forecast
from llmgw.api import convert
from llmgw.pipeline.budget import BudgetStatus


def fill_forecast(target: admin_service_pb2.BudgetStatus, status: BudgetStatus, now: float) -> None:
    """Projected period-end spend and the time 100 % would be reached."""
    ahead = forecast(
        status.spent_nanos, status.limit_nanos, status.period_start, status.reset_time, now
    )
    target.projected_spend.CopyFrom(convert.money(ahead.projected_nanos, status.budget.currency))
    if ahead.exhaustion_time is not None:
        target.projected_exhaustion_time.FromNanoseconds(int(ahead.exhaustion_time * 1e9))
