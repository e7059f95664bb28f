"""``metrics.Observer`` records exactly what prometheus-client's own ``observe`` does."""

from __future__ import annotations

import math

from llmgw.observability.metrics import DURATION_BUCKETS, Observer
from prometheus_client import CollectorRegistry, Histogram


def _samples(histogram: Histogram) -> list[tuple[str, dict[str, str], float, object]]:
    return [
        (s.name, s.labels, s.value, s.exemplar and (s.exemplar.labels, s.exemplar.value))
        for family in histogram.collect()
        for s in family.samples
        if not s.name.endswith("_created")
    ]


def test_the_observer_fills_the_same_buckets_as_the_library() -> None:
    own = Histogram("d", "d", ("m",), buckets=DURATION_BUCKETS, registry=CollectorRegistry())
    fast = Histogram("d", "d", ("m",), buckets=DURATION_BUCKETS, registry=CollectorRegistry())
    observer = Observer(fast.labels("x"))
    amounts = [0.0, -1.0, 0.005, 100.0, math.inf, math.nan, 0.011, 0.0800001]
    amounts += list(DURATION_BUCKETS)  # exactly on each bound: that bucket (le)
    for amount in amounts:
        own.labels("x").observe(amount)
        observer.observe(amount)
    own.labels("x").observe(0.3, {"trace_id": "abc"})
    observer.observe(0.3, {"trace_id": "abc"})
    expected, got = _samples(own), _samples(fast)
    assert [s[:2] for s in got] == [s[:2] for s in expected]
    for (_, _, want, want_exemplar), (_, _, value, exemplar) in zip(expected, got, strict=True):
        assert value == want or (math.isnan(value) and math.isnan(want))
        assert exemplar == want_exemplar
