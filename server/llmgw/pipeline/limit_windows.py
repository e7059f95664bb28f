"""What a caller's ``LimitSet`` counts: one sliding window per configured field.

==============================  ==========================  ======================
field (0 = unlimited)           window                      counts
==============================  ==========================  ======================
``rpm`` / ``rph`` / ``rpd``     1 minute / hour / day       requests
``input_tpm`` / ``_tph`` /      1 minute / hour / day       input tokens (the
``_tpd``                                                    estimate, at admission)
``output_tpm`` / ``_tph`` /     1 minute / hour / day       output tokens (after
``_tpd``                                                    the answer)
``burst`` (needs ``rpm``)       ``ceil(burst x 60 / rpm)``  requests
                                seconds
==============================  ==========================  ======================

Every window is a ``limits`` sliding-window counter (in memory, or Redis when
shared). A per-minute window alone lets a caller spend its whole ``rpm`` in one
instant. ``burst`` is the burst allowance: at most ``burst`` requests in any
span of the time the ``rpm`` pace needs to earn them, which is what a token
bucket of capacity ``burst`` refilled at ``rpm / 60`` per second admits (a
burst of ``burst``, then the steady pace), built from windows: the ``limits``
library has fixed, moving and sliding windows, but no token or leaky bucket
(README, "Rate limits").
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from limits import RateLimitItem

Counts = Literal["requests", "input", "output"]


@dataclass(frozen=True, slots=True)
class LimitSet:
    """Requests and tokens per minute, hour and day, and a burst allowance;
    0 = unlimited (see the module docstring)."""

    rpm: int = 0
    input_tpm: int = 0
    output_tpm: int = 0
    rph: int = 0
    input_tph: int = 0
    output_tph: int = 0
    rpd: int = 0
    input_tpd: int = 0
    output_tpd: int = 0
    burst: int = 0

    @property
    def any(self) -> bool:
        """Whether some window applies (without building one: the ``limits``
        library is imported only when a limit is configured)."""
        return any(getattr(self, d) for d, _ in _DIMENSIONS) or bool(self.burst and self.rpm)


@dataclass(frozen=True, slots=True)
class Window:
    """One counter: ``dimension`` names it in errors (``"input_tph"``)."""

    dimension: str
    counts: Counts
    item: RateLimitItem


_COUNTS: tuple[tuple[str, Counts], ...] = (
    ("r", "requests"),
    ("input_t", "input"),
    ("output_t", "output"),
)
_DIMENSIONS = tuple(
    (f"{prefix}p{period}", counts) for period in ("m", "h", "d") for prefix, counts in _COUNTS
)
DESCRIPTIONS = {
    "burst": "burst allowance",
    "concurrent_streams": "concurrent streams",
    **{
        f"{prefix}p{period}": f"{what} per {word}"
        for period, word in (("m", "minute"), ("h", "hour"), ("d", "day"))
        for prefix, what in (
            ("r", "requests"),
            ("input_t", "input tokens"),
            ("output_t", "output tokens"),
        )
    },
}


@functools.lru_cache(maxsize=4096)
def windows(limits: LimitSet) -> tuple[Window, ...]:
    """The counters ``limits`` means (cached: limit sets are few and immutable)."""
    from limits import (
        RateLimitItemPerDay,
        RateLimitItemPerHour,
        RateLimitItemPerMinute,
        RateLimitItemPerSecond,
    )

    per = {"m": RateLimitItemPerMinute, "h": RateLimitItemPerHour, "d": RateLimitItemPerDay}
    found = [
        Window(dimension, counts, per[dimension[-1]](getattr(limits, dimension)))
        for dimension, counts in _DIMENSIONS
        if getattr(limits, dimension)
    ]
    if limits.burst and limits.rpm:
        seconds = max(1, math.ceil(limits.burst * 60 / limits.rpm))
        found.append(Window("burst", "requests", RateLimitItemPerSecond(limits.burst, seconds)))
    return tuple(found)


__all__ = ["DESCRIPTIONS", "LimitSet", "Window", "windows"]
