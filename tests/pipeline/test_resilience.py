"""The attempt loop and circuit breakers, with an injected clock (no real sleeps)."""

from __future__ import annotations

import pytest
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import AllTargetsFailedError, FailureClass, UpstreamError
from llmgw.domain.models import ModelInfo, Target
from llmgw.domain.policies import BreakerPolicy, RetryPolicy
from llmgw.pipeline.breaker import BreakerState, CircuitBreaker
from llmgw.pipeline.resilience import AttemptLoop, BackendPolicies, RetryBudget


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def jitter(self) -> float:
        return 0.5  # the middle of the jitter range: delays are exact


def _target(backend: str, model: str = "m") -> Target:
    return Target(ModelInfo(id=model, backend=backend, upstream_id=model), alias="default")


A, B, C = _target("a"), _target("b"), _target("c")


class Script:
    """attempt(target) answers from a per-backend list of failures, then 'ok'."""

    def __init__(self, **plans: list[UpstreamError | str]) -> None:
        self.plans = {k: list(v) for k, v in plans.items()}
        self.calls: list[str] = []

    async def __call__(self, target: Target) -> str:
        self.calls.append(target.backend)
        plan = self.plans.get(target.backend, [])
        step = plan.pop(0) if plan else "ok"
        if isinstance(step, UpstreamError):
            raise step
        return f"{step}@{target.backend}"


def fail(backend: str, failure: FailureClass, retry_after: float | None = None) -> UpstreamError:
    return UpstreamError(backend, failure, retry_after=retry_after)


def _loop(clock: FakeClock, retry: RetryPolicy | None = None, **breaker: object) -> AttemptLoop:
    policies = BackendPolicies(retry or RetryPolicy(), BreakerPolicy(**breaker))  # type: ignore[arg-type]
    return AttemptLoop({b: policies for b in "abc"}, clock)


async def test_transient_failure_retries_with_exponential_backoff() -> None:
    clock = FakeClock()
    script = Script(a=[fail("a", FailureClass.TRANSIENT), fail("a", FailureClass.OVERLOADED)])
    outcome = await _loop(clock).run("m", [A, B], script, Deadline.after(100))
    assert outcome.value == "ok@a" and script.calls == ["a", "a", "a"]
    assert clock.sleeps == [1.0, 2.0]
    # Retries that ended in success on "a": nothing was given up on; three calls.
    assert outcome.failed_backends == () and outcome.attempts == 3


async def test_retry_after_is_honoured_when_it_fits() -> None:
    clock = FakeClock()
    script = Script(a=[fail("a", FailureClass.RATE_LIMIT, retry_after=7.5)])
    outcome = await _loop(clock).run("m", [A, B], script, Deadline.after(100))
    assert clock.sleeps == [7.5] and outcome.target is A


async def test_retry_after_beyond_the_deadline_moves_to_the_next_target() -> None:
    clock = FakeClock()
    script = Script(a=[fail("a", FailureClass.RATE_LIMIT, retry_after=60)])
    outcome = await _loop(clock).run("m", [A, B], script, Deadline.after(5))
    assert clock.sleeps == [] and outcome.target is B
    assert outcome.failed_backends == ("a",) and outcome.attempts == 2


async def test_retries_stop_at_max_then_fall_back() -> None:
    clock = FakeClock()
    script = Script(a=[fail("a", FailureClass.TRANSIENT)] * 10)
    outcome = await _loop(clock, RetryPolicy(max_retries=2)).run(
        "m", [A, B], script, Deadline.after(100)
    )
    assert script.calls == ["a", "a", "a", "b"] and outcome.target is B


@pytest.mark.parametrize(
    "failure",
    [
        FailureClass.CREDENTIAL,
        FailureClass.QUOTA,
        FailureClass.CONTEXT_LENGTH,
        FailureClass.PROTOCOL,
    ],
)
async def test_no_retry_on_the_same_target_for(failure: FailureClass) -> None:
    clock = FakeClock()
    script = Script(a=[fail("a", failure)])
    outcome = await _loop(clock).run("m", [A, B], script, Deadline.after(100))
    assert script.calls == ["a", "b"] and clock.sleeps == []
    assert outcome.target is B


async def test_caller_fault_never_falls_back() -> None:
    clock = FakeClock()
    script = Script(a=[fail("a", FailureClass.CALLER_FAULT)])
    with pytest.raises(UpstreamError) as caught:
        await _loop(clock).run("m", [A, B, C], script, Deadline.after(100))
    assert caught.value.failure is FailureClass.CALLER_FAULT
    assert script.calls == ["a"]


async def test_all_targets_failing_reports_every_attempt() -> None:
    clock = FakeClock()
    script = Script(
        a=[fail("a", FailureClass.CREDENTIAL)],
        b=[fail("b", FailureClass.RATE_LIMIT, retry_after=600)],
    )
    with pytest.raises(AllTargetsFailedError) as caught:
        await _loop(clock).run("m", [A, B], script, Deadline.after(5))
    error = caught.value
    assert [a.backend for a in error.attempts] == ["a", "b"]
    assert error.failure is FailureClass.RATE_LIMIT and error.retry_after == 600
    assert error.metadata["triedBackends"] == "a,b"


async def test_retry_budget_limits_concurrent_retries() -> None:
    budget = RetryBudget(ratio=0.2, floor=3)
    budget.in_flight = 10
    assert [budget.try_acquire() for _ in range(4)] == [True, True, True, False]
    budget.in_flight = 50
    assert budget.try_acquire()  # 20 % of 50 = 10 > 3


async def test_open_breaker_skips_its_target_without_a_call() -> None:
    clock = FakeClock()
    loop = _loop(clock, RetryPolicy(max_retries=0), failure_threshold=2)
    script = Script(a=[fail("a", FailureClass.TRANSIENT)] * 2)
    await loop.run("m", [A, B], script, Deadline.after(100))
    await loop.run("m", [A, B], script, Deadline.after(100))
    assert script.calls == ["a", "b", "a", "b"]
    script.calls.clear()
    outcome = await loop.run("m", [A, B], script, Deadline.after(100))
    assert script.calls == ["b"] and outcome.failed_backends == ("a",)


# ---------------------------------------------------------------- breaker


def _breaker(clock: FakeClock, **policy: object) -> CircuitBreaker:
    return CircuitBreaker(BreakerPolicy(**policy), clock)  # type: ignore[arg-type]


def test_breaker_opens_after_consecutive_failures_and_recovers() -> None:
    clock = FakeClock()
    breaker = _breaker(clock, failure_threshold=3, cooldown=10)
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure(FailureClass.TRANSIENT)
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    assert breaker.retry_after() == pytest.approx(10.0)
    clock.t += 10.01
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow() and not breaker.allow()  # one probe at a time
    breaker.record_success()
    # success_threshold 2 (the default): one good probe frees the slot, no more.
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow() and not breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    snapshot = breaker.snapshot()
    assert snapshot.transitions == 3 and snapshot.trips == 1
    assert snapshot.rejections == 3  # the open refusal and the two taken probe slots


def test_breaker_success_threshold_and_a_failed_probe_reopens() -> None:
    clock = FakeClock()
    breaker = _breaker(clock, failure_threshold=1, cooldown=10, success_threshold=3)
    breaker.record_failure(FailureClass.TRANSIENT)
    clock.t += 10.01
    for _ in range(2):
        assert breaker.allow()
        breaker.record_success()
    assert breaker.state is BreakerState.HALF_OPEN  # 2 of 3
    assert breaker.allow()
    breaker.record_failure(FailureClass.TIMEOUT)
    assert breaker.state is BreakerState.OPEN  # the run of successes starts again
    clock.t += 20.01
    for _ in range(3):
        assert breaker.allow()
        breaker.record_success()
    assert breaker.state is BreakerState.CLOSED


def test_forced_open_breaker_stays_open_until_reset() -> None:
    clock = FakeClock()
    breaker = _breaker(clock, cooldown=1)
    breaker.force_open()
    clock.t += 10_000
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    assert breaker.snapshot().forced and breaker.snapshot().rejections == 1
    breaker.record_success()  # a call that was already running ends well: still out
    assert breaker.state is BreakerState.OPEN
    breaker.reset()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()
    assert not breaker.snapshot().forced


def test_breaker_cooldown_grows_on_repeated_trips_and_is_capped() -> None:
    clock = FakeClock()
    breaker = _breaker(clock, failure_threshold=1, cooldown=10, max_cooldown=25)
    cooldowns = []
    for _ in range(4):
        breaker.allow()
        breaker.record_failure(FailureClass.TIMEOUT)
        cooldowns.append(round(breaker.retry_after(), 6))
        clock.t += breaker.retry_after() + 0.001
        assert breaker.allow()  # half-open probe
    assert cooldowns == [10.0, 20.0, 25.0, 25.0]


def test_caller_faults_and_rate_limits_never_trip_the_breaker() -> None:
    clock = FakeClock()
    breaker = _breaker(clock, failure_threshold=2, min_calls=2)
    for failure in (
        FailureClass.CALLER_FAULT,
        FailureClass.CONTEXT_LENGTH,
        FailureClass.RATE_LIMIT,
        FailureClass.QUOTA,
        FailureClass.CREDENTIAL,
    ) * 5:
        breaker.record_failure(failure)
    assert breaker.state is BreakerState.CLOSED


def test_breaker_trips_on_failure_ratio_in_window() -> None:
    clock = FakeClock()
    breaker = _breaker(clock, failure_threshold=100, failure_ratio=0.5, min_calls=10, window=60)
    for i in range(10):
        if i % 2:
            breaker.record_failure(FailureClass.TRANSIENT)
        else:
            breaker.record_success()
    assert breaker.state is BreakerState.OPEN


def test_old_calls_leave_the_window() -> None:
    clock = FakeClock()
    breaker = _breaker(clock, failure_threshold=100, failure_ratio=0.5, min_calls=10, window=60)
    for _ in range(9):
        breaker.record_failure(FailureClass.TRANSIENT)
    clock.t += 120
    breaker.record_failure(FailureClass.TRANSIENT)
    assert breaker.state is BreakerState.CLOSED
