"""The gateway's Prometheus instruments, in one registry per process.

Two families:

* the OpenTelemetry GenAI semantic-convention client instruments, in
  Prometheus naming (``gen_ai.client.token.usage`` ->
  ``gen_ai_client_token_usage``; seconds get the ``_seconds`` suffix), with the
  conventions' bucket boundaries, labelled ``gen_ai_operation_name``,
  ``gen_ai_provider_name``, ``gen_ai_request_model``, ``gen_ai_response_model``,
  ``error_type`` and the gateway's ``backend``;
* the gateway's own (``llmgw_*``): RPCs by code, attempts/retries/fallbacks by
  backend and failure class, key cool-downs, caller rate-limit refusals, cost,
  in-flight calls and open streams. State that already lives somewhere
  (breakers, budgets, the ledger outbox, probes) is read at scrape time by
  ``observability.state`` collectors: nothing on the request path.

Cardinality is bounded by construction: every label value is a configured
name (backend, model, alias, tenant when ``tenant_labels`` is on), an enum
value (operation, failure class, status code, token type) or a class name of
a gateway error. Callers' free text (request ids, end users, prompts, model
names no route resolves) never becomes a label: an unresolved model is
``_unresolved``. ``GetMetrics`` reads these same instruments
(``observability.window``).
"""

from __future__ import annotations

import platform
from bisect import bisect_left
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Info

from llmgw.observability.tallies import Tally, TallyCollector

# Bucket boundaries from the GenAI semantic conventions.
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48)
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0)
TPOT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5)

GENAI_LABELS = (
    "gen_ai_operation_name",
    "gen_ai_provider_name",
    "gen_ai_request_model",
    "gen_ai_response_model",
    "backend",
)
UNRESOLVED = "_unresolved"  # the label of a model no route resolved (never the caller's text)
NO_ERROR = ""  # ``error_type`` of a success (the conventions leave it unset)


# (attribute, kind, Prometheus name, help, labels, histogram buckets)
_INSTRUMENTS: tuple[tuple[str, Any, str, str, tuple[str, ...], tuple[float, ...]], ...] = (
    ("token_usage", Histogram, "gen_ai_client_token_usage",
     "Tokens used per call (GenAI semconv), by token type.",
     (*GENAI_LABELS, "gen_ai_token_type"), TOKEN_BUCKETS),
    ("duration", Histogram, "gen_ai_client_operation_duration_seconds",
     "Duration of a call through the gateway (GenAI semconv), retries included.",
     (*GENAI_LABELS, "error_type"), DURATION_BUCKETS),
    ("ttft", Histogram, "gen_ai_server_time_to_first_token_seconds",
     "Time from the call's start to the first content delta of a stream.",
     GENAI_LABELS, TTFT_BUCKETS),
    ("tpot", Histogram, "gen_ai_server_time_per_output_token_seconds",
     "Time per output token after the first (streams).", GENAI_LABELS, TPOT_BUCKETS),
    ("retries", Counter, "llmgw_upstream_retries", "Retries of the same target.",
     ("backend", "failure_class"), ()),
    ("fallbacks", Counter, "llmgw_upstream_fallbacks",
     "Moves to the next target of the plan, by the backend left and why.",
     ("backend", "failure_class"), ()),
    ("cooldowns", Counter, "llmgw_key_cooldowns", "Upstream keys cooled down after a 429.",
     ("backend",), ()),
    ("refusals", Counter, "llmgw_rate_limit_refusals",
     "Calls refused by the gateway's caller limits, by limit and scope kind.",
     ("limit", "scope", "tenant"), ()),
)  # fmt: skip


class Instruments:
    """Every counter, gauge and histogram the gateway updates while serving.

    Methods are the narrow functions the pipeline and the API call; each is a
    dictionary look-up of the labelled child (``Children``: prometheus-client's
    own ``labels()`` validates and locks on every call, ~3 us) and one
    ``inc``/``observe``.
    """

    token_usage: Histogram
    duration: Histogram
    ttft: Histogram
    tpot: Histogram
    retries: Counter
    fallbacks: Counter
    cooldowns: Counter
    refusals: Counter

    def __init__(self, tenant_labels: bool = True, version: str = "0") -> None:
        self.registry = r = CollectorRegistry()
        self.tenant_labels = tenant_labels
        for attr, kind, name, doc, labels, buckets in _INSTRUMENTS:
            extra = {"buckets": buckets} if buckets else {}
            setattr(self, attr, kind(name, doc, labels, registry=r, **extra))
        Info("llmgw_build", "Build information.", registry=r).info(
            {"version": version, "python": platform.python_version()}
        )
        # Updated on every call: lock-free tallies (``observability.tallies``).
        self.rpcs = Tally("llmgw_rpc_requests", "Finished RPCs by method and status code.",
                          ("rpc", "code"))  # fmt: skip
        self.in_flight = Tally("llmgw_in_flight_calls", "Unary data-plane calls in progress.",
                               ("rpc",), gauge=True)  # fmt: skip
        self.open_streams = Tally("llmgw_open_streams", "Streams open now.", (), gauge=True)
        self.attempts = Tally(
            "llmgw_upstream_attempts",
            "Upstream attempts by backend, model and failure class (none = success).",
            ("backend", "model", "failure_class"),
        )
        self.cost = Tally(
            "llmgw_cost_nanos",
            "Cost of upstream attempts in nano-units of the currency (1e-9).",
            ("model", "backend", "tenant", "currency"),
        )
        TallyCollector(r, self.rpcs, self.in_flight, self.open_streams, self.attempts, self.cost)
        self.c_duration = Children(self.duration)
        self.c_tokens = Children(self.token_usage)
        self.c_ttft = Children(self.ttft)
        self.c_tpot = Children(self.tpot)

    # -- narrow functions ---------------------------------------------------

    def rpc_done(self, rpc: str, code: str) -> None:
        self.rpcs.inc((rpc, code))

    def attempt(self, backend: str, model: str, failure: str) -> None:
        """One upstream attempt ended: ``failure`` is its class, ``""`` on success."""
        self.attempts.inc((backend, model, failure or "none"))

    def retry(self, backend: str, failure: str) -> None:
        self.retries.labels(backend, failure).inc()

    def fallback(self, backend: str, failure: str) -> None:
        self.fallbacks.labels(backend, failure).inc()

    def key_cooldown(self, backend: str) -> None:
        self.cooldowns.labels(backend).inc()

    def refused(self, limit: str, scope: str, tenant: str) -> None:
        """A caller limit refused a call: ``limit`` is the dimension (rpm,
        input_tpm, ...), ``scope`` the kind of subject (tenants, apiKeys, ...)."""
        self.refusals.labels(limit, scope, self.tenant(tenant)).inc()

    def charged(self, model: str, backend: str, tenant: str, nanos: int, currency: str) -> None:
        if nanos:
            self.cost.inc((model, backend, self.tenant(tenant), currency), nanos)

    def tenant(self, tenant: str) -> str:
        return tenant if self.tenant_labels else ""

    def call(self, genai: tuple[str, str, str, str, str], outcome: CallOutcome) -> None:
        """A finished data-plane call (GenAI labels: operation, provider,
        request model, response model, backend)."""
        exemplar = outcome.exemplar
        self.c_duration.get((*genai, outcome.error_type)).observe(outcome.seconds, exemplar)
        if outcome.error_type:
            return
        if outcome.input_tokens:
            self.c_tokens.get((*genai, "input")).observe(outcome.input_tokens)
        if outcome.output_tokens:
            self.c_tokens.get((*genai, "output")).observe(outcome.output_tokens)
        if outcome.first_token is not None:
            self.c_ttft.get(genai).observe(outcome.first_token, exemplar)
            if outcome.output_tokens > 1:
                per_token = (outcome.seconds - outcome.first_token) / (outcome.output_tokens - 1)
                self.c_tpot.get(genai).observe(max(per_token, 0.0))


class Children:
    """A metric's labelled children, cached by label tuple (label values are
    bounded, so is this dict)."""

    __slots__ = ("_children", "_metric")

    def __init__(self, metric: Any) -> None:
        self._metric = metric
        self._children: dict[tuple[str, ...], Any] = {}

    def get(self, key: tuple[str, ...]) -> Any:
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = _observer(self._metric.labels(*key))
        return child


def _observer(child: Any) -> Any:
    """A histogram child's fast observer (``Observer``), when the client
    library has the internals it relies on; else the child itself."""
    if all(hasattr(child, a) for a in ("_upper_bounds", "_buckets", "_sum")):
        return Observer(child)
    return child


class Observer:
    """``observe`` of one labelled histogram child, as prometheus-client's own
    (same buckets, sum and locks, so a scrape reads the same values) without
    its per-call checks: the bucket is a ``bisect`` of the bounds rather than
    a Python loop over them. Exemplars and NaN go through the library's own
    ``observe`` (NaN falls in no bucket there; ``bisect`` would pick one)."""

    __slots__ = ("_bounds", "_buckets", "_child", "_sum")

    def __init__(self, child: Any) -> None:
        self._child = child
        self._bounds: list[float] = child._upper_bounds  # sorted, last +Inf
        self._buckets: list[Any] = child._buckets
        self._sum: Any = child._sum

    def observe(self, amount: float, exemplar: Mapping[str, str] | None = None) -> None:
        if exemplar or amount != amount:
            self._child.observe(amount, exemplar)
            return
        self._sum.inc(amount)
        self._buckets[bisect_left(self._bounds, amount)].inc(1)  # first bound >= amount


class CallOutcome:
    """What ``Instruments.call`` records of one call."""

    __slots__ = (
        "error_type",
        "exemplar",
        "first_token",
        "input_tokens",
        "output_tokens",
        "seconds",
    )

    def __init__(
        self,
        seconds: float,
        error_type: str = NO_ERROR,
        tokens: tuple[int, int] = (0, 0),
        first_token: float | None = None,
        exemplar: Mapping[str, str] | None = None,
    ) -> None:
        self.seconds = seconds
        self.error_type = error_type
        self.input_tokens, self.output_tokens = tokens
        self.first_token = first_token
        self.exemplar = dict(exemplar) if exemplar else None


__all__ = ["NO_ERROR", "UNRESOLVED", "CallOutcome", "Instruments", "Observer"]
