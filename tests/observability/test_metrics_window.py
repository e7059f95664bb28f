"""GetMetrics' window over the Prometheus instruments (``observability.window``)."""

from __future__ import annotations

import pytest
from llmgw.observability.metrics import CallOutcome, Instruments
from llmgw.observability.window import MetricsWindow, quantile


class Wall:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_every_attempt_counts_at_any_rate() -> None:
    """The old deque kept 100 000 samples per window (~333/s over 5 min); the
    instruments are counters: 250 000 attempts in one window are 250 000."""
    instruments = Instruments()
    window = MetricsWindow(instruments, wall=Wall())
    for _ in range(250_000):
        instruments.attempt("b", "m", "")
    instruments.attempt("b", "m", "overloaded")
    _, rows = window.rows(300)
    assert rows[("b", "m")].requests == 250_001
    assert rows[("b", "m")].failures == {"overloaded": 1}


def test_window_subtracts_the_snapshot_before_its_start() -> None:
    wall = Wall()
    instruments = Instruments()
    window = MetricsWindow(instruments, wall=wall)
    instruments.attempt("b", "m", "")  # before the window
    wall.now += 10
    window.snapshot()  # t0 + 10
    wall.now += 5
    window.snapshot()  # t0 + 15
    instruments.attempt("b", "m", "")
    instruments.attempt("b", "m", "timeout")
    wall.now += 100  # t0 + 115; a 100 s window starts at t0 + 15
    start, rows = window.rows(100)
    assert start == wall.now - 100
    assert rows[("b", "m")].requests == 2
    assert rows[("b", "m")].failures == {"timeout": 1}
    start, rows = window.rows(105)  # starts at t0 + 10: the same two
    assert start == wall.now - 105 and rows[("b", "m")].requests == 2
    start, rows = window.rows(1000)  # older than the process: since start
    assert start == window.started and rows[("b", "m")].requests == 3


def test_snapshots_older_than_max_age_are_dropped() -> None:
    wall = Wall()
    window = MetricsWindow(Instruments(), max_age=60, wall=wall)
    for _ in range(100):
        window.snapshot()
        wall.now += 1
    assert len(window._snapshots) == 61


def test_latency_percentiles_from_buckets_and_tokens_per_second() -> None:
    """Latency and TTFT of answered calls from the GenAI histograms, by the
    answering backend and model; failed calls count as attempts only."""
    instruments = Instruments()
    window = MetricsWindow(instruments, wall=Wall())
    genai = ("chat", "openai", "alias", "m", "b")
    for seconds in [0.015] * 51 + [0.5] * 49:  # buckets 0.01-0.02 and 0.32-0.64
        instruments.call(genai, CallOutcome(seconds, tokens=(10, 3)))
    instruments.call(genai, CallOutcome(0.9, tokens=(10, 2), first_token=0.03))
    instruments.call(genai, CallOutcome(30.0, error_type="timeout"))  # not a latency
    instruments.charged("m", "b", "acme", 1234, "USD")
    _, rows = window.rows(300)
    row = rows[("b", "m")]
    p50 = quantile(0.5, row.latency)
    p95 = quantile(0.95, row.latency)
    assert p50 is not None and 0.01 <= p50 <= 0.02
    assert p95 is not None and 0.32 <= p95 <= 0.64
    ttft = quantile(0.5, row.first_token)
    assert ttft is not None and 0.02 <= ttft <= 0.04
    seconds = 51 * 0.015 + 49 * 0.5 + 0.9
    assert row.tokens_per_second == pytest.approx(302 / seconds)
    assert row.cost_nanos == 1234


def test_quantile_interpolates_like_promql() -> None:
    buckets = {0.1: 10.0, 0.2: 30.0, float("inf"): 40.0}
    assert quantile(0.25, buckets) == pytest.approx(0.1)  # rank 10: top of the first
    assert quantile(0.5, buckets) == pytest.approx(0.15)  # rank 20: half-way in (0.1, 0.2]
    assert quantile(0.99, buckets) == pytest.approx(0.2)  # in +Inf: the last finite bound
    assert quantile(0.5, {}) is None
    assert quantile(0.5, {0.1: 0.0, float("inf"): 0.0}) is None


def test_snapshots_share_the_bucket_bounds() -> None:
    """Each kept snapshot keys its buckets on the same float objects (720
    snapshots per (backend, model) by default: no fresh floats per bound)."""
    instruments = Instruments()
    genai = ("chat", "openai", "alias", "m", "b")
    instruments.call(genai, CallOutcome(0.015, tokens=(10, 3), first_token=0.01))
    window = MetricsWindow(instruments, wall=Wall())
    first, second = window.totals()[("b", "m")], window.totals()[("b", "m")]
    assert first.latency and first.first_token
    for a, b in ((first.latency, second.latency), (first.first_token, second.first_token)):
        assert list(a) == list(b)
        assert all(x is y for x, y in zip(a, b, strict=True))
