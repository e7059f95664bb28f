"""Recent per-(backend, model) traffic for ``AdminService.GetMetrics``.

A bounded in-memory log of samples (one per upstream attempt, one per
settled answer), aggregated on demand over a look-back window. Appending is
the only hot-path cost (one tuple into a deque); percentiles are computed when
an operator asks. Prometheus export is a later issue; this is the live view.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import NamedTuple


class _Attempt(NamedTuple):
    at: float
    backend: str
    model: str
    failure: str  # "" for success, else the FailureClass value
    seconds: float
    first_token: bool  # seconds is time to first token (streams)


class _Settled(NamedTuple):
    at: float
    backend: str
    model: str
    output_tokens: int
    seconds: float
    cost_nanos: int
    streamed: bool


@dataclass
class MetricsRow:
    backend: str
    model: str
    requests: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    first_tokens: list[float] = field(default_factory=list)
    output_tokens: int = 0
    generating_seconds: float = 0.0
    cost_nanos: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.output_tokens / self.generating_seconds if self.generating_seconds else 0.0


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class MetricsLog:
    """The last ``capacity`` samples (older ones fall off)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._attempts: deque[_Attempt] = deque(maxlen=capacity)
        self._settled: deque[_Settled] = deque(maxlen=capacity)

    def attempt(
        self, backend: str, model: str, failure: str, seconds: float, first_token: bool = False
    ) -> None:
        self._attempts.append(
            _Attempt(time.monotonic(), backend, model, failure, seconds, first_token)
        )

    def settled(
        self,
        backend: str,
        model: str,
        output_tokens: int,
        seconds: float,
        cost_nanos: int,
        streamed: bool = False,
    ) -> None:
        """An answer finished: its output, how long it took, what it cost."""
        self._settled.append(
            _Settled(time.monotonic(), backend, model, output_tokens, seconds, cost_nanos, streamed)
        )

    def rows(self, window: float) -> dict[tuple[str, str], MetricsRow]:
        """Aggregates over the last ``window`` seconds, keyed (backend, model)."""
        since = time.monotonic() - window
        rows: dict[tuple[str, str], MetricsRow] = {}

        def row(backend: str, model: str) -> MetricsRow:
            key = (backend, model)
            found = rows.get(key)
            if found is None:
                found = rows[key] = MetricsRow(backend, model)
            return found

        for a in self._attempts:
            if a.at < since:
                continue
            r = row(a.backend, a.model)
            r.requests += 1
            if a.failure:
                r.failures[a.failure] += 1
            elif a.first_token:
                r.first_tokens.append(a.seconds)
            else:
                r.latencies.append(a.seconds)
        for s in self._settled:
            if s.at < since:
                continue
            r = row(s.backend, s.model)
            r.output_tokens += s.output_tokens
            r.generating_seconds += s.seconds
            r.cost_nanos += s.cost_nanos
            if s.streamed:
                r.latencies.append(s.seconds)  # a stream's latency is its full duration
        return rows
