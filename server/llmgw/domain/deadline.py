"""Request deadlines as absolute monotonic instants."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    """The instant (``time.monotonic()`` scale) by which an operation must end.

    Built from the caller's gRPC deadline, or a server default when the caller
    sent none (gRPC sets no deadline by default).
    """

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at
