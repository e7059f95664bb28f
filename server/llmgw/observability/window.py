"""``AdminService.GetMetrics`` from the Prometheus instruments (no second bookkeeping).

The instruments are cumulative since start. A look-back window is the
difference between now and a snapshot taken at (or just before) the window's
start: ``snapshot()`` runs every sampling interval (``observability.state``)
and keeps ``max_age`` seconds of snapshots. Nothing is sampled per request, so
the answer is exact at any request rate (the old per-attempt deque was cut
short above ~333 attempts/s); percentiles are interpolated inside histogram
buckets, as PromQL's ``histogram_quantile`` does.

The window really used starts at the chosen snapshot (at most one interval
earlier than asked), or at process start when the process is younger than
the window: ``rows`` returns that start so the answer can say it.

Per (backend, model): attempts by failure class (``llmgw_upstream_attempts``),
latency of answered calls and time to first token (the GenAI duration and
TTFT histograms, by the answering backend and model: a call's latency
includes the retries before its answer), output tokens per second (output
token sum over answered calls' duration sum) and cost (summed over tenants;
one currency).
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from prometheus_client.metrics import MetricWrapperBase

from llmgw.observability.metrics import Instruments
from llmgw.observability.tallies import Tally

Key = tuple[str, str]  # (backend, model)


@dataclass(slots=True)
class Totals:
    """Cumulative (or, after ``minus``, windowed) values of one (backend, model)."""

    attempts: Counter[str] = field(default_factory=Counter)  # failure class ("none": ok)
    latency: dict[float, float] = field(default_factory=dict)  # le -> cumulative count
    first_token: dict[float, float] = field(default_factory=dict)
    output_tokens: float = 0.0
    generating_seconds: float = 0.0
    cost_nanos: float = 0.0

    def minus(self, base: Totals | None) -> Totals:
        if base is None:
            return self
        return Totals(
            self.attempts - base.attempts,  # Counter subtraction keeps positives only
            _sub(self.latency, base.latency),
            _sub(self.first_token, base.first_token),
            self.output_tokens - base.output_tokens,
            self.generating_seconds - base.generating_seconds,
            self.cost_nanos - base.cost_nanos,
        )

    @property
    def requests(self) -> int:
        return sum(self.attempts.values())

    @property
    def failures(self) -> dict[str, int]:
        return {k: v for k, v in self.attempts.items() if k != "none" and v > 0}

    @property
    def tokens_per_second(self) -> float:
        seconds = self.generating_seconds
        return self.output_tokens / seconds if seconds > 0 else 0.0


def _sub(now: dict[float, float], base: dict[float, float]) -> dict[float, float]:
    return {le: count - base.get(le, 0.0) for le, count in now.items()}


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """``histogram_quantile`` over cumulative ``le -> count`` buckets; ``None`` when empty."""
    if not buckets:
        return None
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    if total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if bound == float("inf"):
                return lower_bound  # above the last finite bucket: its bound is all we know
            inside = count - lower_count
            fraction = (rank - lower_count) / inside if inside else 0.0
            return lower_bound + (bound - lower_bound) * fraction
        lower_bound, lower_count = bound, count
    return lower_bound


class MetricsWindow:
    """Snapshots of the instruments GetMetrics reads, and windowed rows."""

    def __init__(
        self,
        instruments: Instruments,
        max_age: float = 3600.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._i = instruments
        self._max_age = max_age
        self._wall = wall
        self.started = wall()
        self._snapshots: deque[tuple[float, dict[Key, Totals]]] = deque()

    def snapshot(self) -> None:
        """Keep the current totals (called every sampling interval)."""
        now = self._wall()
        self._snapshots.append((now, self.totals()))
        while self._snapshots and self._snapshots[0][0] < now - self._max_age:
            self._snapshots.popleft()

    def rows(self, window: float) -> tuple[float, dict[Key, Totals]]:
        """(the window's real start, per-(backend, model) values over it)."""
        now = self._wall()
        start, base = self.started, {}
        for taken, totals in reversed(self._snapshots):
            if taken <= now - window:
                start, base = taken, totals
                break
        current = self.totals()
        return start, {k: v.minus(base.get(k)) for k, v in current.items()}

    def totals(self) -> dict[Key, Totals]:
        """The instruments' cumulative values now, per (backend, model)."""
        found: dict[Key, Totals] = {}

        def at(backend: str, model: str) -> Totals:
            key = (backend, model)
            row = found.get(key)
            if row is None:
                row = found[key] = Totals()
            return row

        i = self._i
        for labels, value in _samples(i.attempts, "_total"):
            at(labels["backend"], labels["model"]).attempts[labels["failure_class"]] += int(value)
        for labels, value in _samples(i.cost, "_total"):
            at(labels["backend"], labels["model"]).cost_nanos += value
        for name, labels, value in _answered(i.duration):
            row = at(labels["backend"], labels[_MODEL])
            if name.endswith("_bucket"):
                _add(row.latency, labels["le"], value)
            elif name.endswith("_sum"):
                row.generating_seconds += value
        for name, labels, value in _answered(i.ttft):
            if name.endswith("_bucket"):
                _add(at(labels["backend"], labels[_MODEL]).first_token, labels["le"], value)
        for name, labels, value in _answered(i.token_usage):
            if name.endswith("_sum") and labels["gen_ai_token_type"] == "output":
                at(labels["backend"], labels[_MODEL]).output_tokens += value
        return found


_MODEL = "gen_ai_response_model"


def _answered(metric: MetricWrapperBase) -> Iterable[tuple[str, dict[str, str], float]]:
    """Samples of a GenAI histogram for answered calls (no error type)."""
    for family in metric.collect():
        for sample in family.samples:
            if not sample.labels.get("error_type") and sample.labels.get(_MODEL):
                yield sample.name, sample.labels, sample.value


# ``le`` label -> its float, one shared object per bucket bound (a few dozen:
# the histograms' fixed buckets). Every snapshot's bucket dicts key on these
# instead of fresh floats: a quarter of a snapshot's size, and ``max_age`` /
# interval snapshots (720 by default) are kept per (backend, model).
_BOUNDS: dict[str, float] = {}


def _add(buckets: dict[float, float], le: str, value: float) -> None:
    bound = _BOUNDS.get(le)
    if bound is None:
        bound = _BOUNDS[le] = float(le)
    buckets[bound] = buckets.get(bound, 0.0) + value


def _samples(
    metric: MetricWrapperBase | Tally, suffix: str
) -> Iterable[tuple[dict[str, str], float]]:
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith(suffix):
                yield sample.labels, sample.value


__all__ = ["MetricsWindow", "Totals", "quantile"]
