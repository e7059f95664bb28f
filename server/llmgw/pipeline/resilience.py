"""The upstream attempt loop: retries, fallback and circuit breaking.

The one place that decides what happens after an upstream attempt fails. It
reads only the ``FailureClass`` the adapter assigned:

* ``CALLER_FAULT``: the request itself is wrong; no retry, no fallback (every
  backend would refuse it, and each refusal might be billed).
* ``RATE_LIMIT``, ``OVERLOADED``, ``TRANSIENT``, ``TIMEOUT``,
  ``STREAM_INTERRUPTED`` (before the first delta): retry the same target with
  jittered backoff of the backend's shape (exponential, constant, linear,
  Fibonacci: ``domain.backoff``), or after the upstream's ``retry-after`` when
  it fits in the deadline; otherwise move on to the next target.
* ``QUOTA``, ``CREDENTIAL``, ``CONTEXT_LENGTH``, ``PROTOCOL``: no retry on this
  target; try the next one.

Which classes retry, and how often, is the backend's ``RetryPolicy``: the list
above is the default, a per-class map in config replaces it.

Every wait is bounded by the request deadline. A retry budget (retries in
flight at most 20 % of requests in flight, floor 3) keeps an outage from
turning into a retry storm. Breakers are per (backend, model); an open breaker
skips its target without a call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from llmgw.domain.clock import Clock
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import AllTargetsFailedError, FailureClass, UpstreamError
from llmgw.domain.models import Target
from llmgw.domain.policies import DEFAULT_RETRYABLE, BreakerPolicy, RetryPolicy
from llmgw.pipeline.breaker import BreakerBoard

T = TypeVar("T")

RETRY_SAME_TARGET = DEFAULT_RETRYABLE  # the default; a backend's per-class map overrides it
NEVER_FALLBACK = frozenset({FailureClass.CALLER_FAULT})
_MIN_ATTEMPT_SECONDS = 0.05  # do not start a retry that could not possibly finish


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """A successful attempt and the failed attempts before it, in order.

    ``attempts`` counts upstream calls (retries included; a target skipped
    because its breaker is open is not a call).
    """

    value: T
    target: Target
    failures: tuple[UpstreamError, ...]
    attempts: int = 1

    @property
    def failed_backends(self) -> tuple[str, ...]:
        """Backends given up on, in order: never the one that served (retries
        that ended in success on a backend do not make it a failed one)."""
        if not self.failures:
            return ()  # the common first-attempt success
        served = self.target.backend
        return tuple(dict.fromkeys(f.backend for f in self.failures if f.backend != served))


class RetryBudget:
    """Retries in flight may not exceed ``ratio`` x requests in flight (floor)."""

    def __init__(self, ratio: float = 0.2, floor: int = 3) -> None:
        self._ratio = ratio
        self._floor = floor
        self.in_flight = 0
        self.retrying = 0

    def try_acquire(self) -> bool:
        if self.retrying < max(self._floor, int(self._ratio * self.in_flight)):
            self.retrying += 1
            return True
        return False

    def release(self) -> None:
        self.retrying -= 1


@dataclass(frozen=True, slots=True)
class BackendPolicies:
    retry: RetryPolicy
    breaker: BreakerPolicy


class LoopObserver(Protocol):
    """Who hears the loop's decisions (telemetry's instruments; failure class values)."""

    def retry(self, backend: str, failure: str) -> None: ...

    def fallback(self, backend: str, failure: str) -> None: ...

    def key_cooldown(self, backend: str) -> None: ...


class _Unobserved:
    def retry(self, backend: str, failure: str) -> None:
        return None

    def fallback(self, backend: str, failure: str) -> None:
        return None

    def key_cooldown(self, backend: str) -> None:
        return None


class AttemptLoop:
    """Runs ``attempt(target)`` over ``targets`` until one succeeds; tells
    ``observer`` each retry and each move to the next target."""

    def __init__(
        self,
        policies: Mapping[str, BackendPolicies],
        clock: Clock,
        breakers: BreakerBoard | None = None,
        budget: RetryBudget | None = None,
    ) -> None:
        self._policies = policies
        self._default = BackendPolicies(RetryPolicy(), BreakerPolicy())
        self._clock = clock
        self.breakers = breakers or BreakerBoard(clock)
        self.budget = budget or RetryBudget()
        self.observer: LoopObserver = _Unobserved()

    def policies_for(self, backend: str) -> BackendPolicies:
        """The retry and breaker policies of ``backend`` (defaults when unset)."""
        return self._policies.get(backend, self._default)

    async def run(
        self,
        name: str,
        targets: Sequence[Target],
        attempt: Callable[[Target], Awaitable[T]],
        deadline: Deadline,
    ) -> Outcome[T]:
        """The first success; ``AllTargetsFailedError`` (every attempt) otherwise.

        A caller fault is raised as is, at once.
        """
        failures: list[UpstreamError] = []
        calls = [0]  # upstream calls made (retries included)
        self.budget.in_flight += 1
        try:
            for index, target in enumerate(targets):
                outcome = await self._try_target(target, attempt, deadline, failures, calls)
                if outcome is not None:
                    return Outcome(outcome, target, tuple(failures), calls[0])
                if deadline.expired:
                    break
                if index + 1 < len(targets) and failures:
                    self.observer.fallback(target.backend, failures[-1].failure.value)
        finally:
            self.budget.in_flight -= 1
        if not failures:
            failures.append(
                UpstreamError(
                    name, FailureClass.TIMEOUT, detail="deadline expired before any attempt"
                )
            )
        raise AllTargetsFailedError(name, tuple(failures))

    async def _try_target(
        self,
        target: Target,
        attempt: Callable[[Target], Awaitable[T]],
        deadline: Deadline,
        failures: list[UpstreamError],
        calls: list[int],
    ) -> T | None:
        policies = self._policies.get(target.backend, self._default)
        breaker = self.breakers.get(target.backend, target.model.id, policies.breaker)
        retries = 0
        while True:
            if not breaker.allow():
                failures.append(
                    UpstreamError(
                        target.backend,
                        FailureClass.TRANSIENT,
                        retry_after=breaker.retry_after(),
                        detail=f"circuit open for {target.backend}/{target.model.id}",
                    )
                )
                return None
            calls[0] += 1
            try:
                value = await attempt(target)
            except UpstreamError as error:
                breaker.record_failure(error.failure)
                failures.append(error)
                if error.failure in NEVER_FALLBACK:
                    raise
                delay = self._retry_delay(error, retries, policies.retry, deadline)
                if delay is None or not self.budget.try_acquire():
                    return None
                self.observer.retry(target.backend, error.failure.value)
                try:
                    await self._clock.sleep(delay)
                finally:
                    self.budget.release()
                retries += 1
                continue
            except asyncio.CancelledError:
                breaker.release_probe()
                raise
            breaker.record_success()
            return value

    def _retry_delay(
        self, error: UpstreamError, retries: int, policy: RetryPolicy, deadline: Deadline
    ) -> float | None:
        """Seconds to wait before retrying the same target, or ``None`` to move on."""
        if retries >= policy.retries_for(error.failure):
            return None
        if error.retry_after is not None:
            delay = error.retry_after
        else:
            base = policy.delay(retries)
            delay = base * (1 - policy.jitter + 2 * policy.jitter * self._clock.jitter())
        if delay + _MIN_ATTEMPT_SECONDS >= deadline.remaining():
            return None  # would not fit in the deadline: the next target may
        return delay


__all__ = [
    "NEVER_FALLBACK",
    "RETRY_SAME_TARGET",
    "AttemptLoop",
    "BackendPolicies",
    "LoopObserver",
    "Outcome",
    "RetryBudget",
]
