"""OpenTelemetry tracing: off unless the operator configures it.

``Tracing.from_environment()`` builds a ``TracerProvider`` whose exporter
(OTLP over gRPC) and sampler the OpenTelemetry SDK reads from its own
standard variables (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_TRACES_SAMPLER``,
``OTEL_TRACES_SAMPLER_ARG``, ``OTEL_SERVICE_NAME``, ...): ``app`` decides
whether tracing is on (``config.tracing_configured``) and this module lets
the SDK read the rest, as the SDK documents. Tracing off costs nothing: no
provider is built, and the OpenTelemetry API itself is not imported until a
``Tracing`` is made (or something else, such as the zero-code
instrumentation wrapper, imported it first): until then ``ids`` answers
empty ids and ``inject`` and ``mark_rpc_status`` do nothing, as the API's
no-op tracer would, and the gateway does not carry the API's modules
(~0.3 MiB resident for the life of the process).

The narrow functions: ``span`` (a child span, current while it runs),
``ids``/``exemplar`` (the current trace and span ids for log lines and
histogram exemplars), ``inject`` (W3C ``traceparent`` into an outbound
HTTP request's headers) and ``mark_rpc_status`` (the gRPC server span's final
status code, set by the API edge, api/edge.py).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.trace import Span

_TRACER_NAME = "llmgw"
# gRPC server codes that are the server's fault (OTel RPC semantic conventions).
_SERVER_ERRORS = frozenset(
    {"UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"}
)

# The OpenTelemetry API modules (context, propagate, trace), once imported.
_api: tuple[ModuleType, ModuleType, ModuleType] | None = None


def _import_api() -> tuple[ModuleType, ModuleType, ModuleType]:
    global _api
    if _api is None:
        from opentelemetry import context, propagate, trace

        _api = (context, propagate, trace)
    return _api


if "opentelemetry.trace" in sys.modules:  # imported before us: spans may exist already
    _import_api()


class Tracing:
    """The process's tracer provider (one per process; ``shutdown`` flushes)."""

    def __init__(self, provider: Any) -> None:
        _import_api()
        self.provider = provider
        self.tracer = provider.get_tracer(_TRACER_NAME)

    @classmethod
    def from_environment(cls, service_version: str = "") -> Tracing:
        """A provider exporting OTLP/gRPC; endpoint, sampler, headers and
        service name from the standard ``OTEL_*`` variables (read by the SDK)."""
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        resource = Resource.create({"service.name": "llmgw", "service.version": service_version})
        provider = TracerProvider(resource=resource)  # sampler: OTEL_TRACES_SAMPLER
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        return cls(provider)

    def shutdown(self) -> None:
        self.provider.shutdown()  # flushes what the batch processor holds

    @contextmanager
    def span(
        self, name: str, attributes: Mapping[str, Any] | None = None, client: bool = False
    ) -> Iterator[Span]:
        """A child of the current span, current while the block runs; an
        exception ends it with status ERROR and the exception's class."""
        from opentelemetry.trace import SpanKind

        kind = SpanKind.CLIENT if client else SpanKind.INTERNAL
        with self.tracer.start_as_current_span(
            name,
            kind=kind,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield span
            except BaseException as error:
                fail(span, error)
                raise

    def start_current(
        self, name: str, attributes: Mapping[str, Any] | None = None
    ) -> tuple[Span, object]:
        """A CLIENT child span, made current (outbound requests carry its
        context) until ``detach(token)``; the caller ends it (a stream's
        attempt span ends with the stream)."""
        from opentelemetry.trace import SpanKind

        context, _, trace = _import_api()
        span: Span = self.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        token = context.attach(trace.set_span_in_context(span))
        return span, token


def detach(token: object) -> None:
    """Stop a ``start_current`` span being current (same task that attached it)."""
    _import_api()[0].detach(token)


def fail(span: Span, error: BaseException) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("error.type", error_type(error))
    span.set_status(Status(StatusCode.ERROR, type(error).__name__))


def error_type(error: BaseException) -> str:
    failure = getattr(error, "failure", None)
    return str(getattr(failure, "value", "")) or type(error).__name__


def ids() -> tuple[str, str]:
    """(trace id, span id) of the current span in hex, or ``("", "")``."""
    if _api is None:
        return "", ""
    context = _api[2].get_current_span().get_span_context()
    if not context.is_valid:
        return "", ""
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def exemplar() -> dict[str, str] | None:
    trace_id, span_id = ids()
    return {"trace_id": trace_id, "span_id": span_id} if trace_id else None


def inject(headers: MutableMapping[str, str]) -> None:
    """Add the current trace context (W3C ``traceparent``) to ``headers``."""
    if _api is not None:
        _api[1].inject(headers)


def mark_rpc_status(code: int, name: str) -> None:
    """Set the final gRPC status on the current (server) span: the attribute
    always, status ERROR for codes that are the server's fault."""
    if _api is None:
        return
    span = _api[2].get_current_span()
    if not span.is_recording():
        return
    span.set_attribute("rpc.grpc.status_code", code)
    if name in _SERVER_ERRORS:
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR, name))


__all__ = [
    "Tracing",
    "detach",
    "error_type",
    "exemplar",
    "fail",
    "ids",
    "inject",
    "mark_rpc_status",
]
