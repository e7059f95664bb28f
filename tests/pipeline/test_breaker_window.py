"""The breaker's failure-ratio window: counted in slots, bounded at any rate."""

from __future__ import annotations

import gc
import tracemalloc

from llmgw.domain.errors import FailureClass
from llmgw.domain.policies import BreakerPolicy
from llmgw.pipeline.breaker import WINDOW_SLOTS, BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def jitter(self) -> float:
        return 0.5


def _breaker(clock: Clock) -> CircuitBreaker:
    policy = BreakerPolicy(failure_threshold=100, failure_ratio=0.5, min_calls=10, window=60)
    return CircuitBreaker(policy, clock)  # type: ignore[arg-type]


def test_window_memory_does_not_grow_with_the_call_rate() -> None:
    clock = Clock()
    breaker = _breaker(clock)
    breaker.record_success()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(120_000):  # 1,000 calls/s for twice the 60 s window
            clock.t += 0.001
            breaker.record_success()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # One (time, failed) pair per call would hold ~60,000 pairs (~5 MiB) here.
    assert held < 64 * 1024
    assert breaker.state is BreakerState.CLOSED


def test_calls_count_for_the_whole_window_then_leave_it() -> None:
    clock = Clock()
    breaker = _breaker(clock)
    for _ in range(5):
        breaker.record_success()
    clock.t += 59.0  # still inside the 60 s window
    for _ in range(4):
        breaker.record_failure(FailureClass.TRANSIENT)
    assert breaker.state is BreakerState.CLOSED  # 9 calls < min_calls
    breaker.record_failure(FailureClass.TRANSIENT)
    assert breaker.state is BreakerState.OPEN  # 5 of 10 failed


def test_a_slot_leaves_once_wholly_older_than_the_window() -> None:
    clock = Clock()
    breaker = _breaker(clock)
    for _ in range(9):
        breaker.record_failure(FailureClass.TRANSIENT)
    clock.t += 60.0 + 60.0 / WINDOW_SLOTS + 0.001
    breaker.record_failure(FailureClass.TRANSIENT)
    assert breaker.state is BreakerState.CLOSED  # the 9 left: 1 call in the window
