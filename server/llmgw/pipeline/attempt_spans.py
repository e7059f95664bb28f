"""One trace span per upstream attempt (OpenTelemetry GenAI conventions).

The attempt step opens a span around each attempt: name ``{operation}
{model}``, kind CLIENT, a child of the gRPC server span, current while the
attempt runs (so the upstream HTTP request carries its ``traceparent`` when
the backend propagates trace context). Attributes: ``gen_ai.operation.name``,
``gen_ai.provider.name``, ``gen_ai.request.model`` (the alias asked for),
``gen_ai.response.model``, ``gen_ai.usage.input_tokens`` /
``output_tokens``, ``gen_ai.response.finish_reasons``, ``gen_ai.response.id``,
plus ``llmgw.backend``, ``llmgw.upstream_key_id``, ``llmgw.retry`` (earlier
attempts on the same target in this call) and, on failure, ``error.type``
(the failure class) with status ERROR.

A unary attempt's span ends with the attempt; a stream's stays open until
the stream ends (the telemetry step's finalizer ends it with the final usage,
finish reasons and response id of the stream's end event -- set once, nothing
per chunk -- or with the error that cut it). With tracing off ``open`` returns ``None`` and the
attempt step does nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from llmgw.domain.generation import Usage
from llmgw.domain.models import Target
from llmgw.domain.requests import ChatResponse, StreamEnd
from llmgw.observability.tracing import Tracing, detach, fail
from llmgw.pipeline.context import CallContext, Operation

if TYPE_CHECKING:
    from opentelemetry.trace import Span

_OPERATION = {
    Operation.CHAT: "chat",
    Operation.STREAM_CHAT: "chat",
    Operation.EMBED: "embeddings",
    Operation.COUNT_TOKENS: "count_tokens",
}


class AttemptSpan:
    """An open attempt span; ``detach`` in the task that opened it."""

    __slots__ = ("_token", "span")

    def __init__(self, span: Span, token: object) -> None:
        self.span = span
        self._token: object | None = token

    def detach(self) -> None:
        if self._token is not None:
            detach(self._token)
            self._token = None

    def succeeded(
        self, usage: Usage | None, response: object = None, key_id: str = ""
    ) -> None:
        """Usage, response id and finish reasons (of a unary ``ChatResponse``
        or a stream's ``StreamEnd``); ends the span."""
        span = self.span
        if usage is not None:
            span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens)
            span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens)
        if key_id:
            span.set_attribute("llmgw.upstream_key_id", key_id)
        if isinstance(response, ChatResponse | StreamEnd):
            if response.upstream_id:
                span.set_attribute("gen_ai.response.id", response.upstream_id)
            reasons = [c.finish_reason.value for c in response.candidates]
            span.set_attribute("gen_ai.response.finish_reasons", reasons)
        span.end()

    def failed(self, error: BaseException) -> None:
        fail(self.span, error)
        self.span.end()


class AttemptSpans:
    """Opens attempt spans when tracing is on (``providers`` maps backend -> preset)."""

    def __init__(self, tracing: Tracing | None, providers: Mapping[str, str]) -> None:
        self._tracing = tracing
        self._providers = providers

    def open(self, ctx: CallContext, target: Target) -> AttemptSpan | None:
        tracing = self._tracing
        if tracing is None:
            return None
        backend, model = target.backend, target.model.id
        retry = (
            sum(1 for r in ctx.tab.rows if r.backend == backend and r.model == model)
            if ctx.tab is not None
            else 0
        )
        operation = _OPERATION[ctx.operation]
        attributes = {
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": self._providers.get(backend, backend),
            "gen_ai.request.model": target.alias or model,
            "gen_ai.response.model": model,
            "llmgw.backend": backend,
            "llmgw.retry": retry,
        }
        span, token = tracing.start_current(f"{operation} {model}", attributes)
        return AttemptSpan(span, token)


__all__ = ["AttemptSpan", "AttemptSpans"]
