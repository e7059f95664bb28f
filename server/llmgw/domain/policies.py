"""Per-backend resilience settings (values only; the behaviour is in ``pipeline``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from llmgw.domain.backoff import BackoffShape, backoff_delay
from llmgw.domain.errors import FailureClass

# Classes worth retrying on the same target when no per-class map is configured.
DEFAULT_RETRYABLE: frozenset[FailureClass] = frozenset(
    {
        FailureClass.RATE_LIMIT,
        FailureClass.OVERLOADED,
        FailureClass.TRANSIENT,
        FailureClass.TIMEOUT,
        FailureClass.STREAM_INTERRUPTED,
    }
)
# A caller fault is the request's own: retrying it anywhere only bills it again.
NEVER_RETRYABLE: frozenset[FailureClass] = frozenset({FailureClass.CALLER_FAULT})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Jittered backoff of a ``shape`` (see ``domain.backoff``): capped at
    ``max_backoff``, never past the request deadline.

    How many retries of one target a failure earns: ``per_class[failure]`` when
    a per-class map is configured (a class missing from it is not retried);
    otherwise ``max_retries`` for the ``DEFAULT_RETRYABLE`` classes and 0 for
    the rest. A caller fault is never retried, whatever the map says.
    """

    initial_backoff: float = 1.0
    multiplier: float = 2.0
    max_backoff: float = 30.0
    max_retries: int = 3
    jitter: float = 0.2  # +-20 % so that synchronised clients spread out
    shape: BackoffShape = BackoffShape.EXPONENTIAL
    per_class: Mapping[FailureClass, int] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def retries_for(self, failure: FailureClass) -> int:
        """The most retries of one target a failure of this class allows."""
        if failure in NEVER_RETRYABLE:
            return 0
        if self.per_class:
            return self.per_class.get(failure, 0)
        return self.max_retries if failure in DEFAULT_RETRYABLE else 0

    def delay(self, retry: int) -> float:
        """The un-jittered delay before retry ``retry`` (0-based)."""
        return backoff_delay(
            self.shape, self.initial_backoff, self.max_backoff, self.multiplier, retry
        )


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """Circuit breaker per (backend, model).

    Opens after ``failure_threshold`` consecutive counted failures, or when at
    least ``min_calls`` calls in the last ``window`` seconds failed at
    ``failure_ratio`` or more. Stays open ``cooldown`` seconds, doubling on each
    consecutive trip up to ``max_cooldown`` (jittered); then lets
    ``half_open_probes`` calls through at a time, and closes after
    ``success_threshold`` consecutive successful probes (one failed probe
    opens it again).
    """

    failure_threshold: int = 5
    failure_ratio: float = 0.5
    min_calls: int = 20
    window: float = 60.0
    cooldown: float = 5.0
    max_cooldown: float = 120.0
    half_open_probes: int = 1
    success_threshold: int = 2
