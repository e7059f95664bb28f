"""Time as a port, so resilience logic is tested without real sleeps."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    def jitter(self) -> float:
        """A uniform random number in [0, 1)."""
        ...


class SystemClock:
    """The real clock (``time.monotonic``, ``asyncio.sleep``, ``random``)."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def jitter(self) -> float:
        return random.random()
