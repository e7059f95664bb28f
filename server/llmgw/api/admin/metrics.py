"""``GetMetrics``: the telemetry instruments over a window -> ``GetMetricsResponse`` rows.

One row per (backend, model) seen in the window (default five minutes, at
most ``MAX_METRICS_WINDOW_SECONDS``), optionally filtered by backends and
model ids: request count, requests in flight, output tokens per second,
p50/p95 latency and time to first token, cost, error counts by status code
(through the status table's upstream rules) and the breaker.
"""

from __future__ import annotations

from collections.abc import Callable

from llmgateway.v1 import admin_service_pb2

from llmgw.api import convert
from llmgw.api.admin.breakers import fill_breaker_report
from llmgw.api.checks import MAX_METRICS_WINDOW_SECONDS, duration_seconds
from llmgw.api.status import UPSTREAM_RULES
from llmgw.domain.errors import FailureClass, FieldViolation, InvalidRequestError
from llmgw.observability.window import quantile
from llmgw.pipeline.gateway import Gateway

DEFAULT_WINDOW_SECONDS = 300.0
_PERCENTILES = (
    ("p50_latency", "latency", 0.5),
    ("p95_latency", "latency", 0.95),
    ("p50_time_to_first_token", "first_token", 0.5),
    ("p95_time_to_first_token", "first_token", 0.95),
)


def window_of(request: admin_service_pb2.GetMetricsRequest) -> float:
    if not request.HasField("window"):
        return DEFAULT_WINDOW_SECONDS
    window = duration_seconds(request.window, "window", MAX_METRICS_WINDOW_SECONDS)
    if window <= 0:
        raise InvalidRequestError((FieldViolation("window", "must be positive"),))
    return window


def metrics(
    gateway: Gateway, request: admin_service_pb2.GetMetricsRequest, wall: Callable[[], float]
) -> admin_service_pb2.GetMetricsResponse:
    window = window_of(request)
    backends = {b.removeprefix("backends/") for b in request.backends}
    models = set(request.model_ids)
    breakers = gateway.attempts.breakers.snapshots()
    now = wall()
    response = admin_service_pb2.GetMetricsResponse()
    start, rows = gateway.metrics.rows(window)  # the Prometheus instruments
    response.window_start_time.FromNanoseconds(int(start * 1e9))
    response.window_end_time.FromNanoseconds(int(now * 1e9))
    for (backend, model), row in sorted(rows.items()):
        if (backends and backend not in backends) or (models and model not in models):
            continue
        if not row.requests:
            continue
        out = response.rows.add(
            backend=f"backends/{backend}",
            model_id=model,
            request_count=row.requests,
            in_flight_request_count=gateway.in_flight(backend),
            output_tokens_per_second=row.tokens_per_second,
        )
        for failure, count in row.failures.items():
            code = UPSTREAM_RULES[FailureClass(failure)].code.name
            out.error_counts[code] = out.error_counts.get(code, 0) + count
        for field_name, series, q in _PERCENTILES:
            value = quantile(q, getattr(row, series))
            if value is not None:
                getattr(out, field_name).FromNanoseconds(int(value * 1e9))
        convert.fill_money(out.cost, int(row.cost_nanos), "USD")
        snapshot = breakers.get((backend, model))
        if snapshot is not None:
            fill_breaker_report(out.circuit_breaker, model, snapshot)
    return response


__all__ = ["DEFAULT_WINDOW_SECONDS", "metrics", "window_of"]
