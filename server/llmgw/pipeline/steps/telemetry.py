"""Telemetry as a step: first in every chain, so its ``after`` runs last and
sees the whole call (usage, cost, every attempt's ledger row, the error).

``before``: note the start on the pipeline clock, count the call in flight
(unary) or the stream open, bind the request id (and, with tracing, the
trace and span ids) to every log line of this call.

``after`` (once; for streams when the stream ends, with the final usage):

* the GenAI instruments: operation duration (with an exemplar when tracing),
  token usage by type, time to first token and per output token (streams);
* cost per attempt row (retries and fallbacks are billed, so counted), by
  model, backend and tenant; caller rate-limit refusals;
* the outcome log line (``observability.request_log``: failures always,
  successes sampled).

Labels are configured names only (``observability.metrics``): the request
model label is the alias the plan resolved, never the caller's text. With
tracing off and a 1.0 success sample this step's cost per call is a clock
read, three gauge/counter updates, four histogram observations and one log
line; nothing runs per stream chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from llmgw.domain.clock import Clock
from llmgw.domain.errors import RateLimitedError
from llmgw.domain.models import Target
from llmgw.domain.requests import ChatRequest
from llmgw.observability.logging import bind_contextvars, unbind_contextvars
from llmgw.observability.metrics import UNRESOLVED, CallOutcome, Instruments
from llmgw.observability.request_log import RequestLog
from llmgw.observability.tracing import Tracing, error_type, exemplar, ids
from llmgw.pipeline.attempt_spans import AttemptSpan
from llmgw.pipeline.context import CallContext, Operation

# GenAI semconv operation names.
_GENAI_OPERATION = {
    Operation.CHAT: "chat",
    Operation.STREAM_CHAT: "chat",
    Operation.EMBED: "embeddings",
    Operation.COUNT_TOKENS: "count_tokens",
}
_RPC = {
    Operation.CHAT: "Chat",
    Operation.STREAM_CHAT: "StreamChat",
    Operation.EMBED: "Embed",
    Operation.COUNT_TOKENS: "CountTokens",
}


def _code_name(error: BaseException | None) -> str:
    return "OK" if error is None else type(error).__name__


@dataclass(frozen=True, slots=True)
class Telemetry:
    """What the telemetry step writes to; ``code_of`` maps an error to its gRPC
    code name (the API's status table, injected so the pipeline needs no grpc);
    ``providers`` maps a backend to its GenAI provider name (its preset)."""

    instruments: Instruments = field(default_factory=Instruments)
    log: RequestLog = field(default_factory=RequestLog)
    tracing: Tracing | None = None
    code_of: Callable[[BaseException | None], str] = _code_name
    providers: Mapping[str, str] = field(default_factory=dict)


class TelemetryStep:
    name = "telemetry"

    def __init__(self, telemetry: Telemetry, clock: Clock) -> None:
        self._t = telemetry
        self._clock = clock

    async def before(self, ctx: CallContext) -> None:
        ctx.started = self._clock.now()
        instruments = self._t.instruments
        if ctx.streaming:
            instruments.open_streams.inc(())
        else:
            instruments.in_flight.inc((_RPC[ctx.operation],))
        fields = {"request_id": ctx.request_id}
        if self._t.tracing is not None:
            fields["trace_id"], fields["span_id"] = ids()
        bind_contextvars(**fields)

    async def after(self, ctx: CallContext) -> None:
        t = self._t
        try:
            if ctx.attempt_span is not None:
                _end_stream_span(ctx)
            if ctx.streaming:
                t.instruments.open_streams.dec(())
            else:
                t.instruments.in_flight.dec((_RPC[ctx.operation],))
            seconds = self._clock.now() - ctx.started
            if ctx.operation is not Operation.COUNT_TOKENS:
                self._measure(ctx, seconds)
            if t.log.wanted(ctx.error is None):
                t.log.write(self._line(ctx, seconds))
        finally:
            unbind_contextvars("request_id", "trace_id", "span_id")

    def _measure(self, ctx: CallContext, seconds: float) -> None:
        instruments, error = self._t.instruments, ctx.error
        target = _target(ctx)
        genai = self._genai(ctx, target)
        usage = ctx.usage if error is None else None
        first_token = ctx.first_token_at - ctx.started if ctx.first_token_at else None
        outcome = CallOutcome(
            seconds,
            error_type(error) if error is not None else "",
            (usage.input_tokens, usage.output_tokens) if usage else (0, 0),
            first_token,
            exemplar() if self._t.tracing is not None else None,
        )
        instruments.call(genai, outcome)
        tenant = ctx.attribution.tenant
        if ctx.tab is not None:
            for row in ctx.tab.rows:
                instruments.charged(row.model, row.backend, tenant, row.cost_nanos, row.currency)
        if isinstance(error, RateLimitedError):
            instruments.refused(error.metadata.get("limit", ""), _scope_kind(error), tenant)

    def _genai(self, ctx: CallContext, target: Target | None) -> tuple[str, str, str, str, str]:
        operation = _GENAI_OPERATION[ctx.operation]
        if target is None:
            return (operation, "", UNRESOLVED, "", "")
        backend = target.backend
        response_model = target.model.id if ctx.target is not None else ""
        provider = self._t.providers.get(backend, backend)
        return (operation, provider, target.alias or target.model.id, response_model, backend)

    def _line(self, ctx: CallContext, seconds: float) -> dict[str, Any]:
        """The outcome line's fields (identifiers and numbers; text only with
        ``log_content``)."""
        target, usage, cost, error = _target(ctx), ctx.usage, ctx.cost, ctx.error
        a = ctx.attribution
        fields: dict[str, Any] = {
            "rpc": _RPC[ctx.operation],
            "principal": a.principal,
            "tenant": a.tenant,
            "project": a.project,
            "alias": target.alias if target else "",
            "model": target.model.id if target else "",
            "backend": ctx.target.backend if ctx.target else "",
            "status": self._t.code_of(error),
            "failure_class": error_type(error) if error is not None else "",
            "attempts": len(ctx.tab.rows) if ctx.tab is not None else 0,
            "input_tokens": usage.input_tokens if usage else 0,
            "output_tokens": usage.output_tokens if usage else 0,
            "cost_nanos": cost.total_nanos if cost else 0,
            "latency_ms": round(seconds * 1000, 3),
        }
        if ctx.first_token_at:
            fields["ttft_ms"] = round((ctx.first_token_at - ctx.started) * 1000, 3)
        if self._t.log.log_content:
            fields.update(_content(ctx))
        return fields


def _target(ctx: CallContext) -> Target | None:
    """The target that answered, else the first one planned (or none)."""
    if ctx.target is not None:
        return ctx.target
    return ctx.targets[0] if ctx.targets else None


def _end_stream_span(ctx: CallContext) -> None:
    """End the answering stream attempt's span: final usage, or what cut it."""
    span: AttemptSpan = ctx.attempt_span
    ctx.attempt_span = None
    if ctx.error is None:
        key_id = ctx.tab.rows[-1].upstream_key_id if ctx.tab is not None and ctx.tab.rows else ""
        span.succeeded(ctx.usage, ctx.stream_end, key_id)
    else:
        if ctx.usage is not None:  # what was produced before the cut (billed)
            span.span.set_attribute("gen_ai.usage.output_tokens", ctx.usage.output_tokens)
        span.failed(ctx.error)


def _scope_kind(error: RateLimitedError) -> str:
    """The kind of subject a limit refused (``tenants/t/users/u`` -> ``users``):
    a bounded label, never the subject's ids."""
    parts = error.metadata.get("subject", "").split("/")
    return parts[-2] if len(parts) >= 2 else parts[0]


def _content(ctx: CallContext) -> dict[str, str]:
    """Prompt and (unary) answer text: only when ``log_content`` is on."""
    request = ctx.request
    if not isinstance(request, ChatRequest):
        return {}
    prompt = "\n".join(m.text for m in request.messages)
    answer = ""
    result = ctx.result
    candidates = getattr(result, "candidates", None)
    if candidates:
        answer = "\n".join(c.message.text for c in candidates)
    return {"prompt": prompt, "answer": answer}


__all__ = ["Telemetry", "TelemetryStep"]
