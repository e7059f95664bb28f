"""Budget forecast: where the current run rate takes a budget's period.

Pure arithmetic on integers (nanos, seconds as exact decimals):

* run rate = spent / (now - period start);
* projected spend at period end = spent + rate x (period end - now), i.e.
  ``spent x (end - start) / (now - start)``, rounded half-even to a nanos;
* time the limit is reached = period start + limit / rate, reported only when
  it falls inside the period (before the reset) and the budget is not yet
  exhausted; with no spend yet there is no rate and no forecast.

A lifetime budget has no period end: its projection is its spend, and its
exhaustion time follows the same rate from its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal


@dataclass(frozen=True, slots=True)
class Forecast:
    projected_nanos: int
    exhaustion_time: float | None  # epoch seconds; None: not within the period


def forecast(
    spent_nanos: int, limit_nanos: int, period_start: float, period_end: float | None, now: float
) -> Forecast:
    """The projection for one budget (see the module doc)."""
    elapsed = Decimal(repr(now)) - Decimal(repr(period_start))
    if spent_nanos <= 0 or elapsed <= 0:
        return Forecast(max(spent_nanos, 0), None)
    rate = Decimal(spent_nanos) / elapsed  # nanos per second
    projected = spent_nanos
    if period_end is not None and period_end > now:
        remaining = Decimal(repr(period_end)) - Decimal(repr(now))
        projected += int((rate * remaining).quantize(Decimal(1), ROUND_HALF_EVEN))
    exhaustion: float | None = None
    if spent_nanos < limit_nanos:
        at = Decimal(repr(period_start)) + Decimal(limit_nanos) / rate
        if period_end is None or at <= Decimal(repr(period_end)):
            exhaustion = float(at)
    return Forecast(projected, exhaustion)
