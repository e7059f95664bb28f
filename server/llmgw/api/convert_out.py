"""Domain results -> ``GatewayService`` responses (pure): chat and embed
responses, stream finishes, model listings. Request-side conversion and the
shared money/usage/route fillers live in ``api/convert.py``.
"""

from __future__ import annotations

import array
import sys
from collections.abc import Sequence
from decimal import Decimal

from google.type import money_pb2
from llmgateway.v1 import content_pb2, gateway_service_pb2

from llmgw.api.convert import (
    CAPABILITIES,
    FINISH_REASONS,
    ROLES,
    cost,
    fill_cost,
    fill_route,
    fill_usage,
    money,
    route,
    usage,
)
from llmgw.domain.messages import (
    MediaPart,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
)
from llmgw.domain.models import ModelInfo, ModelType
from llmgw.domain.money import ModelPrice, decimal_to_nanos
from llmgw.domain.requests import (
    CandidateEnd,
)
from llmgw.pipeline.results import Completion, EmbedResult, ModelListing

_ROLES_OUT = {v: k for k, v in ROLES.items()}


def _part_out(part: Part) -> content_pb2.Part:
    if isinstance(part, TextPart):
        return content_pb2.Part(text=part.text)
    if isinstance(part, ToolCallPart):
        return content_pb2.Part(
            tool_call=content_pb2.ToolCall(
                id=part.id, name=part.name, arguments_json=part.arguments_json
            )
        )
    if isinstance(part, ReasoningPart):
        return content_pb2.Part(
            reasoning=content_pb2.Reasoning(
                text=part.text, signature=part.signature, redacted=part.redacted
            )
        )
    if isinstance(part, MediaPart):
        media = content_pb2.Media(mime_type=part.mime_type)
        if part.uri:
            media.uri = part.uri
        else:
            media.data = part.data or b""
        return content_pb2.Part(media=media)
    return content_pb2.Part(
        tool_result=content_pb2.ToolResult(tool_call_id=part.tool_call_id, name=part.name)
    )


def chat_response(completion: Completion) -> gateway_service_pb2.ChatResponse:
    response = gateway_service_pb2.ChatResponse(
        response_id=completion.response_id, request_id=completion.request_id
    )
    candidates = response.candidates
    for c in completion.response.candidates:
        candidate = candidates.add(
            finish_reason=FINISH_REASONS[c.finish_reason],
            backend_finish_reason=c.backend_finish_reason,
        )
        if c.index:
            candidate.index = c.index
        if c.stop_sequence:
            candidate.stop_sequence = c.stop_sequence
        message = candidate.message
        message.role = _ROLES_OUT[c.message.role]
        parts = c.message.parts
        if len(parts) == 1 and type(parts[0]) is TextPart:
            message.parts.add(text=parts[0].text)
        else:
            message.parts.extend(_part_out(p) for p in parts)
    fill_usage(response.usage, completion.response.usage)
    fill_cost(response.cost, completion.cost)
    fill_route(response.route, completion.route)
    # Timestamp.FromNanoseconds, without its range check (the clock's own time).
    response.create_time.seconds, response.create_time.nanos = divmod(
        int(completion.created_at * 1e9), 1_000_000_000
    )
    return response


def candidate_finishes(ends: Sequence[CandidateEnd]) -> list[gateway_service_pb2.CandidateFinish]:
    return [
        gateway_service_pb2.CandidateFinish(
            index=e.index,
            finish_reason=FINISH_REASONS[e.finish_reason],
            stop_sequence=e.stop_sequence,
            backend_finish_reason=e.backend_finish_reason,
        )
        for e in ends
    ]


def embed_response(result: EmbedResult, packed: bool) -> gateway_service_pb2.EmbedResponse:
    vectors = result.response.vectors
    embeddings = []
    for i, vector in enumerate(vectors):
        if packed:
            values = array.array("f", vector)
            if values.itemsize != 4:  # pragma: no cover - every CPython platform has 4
                raise RuntimeError("float32 array item size is not 4")
            if sys.byteorder != "little":  # pragma: no cover
                values.byteswap()
            embeddings.append(
                gateway_service_pb2.Embedding(index=i, packed_values=values.tobytes())
            )
        else:
            embeddings.append(
                gateway_service_pb2.Embedding(
                    index=i, float_values=gateway_service_pb2.FloatVector(values=vector)
                )
            )
    return gateway_service_pb2.EmbedResponse(
        response_id=result.response_id,
        embeddings=embeddings,
        dimension_count=len(vectors[0]) if vectors else 0,
        encoding=(
            gateway_service_pb2.EMBEDDING_ENCODING_FLOAT32_BYTES
            if packed
            else gateway_service_pb2.EMBEDDING_ENCODING_FLOAT
        ),
        usage=usage(result.response.usage),
        cost=cost(result.cost),
        route=route(result.route),
    )


def _per_million(value: Decimal, currency: str) -> money_pb2.Money:
    return money(decimal_to_nanos(value), currency)


def model(models: Sequence[ModelListing], full: bool) -> gateway_service_pb2.Model:
    """One ``Model`` from the listings sharing an id (one per serving backend)."""
    first = models[0]
    info: ModelInfo = first.info
    out = gateway_service_pb2.Model(
        id=info.id,
        display_name=info.display_name or info.id,
        type=(
            gateway_service_pb2.MODEL_TYPE_EMBEDDING
            if info.type is ModelType.EMBEDDING
            else gateway_service_pb2.MODEL_TYPE_CHAT
        ),
        aliases=sorted({a for m in models for a in m.aliases}),
        simulated=info.simulated,
    )
    # Every view: what a caller needs to choose a model. Only placement (which
    # backend serves it) is operator information, FULL view with admin scope.
    out.capabilities.extend(CAPABILITIES[c] for c in sorted(info.capabilities))
    out.input_token_limit = info.context_window
    out.output_token_limit = info.max_output_tokens
    out.max_batch_size = info.max_batch_size
    price: ModelPrice | None = first.price
    if price is not None:
        out.pricing.CopyFrom(
            gateway_service_pb2.Pricing(
                input_per_million_tokens=_per_million(price.input_per_mtok, price.currency),
                output_per_million_tokens=_per_million(price.output_per_mtok, price.currency),
                pricing_version=price.version,
            )
        )
        if price.cached_input_per_mtok is not None:
            out.pricing.cached_input_per_million_tokens.CopyFrom(
                _per_million(price.cached_input_per_mtok, price.currency)
            )
    if full:
        out.backends.extend(m.info.backend for m in models)
    return out


__all__ = ["candidate_finishes", "chat_response", "embed_response", "model"]
