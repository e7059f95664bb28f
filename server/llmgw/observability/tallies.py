"""Lock-free counters and gauges for the request path, exposed by a collector.

prometheus-client's ``Counter``/``Gauge`` take a ``threading.Lock`` on every
``inc`` (its registry may be shared by threads). The gateway updates its
per-call counters from one event-loop thread only, so a plain
``dict[labels, number]`` is enough: an update is one dictionary operation.
The ``/metrics`` thread reads a copy (``dict.copy`` runs in C under the GIL:
never a half-updated dict) at scrape time, through ``TallyCollector``.

Same exposition as the library's own: counters get ``_total``, gauges none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry


class Tally:
    """One family: values by label tuple (a counter, or a gauge when ``gauge``)."""

    __slots__ = ("doc", "gauge", "labels", "name", "values")

    def __init__(self, name: str, doc: str, labels: tuple[str, ...], gauge: bool = False) -> None:
        self.name = name
        self.doc = doc
        self.labels = labels
        self.gauge = gauge
        self.values: dict[tuple[str, ...], float] = {}

    def inc(self, key: tuple[str, ...], amount: float = 1) -> None:
        values = self.values
        values[key] = values.get(key, 0) + amount

    def dec(self, key: tuple[str, ...], amount: float = 1) -> None:
        values = self.values
        values[key] = values.get(key, 0) - amount

    def value(self, key: tuple[str, ...]) -> float:
        return self.values.get(key, 0)

    def family(self) -> Metric:
        kind: Any = GaugeMetricFamily if self.gauge else CounterMetricFamily
        family: Metric = kind(self.name, self.doc, labels=self.labels)
        for key, value in self.values.copy().items():
            family.add_metric(key, value)  # type: ignore[attr-defined]
        return family

    def collect(self) -> Iterator[Metric]:
        """Like a prometheus-client metric's ``collect`` (``observability.window`` reads it)."""
        yield self.family()


class TallyCollector(Collector):
    """Exposes ``tallies`` on a registry."""

    def __init__(self, registry: CollectorRegistry, *tallies: Tally) -> None:
        self._tallies = tallies
        registry.register(self)

    def collect(self) -> Iterator[Metric]:
        for tally in self._tallies:
            yield tally.family()


__all__ = ["Tally", "TallyCollector"]
