"""``period_window`` reuses the last window only while ``now`` is inside it.

Seeded random instants over two years (DST changes, month and year ends, a
clock that jumps back and forth) in several zones: the reused answer always
equals a fresh calendar computation and contains ``now``.
"""

from __future__ import annotations

import random

import pytest
from llmgw.domain import budgets
from llmgw.domain.budgets import Period, period_window

START = 1_704_067_200.0  # 2024-01-01T00:00Z
TWO_YEARS = 2 * 366 * 86_400


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Paris", "America/Sao_Paulo", "Australia/Lord_Howe"]
)
@pytest.mark.parametrize("period", [Period.DAILY, Period.WEEKLY, Period.MONTHLY])
def test_reused_window_equals_a_fresh_one(zone: str, period: Period) -> None:
    rng = random.Random(f"{zone}/{period}")
    now = START
    for _ in range(3_000):
        # Mostly small steps forward (reuse), sometimes a jump either way.
        now += rng.choice((rng.uniform(0, 7_200), rng.uniform(-TWO_YEARS / 4, TWO_YEARS / 4)))
        now = min(max(now, START), START + TWO_YEARS)
        start, end = period_window(period, zone, now)
        assert (start, end) == budgets._calendar_window(period, zone, now)
        assert end is not None and start <= now < end


def test_total_has_no_window() -> None:
    assert period_window(Period.TOTAL, "UTC", START) == (0.0, None)
