"""Circuit breakers per (backend, model): stop sending to what is failing.

=========  ==============================================  =======================
state      event                                           next
=========  ==============================================  =======================
closed     N consecutive counted failures, or the          open
           failure ratio over the window
open       cool-down elapsed (never while forced open)     half-open
half-open  a probe succeeds, ``success_threshold`` in a    closed
           row (fewer: the next probe may pass)
half-open  a probe fails (counted failure)                 open, longer cool-down
any        ``force_open`` (operator: take it out)          open until ``reset``
any        ``reset`` (operator)                            closed, counters cleared
=========  ==============================================  =======================

A call refused while open (or half-open with every probe slot taken) counts as
a rejection (``rejections`` in the snapshot: admin ``GetHealth``/``GetMetrics``).

Only failures that say something about the backend count (transient, timeout,
overloaded, protocol, interrupted streams). Caller faults, context-length
errors, rate limits, quota and credential failures never trip a breaker: a
breaker counting a caller's bad requests would take a healthy backend away
from everyone (a bug users report in other gateways).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from llmgw.domain.clock import Clock
from llmgw.domain.errors import FailureClass
from llmgw.domain.policies import BreakerPolicy

COUNTED_FAILURES = frozenset(
    {
        FailureClass.TRANSIENT,
        FailureClass.TIMEOUT,
        FailureClass.OVERLOADED,
        FailureClass.PROTOCOL,
        FailureClass.STREAM_INTERRUPTED,
    }
)


# The failure-ratio window is counted in this many slots (calls, failed) of
# ``window / WINDOW_SLOTS`` seconds each, whatever the request rate: a deque of
# one (time, failed) pair per call held ~80 bytes per call for ``window``
# seconds (about 5 MiB per busy breaker at 1,000 calls/s over 60 s), the
# resident-memory climb seen under load. A slot leaves the window once all of
# it is older than ``window``, so a call counts for ``window`` to
# ``window * (1 + 1 / WINDOW_SLOTS)`` seconds.
WINDOW_SLOTS = 60


class _Slot:
    """Calls (and failed ones) recorded from ``start`` for one slot width."""

    __slots__ = ("calls", "failed", "start")

    def __init__(self, start: float) -> None:
        self.start = start
        self.calls = 0
        self.failed = 0


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """What ``GetHealth``/``GetMetrics`` show for one breaker."""

    state: BreakerState
    consecutive_failures: int
    trips: int
    transitions: int
    retry_after: float  # seconds until a probe may pass (open state only)
    rejections: int = 0  # calls refused without reaching the backend, since start
    forced: bool = False  # held open by an operator until reset


class CircuitBreaker:
    """One breaker. Single event loop: no locks needed."""

    def __init__(self, policy: BreakerPolicy, clock: Clock) -> None:
        self._policy = policy
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._consecutive = 0
        self._slots: deque[_Slot] = deque()  # the window, oldest first
        self._window_calls = 0  # sums over ``_slots``
        self._window_failed = 0
        self._trips = 0  # consecutive trips; resets on close
        self._total_trips = 0
        self._transitions = 0
        self._open_until = 0.0
        self._probes = 0
        self._successes = 0  # successful probes in a row (half-open)
        self._rejections = 0
        self._forced = False

    @property
    def state(self) -> BreakerState:
        if (
            self._state is BreakerState.OPEN
            and not self._forced
            and self._clock.now() >= self._open_until
        ):
            self._move(BreakerState.HALF_OPEN)
            self._probes = 0
            self._successes = 0
        return self._state

    def allow(self) -> bool:
        """May a call go through now? (Counts a half-open probe when it may.)"""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and self._probes < self._policy.half_open_probes:
            self._probes += 1
            return True
        self._rejections += 1
        return False

    def retry_after(self) -> float:
        """Seconds until the breaker lets a probe through (0 when it would now;
        0 too when forced open: only a reset ends that)."""
        if self._state is not BreakerState.OPEN or self._forced:
            return 0.0
        return max(0.0, self._open_until - self._clock.now())

    def record_success(self) -> None:
        self._consecutive = 0
        self._remember(False)
        if self._state is BreakerState.HALF_OPEN:
            self._successes += 1
            if self._successes < self._policy.success_threshold:
                self._probes = max(0, self._probes - 1)  # the next probe may pass
                return
        if self._state is not BreakerState.CLOSED and not self._forced:
            self._trips = 0
            self._move(BreakerState.CLOSED)

    def force_open(self) -> None:
        """Hold the breaker open until ``reset`` (an operator takes the target out)."""
        self._forced = True
        self._move(BreakerState.OPEN)

    def reset(self) -> None:
        """Closed, with failures, trips in a row and probes cleared (totals kept)."""
        self._forced = False
        self._consecutive = self._trips = self._probes = self._successes = 0
        self._clear_window()
        self._move(BreakerState.CLOSED)

    def record_failure(self, failure: FailureClass) -> None:
        if failure not in COUNTED_FAILURES:
            if self._state is BreakerState.HALF_OPEN:
                self._probes = max(0, self._probes - 1)  # the probe proved nothing
            return
        self._consecutive += 1
        self._remember(True)
        if self._forced:
            return  # stays open until reset
        if self._state is BreakerState.HALF_OPEN or self._should_trip():
            self._trip()

    def release_probe(self) -> None:
        """A half-open probe ended without a verdict (e.g. cancelled)."""
        if self._state is BreakerState.HALF_OPEN:
            self._probes = max(0, self._probes - 1)

    def snapshot(self) -> BreakerSnapshot:
        return BreakerSnapshot(
            self.state,
            self._consecutive,
            self._total_trips,
            self._transitions,
            self.retry_after(),
            self._rejections,
            self._forced,
        )

    def _should_trip(self) -> bool:
        policy = self._policy
        if self._consecutive >= policy.failure_threshold:
            return True
        if self._window_calls < policy.min_calls:
            return False
        return self._window_failed / self._window_calls >= policy.failure_ratio

    def _trip(self) -> None:
        policy = self._policy
        self._trips += 1
        self._total_trips += 1
        cooldown = min(policy.max_cooldown, policy.cooldown * 2 ** (self._trips - 1))
        cooldown *= 0.9 + 0.2 * self._clock.jitter()
        self._open_until = self._clock.now() + cooldown
        self._clear_window()
        self._consecutive = 0
        self._move(BreakerState.OPEN)

    def _remember(self, failed: bool) -> None:
        now = self._clock.now()
        width = self._policy.window / WINDOW_SLOTS
        slots = self._slots
        if slots and now < slots[-1].start + width:
            slot = slots[-1]
        else:
            slot = _Slot(now)
            slots.append(slot)
        slot.calls += 1
        self._window_calls += 1
        if failed:
            slot.failed += 1
            self._window_failed += 1
        horizon = now - self._policy.window - width  # slots wholly older than the window
        while slots[0].start < horizon:
            old = slots.popleft()
            self._window_calls -= old.calls
            self._window_failed -= old.failed

    def _clear_window(self) -> None:
        self._slots.clear()
        self._window_calls = self._window_failed = 0

    def _move(self, state: BreakerState) -> None:
        if state is not self._state:
            self._state = state
            self._transitions += 1


class BreakerBoard:
    """All breakers, keyed (backend, model id), created on first use."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._breakers: dict[tuple[str, str], CircuitBreaker] = {}

    def get(self, backend: str, model: str, policy: BreakerPolicy) -> CircuitBreaker:
        key = (backend, model)
        breaker = self._breakers.get(key)
        if breaker is None:
            breaker = self._breakers[key] = CircuitBreaker(policy, self._clock)
        return breaker

    def is_open(self, backend: str, model: str) -> bool:
        """True while the breaker refuses calls (no breaker yet: closed)."""
        breaker = self._breakers.get((backend, model))
        return breaker is not None and breaker.state is BreakerState.OPEN

    def snapshots(self) -> dict[tuple[str, str], BreakerSnapshot]:
        return {key: b.snapshot() for key, b in self._breakers.items()}


__all__ = ["COUNTED_FAILURES", "BreakerBoard", "BreakerSnapshot", "BreakerState", "CircuitBreaker"]
