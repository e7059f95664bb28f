"""Per-backend resilience settings (values only; the behaviour is in ``pipeline``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Jittered exponential backoff: ``initial * multiplier**n``, capped, at most
    ``max_retries`` retries of one target, never past the request deadline."""

    initial_backoff: float = 1.0
    multiplier: float = 2.0
    max_backoff: float = 30.0
    max_retries: int = 3
    jitter: float = 0.2  # +-20 % so that synchronised clients spread out


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
