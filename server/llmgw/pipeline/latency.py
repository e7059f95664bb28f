"""Observed latency per (backend, model): an exponentially weighted moving average.

Fed by successful attempts (time to the answer, or to the first delta of a
stream), read by the latency and balanced routing strategies. In-process by
design: latency is what *this* replica observes on its own network path.
"""

from __future__ import annotations


class LatencyBoard:
    """EWMA of attempt latency in seconds; ``alpha`` weighs the newest sample."""

    def __init__(self, alpha: float = 0.2) -> None:
        self._alpha = alpha
        self._ewma: dict[tuple[str, str], float] = {}

    def observe(self, backend: str, model: str, seconds: float) -> None:
        key = (backend, model)
        previous = self._ewma.get(key)
        self._ewma[key] = (
            seconds if previous is None else previous + self._alpha * (seconds - previous)
        )

    def get(self, backend: str, model: str) -> float | None:
        return self._ewma.get((backend, model))


__all__ = ["LatencyBoard"]
