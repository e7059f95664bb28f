"""A clock the test drives, for a whole running gateway (``gateway_at(clock=...)``).

``now`` moves only when the test calls ``advance`` or when the pipeline
sleeps (a backoff): ``sleep`` advances the clock by the delay and yields once,
so retries happen at once in real time. ``jitter`` is the midpoint, so
jittered durations are their nominal value (a 30 s cool-down is 30 s).
"""

from __future__ import annotations

import asyncio


class ManualClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        self._now += max(0.0, seconds)
        await asyncio.sleep(0)

    def jitter(self) -> float:
        return 0.5

    def advance(self, seconds: float) -> None:
        self._now += seconds
