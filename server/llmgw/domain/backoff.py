"""Backoff shapes: the un-jittered delay before retry ``n`` (0-based).

One pure generator for every shape, so the attempt loop never knows which
shape a backend uses and the sequences are tested exactly:

=============  ==============================  ===========================
shape          delay before retry n            initial=1, multiplier=2
=============  ==============================  ===========================
exponential    initial * multiplier**n         1, 2, 4, 8, 16 ...
constant       initial                         1, 1, 1, 1, 1 ...
linear         initial * (1 + n)               1, 2, 3, 4, 5 ...
fibonacci      initial * fib(n+1), fib=1,1,2…  1, 1, 2, 3, 5, 8 ...
=============  ==============================  ===========================

Every delay is capped at ``cap`` (a shape never grows past it). Jitter and
``Retry-After`` are applied by the caller: they are not part of the shape.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from enum import StrEnum


class BackoffShape(StrEnum):
    EXPONENTIAL = "exponential"
    CONSTANT = "constant"
    LINEAR = "linear"
    FIBONACCI = "fibonacci"


def _factors(shape: BackoffShape, multiplier: float) -> Iterator[float]:
    """The multiple of ``initial`` for retry 0, 1, 2 ... (unbounded)."""
    if shape is BackoffShape.CONSTANT:
        yield from itertools.repeat(1.0)
    elif shape is BackoffShape.LINEAR:
        yield from (float(n) for n in itertools.count(1))
    elif shape is BackoffShape.FIBONACCI:
        a, b = 1, 1
        while True:
            yield float(a)
            a, b = b, a + b
    else:
        factor = 1.0
        while True:
            yield factor
            factor *= multiplier


def backoff_delays(
    shape: BackoffShape, initial: float, cap: float, multiplier: float = 2.0
) -> Iterator[float]:
    """Delays (seconds) before retry 0, 1, 2 ..., each ``min(cap, initial * factor)``.

    Infinite: the caller takes as many as its retry limit allows. Once a delay
    reaches the cap every later one is the cap (no overflow on long runs).
    """
    for factor in _factors(shape, multiplier):
        delay = initial * factor
        if delay >= cap:
            yield from itertools.repeat(cap)
            return
        yield delay


def backoff_delay(
    shape: BackoffShape, initial: float, cap: float, multiplier: float, n: int
) -> float:
    """The delay before retry ``n`` (0-based) of the sequence above."""
    return next(itertools.islice(backoff_delays(shape, initial, cap, multiplier), n, None))
