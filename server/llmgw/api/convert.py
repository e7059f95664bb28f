"""Proto -> domain requests, and the shared money, usage, cost and route fillers.

Requests are converted after ``llmgw.api.validation`` accepted them. Results
are built straight into response messages (``api/convert_out.py``); money goes out as
``google.type.Money`` from integer nanos (never a float).
"""

from __future__ import annotations

from collections.abc import Sequence

from google.type import money_pb2
from llmgateway.v1 import content_pb2, gateway_service_pb2, generation_pb2, routing_pb2

from llmgw.api.billing import billing
from llmgw.api.checks import money_nanos
from llmgw.api.struct_values import struct_values
from llmgw.domain.cache import CacheMode, CachePolicy
from llmgw.domain.errors import FieldViolation, InvalidRequestError, PermissionDeniedError
from llmgw.domain.generation import (
    FinishReason,
    FunctionDeclaration,
    GenerationConfig,
    ReasoningEffort,
    ResponseFormat,
    ToolChoice,
    ToolChoiceMode,
    Usage,
)
from llmgw.domain.messages import (
    MediaDetail,
    MediaPart,
    Message,
    Part,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from llmgw.domain.models import Capability
from llmgw.domain.money import NANOS_PER_UNIT, Cost, split_nanos
from llmgw.domain.principal import ANONYMOUS, Principal
from llmgw.domain.requests import (
    ChatRequest,
    EmbedRequest,
    RoutingHints,
)
from llmgw.pipeline.results import RouteInfo

ROLES = {
    content_pb2.ROLE_SYSTEM: Role.SYSTEM,
    content_pb2.ROLE_USER: Role.USER,
    content_pb2.ROLE_ASSISTANT: Role.ASSISTANT,
    content_pb2.ROLE_TOOL: Role.TOOL,
}
_DETAILS = {
    content_pb2.Media.DETAIL_LOW: MediaDetail.LOW,
    content_pb2.Media.DETAIL_HIGH: MediaDetail.HIGH,
}
_TOOL_MODES = {
    content_pb2.ToolChoice.MODE_AUTO: ToolChoiceMode.AUTO,
    content_pb2.ToolChoice.MODE_NONE: ToolChoiceMode.NONE,
    content_pb2.ToolChoice.MODE_REQUIRED: ToolChoiceMode.REQUIRED,
}
_EFFORTS = {
    generation_pb2.ReasoningConfig.EFFORT_NONE: ReasoningEffort.NONE,
    generation_pb2.ReasoningConfig.EFFORT_LOW: ReasoningEffort.LOW,
    generation_pb2.ReasoningConfig.EFFORT_MEDIUM: ReasoningEffort.MEDIUM,
    generation_pb2.ReasoningConfig.EFFORT_HIGH: ReasoningEffort.HIGH,
}
FINISH_REASONS = {
    FinishReason.UNSPECIFIED: generation_pb2.FINISH_REASON_UNSPECIFIED,
    FinishReason.STOP: generation_pb2.FINISH_REASON_STOP,
    FinishReason.MAX_TOKENS: generation_pb2.FINISH_REASON_MAX_TOKENS,
    FinishReason.TOOL_CALLS: generation_pb2.FINISH_REASON_TOOL_CALLS,
    FinishReason.CONTENT_FILTER: generation_pb2.FINISH_REASON_CONTENT_FILTER,
    FinishReason.CONTEXT_WINDOW: generation_pb2.FINISH_REASON_CONTEXT_WINDOW,
    FinishReason.COST_CAP: generation_pb2.FINISH_REASON_COST_CAP,
    FinishReason.MALFORMED_TOOL_CALL: generation_pb2.FINISH_REASON_MALFORMED_TOOL_CALL,
    FinishReason.OTHER: generation_pb2.FINISH_REASON_OTHER,
}
CAPABILITIES = {
    Capability.STREAMING: routing_pb2.CAPABILITY_STREAMING,
    Capability.TOOLS: routing_pb2.CAPABILITY_TOOLS,
    Capability.JSON_SCHEMA: routing_pb2.CAPABILITY_JSON_SCHEMA,
    Capability.VISION: routing_pb2.CAPABILITY_VISION,
    Capability.AUDIO_INPUT: routing_pb2.CAPABILITY_AUDIO_INPUT,
    Capability.REASONING: routing_pb2.CAPABILITY_REASONING,
    Capability.LOGPROBS: routing_pb2.CAPABILITY_LOGPROBS,
    Capability.SEED: routing_pb2.CAPABILITY_SEED,
    Capability.GUIDED_DECODING: routing_pb2.CAPABILITY_GUIDED_DECODING,
    Capability.EMBEDDINGS: routing_pb2.CAPABILITY_EMBEDDINGS,
}
_CAPABILITIES_IN = {v: k for k, v in CAPABILITIES.items()}
_STRATEGIES = {
    routing_pb2.ROUTING_STRATEGY_PRIORITIZE_QUALITY: "quality",
    routing_pb2.ROUTING_STRATEGY_BALANCED: "balanced",
    routing_pb2.ROUTING_STRATEGY_PRIORITIZE_COST: "cost",
    routing_pb2.ROUTING_STRATEGY_PRIORITIZE_LATENCY: "latency",
    routing_pb2.ROUTING_STRATEGY_LOCAL_FIRST: "local_first",
    routing_pb2.ROUTING_STRATEGY_CAPABILITY_MATCH: "capability",
}
_FALLBACK_MODES = {
    routing_pb2.FALLBACK_MODE_NONE: "none",
    routing_pb2.FALLBACK_MODE_SAME_MODEL: "same_model",
    routing_pb2.FALLBACK_MODE_EQUIVALENT: "equivalent",
    routing_pb2.FALLBACK_MODE_ANY: "any",
}


# ---------------------------------------------------------------- requests in


_DEFAULT_GENERATION = GenerationConfig()
_DEFAULT_ROUTING = RoutingHints()
_TASK_TYPES = {value: name for name, value in gateway_service_pb2.EmbeddingTaskType.items()}


def chat_request(
    request: gateway_service_pb2.ChatRequest,
    request_id: str = "",
    principal: Principal = ANONYMOUS,
) -> ChatRequest:
    """Domain request; ``request_id`` replaces the caller's (which may be empty).
    Identity fields of the attribution come from ``principal``, never the body."""
    has = request.HasField
    routed = has("routing")
    _check_models(principal, request.model, request.routing.fallback_models if routed else ())
    return ChatRequest(
        request.model.strip(),
        tuple([_message(m) for m in request.messages]),
        _generation(request.generation_config) if has("generation_config") else _DEFAULT_GENERATION,
        tuple([_function(t) for t in request.tools]) if request.tools else (),
        _tool_choice(request.tool_choice) if has("tool_choice") else None,
        _routing(request.routing) if routed else _DEFAULT_ROUTING,
        billing(request, principal),
        request_id or request.request_id,
        bool(request.request_id),
    )


def _function(tool: content_pb2.Tool) -> FunctionDeclaration:
    function = tool.function
    return FunctionDeclaration(
        function.name, function.description, function.parameters_json_schema, function.strict
    )


def embed_request(
    request: gateway_service_pb2.EmbedRequest, principal: Principal = ANONYMOUS
) -> EmbedRequest:
    has = request.HasField
    routed = has("routing")
    _check_models(principal, request.model, request.routing.fallback_models if routed else ())
    return EmbedRequest(
        model=request.model.strip(),
        inputs=tuple([i.text for i in request.inputs]),
        dimensions=request.output_dimensionality if has("output_dimensionality") else None,
        task_type=_TASK_TYPES.get(request.task_type, ""),
        attribution=billing(request, principal),
        routing=_routing(request.routing) if routed else _DEFAULT_ROUTING,
        request_id=request.request_id,
        idempotent=bool(request.request_id),
    )


def _message(message: content_pb2.Message) -> Message:
    return Message(ROLES[message.role], tuple([_part(p) for p in message.parts]), message.name)


def _part(part: content_pb2.Part) -> Part:
    kind = part.WhichOneof("kind")
    if kind == "text":
        return TextPart(part.text)
    if kind == "media":
        return _media(part.media)
    if kind == "tool_call":
        call = part.tool_call
        return ToolCallPart(call.id, call.name, call.arguments_json)
    if kind == "tool_result":
        result = part.tool_result
        content: list[TextPart | MediaPart] = []
        for inner in result.content:
            if inner.WhichOneof("kind") == "text":
                content.append(TextPart(inner.text))
            elif inner.WhichOneof("kind") == "media":
                content.append(_media(inner.media))
        return ToolResultPart(result.tool_call_id, tuple(content), result.name, result.is_error)
    reasoning = part.reasoning
    return ReasoningPart(reasoning.text, reasoning.signature, reasoning.redacted)


def _media(media: content_pb2.Media) -> MediaPart:
    source = media.WhichOneof("source")
    return MediaPart(
        mime_type=media.mime_type,
        data=media.data if source == "data" else None,
        uri=media.uri if source == "uri" else None,
        detail=_DETAILS.get(media.detail, MediaDetail.AUTO),
    )


def _generation(config: generation_pb2.GenerationConfig) -> GenerationConfig:
    h = config.HasField
    reasoning = config.reasoning
    return GenerationConfig(
        temperature=config.temperature if h("temperature") else None,
        top_p=config.top_p if h("top_p") else None,
        top_k=config.top_k if h("top_k") else None,
        max_output_tokens=config.max_output_tokens if h("max_output_tokens") else None,
        stop_sequences=tuple(config.stop_sequences),
        seed=config.seed if h("seed") else None,
        presence_penalty=config.presence_penalty if h("presence_penalty") else None,
        frequency_penalty=config.frequency_penalty if h("frequency_penalty") else None,
        candidate_count=config.candidate_count if h("candidate_count") else None,
        logprobs=config.logprobs if h("logprobs") else None,
        top_logprobs=config.top_logprobs if h("top_logprobs") else None,
        response_format=_response_format(config.response_format) if h("response_format") else None,
        reasoning_effort=_EFFORTS.get(reasoning.effort, ReasoningEffort.UNSPECIFIED),
        reasoning_budget_tokens=(
            reasoning.budget_token_count if reasoning.HasField("budget_token_count") else None
        ),
        backend_parameters=(
            struct_values(config.backend_parameters) if h("backend_parameters") else {}
        ),
    )


def _response_format(fmt: content_pb2.ResponseFormat) -> ResponseFormat:
    kind = fmt.WhichOneof("format")
    if kind == "json_object":
        return ResponseFormat("json_object")
    if kind == "json_schema":
        schema = fmt.json_schema
        return ResponseFormat(
            "json_schema", schema.schema_json, schema.name, schema.description, schema.strict
        )
    if kind == "regex":
        return ResponseFormat("regex", pattern=fmt.regex)
    if kind == "ebnf_grammar":
        return ResponseFormat("ebnf", pattern=fmt.ebnf_grammar)
    return ResponseFormat("text")


def _tool_choice(choice: content_pb2.ToolChoice) -> ToolChoice:
    return ToolChoice(
        mode=_TOOL_MODES.get(choice.mode, ToolChoiceMode.UNSPECIFIED),
        allowed_function_names=tuple(choice.allowed_function_names),
        parallel_tool_calls=(
            choice.parallel_tool_calls if choice.HasField("parallel_tool_calls") else None
        ),
    )


def _routing(options: routing_pb2.RoutingOptions) -> RoutingHints:
    return RoutingHints(
        strategy=_STRATEGIES.get(options.strategy, ""),
        required_capabilities=frozenset(
            _CAPABILITIES_IN[c] for c in options.required_capabilities if c in _CAPABILITIES_IN
        ),
        min_context_tokens=(
            options.min_context_token_count if options.HasField("min_context_token_count") else None
        ),
        fallback_models=tuple(options.fallback_models),
        fallback_mode=_FALLBACK_MODES.get(options.fallback_mode, ""),
        pinned_backend=options.pinned_backend,
        max_cost_nanos=(
            _max_cost(options.max_cost)
            if options.HasField("max_cost")
            else None
        ),
        allow_downgrade=options.allow_downgrade if options.HasField("allow_downgrade") else None,
        prompt_cache_key=options.cache_policy.prompt_cache_key,
        cache=_cache_policy(options.cache_policy) if options.HasField("cache_policy") else None,
    )



def _max_cost(value: money_pb2.Money) -> int:
    """A request's cost cap in nanos of the price book's currency (checked)."""
    nanos, _currency = money_nanos(value, "routing.max_cost")
    if nanos < 0:
        raise InvalidRequestError(
            (FieldViolation("routing.max_cost", "must be >= 0", "VALUE_OUT_OF_RANGE"),)
        )
    return nanos



_CACHE_MODES = {
    routing_pb2.CACHE_MODE_BYPASS: CacheMode.BYPASS,
    routing_pb2.CACHE_MODE_READ_WRITE: CacheMode.READ_WRITE,
    routing_pb2.CACHE_MODE_REFRESH: CacheMode.REFRESH,
}


def _cache_policy(policy: routing_pb2.CachePolicy) -> CachePolicy:
    max_age = policy.max_age.ToTimedelta().total_seconds() if policy.HasField("max_age") else None
    return CachePolicy(_CACHE_MODES.get(policy.mode, CacheMode.UNSPECIFIED), max_age)


def _check_models(principal: Principal, model: str, fallbacks: Sequence[str]) -> None:
    """A key's model allow-list applies to the names the caller asks for (model
    ids, ``backend/model`` or aliases), fallbacks included."""
    if not principal.models:  # no allow-list: every name may be called
        return
    for name in (model.strip(), *fallbacks):
        if name and not principal.may_call(name):
            raise PermissionDeniedError(
                f"this credential may not call model {name!r}",
                {"model": name, "principal": principal.subject},
            )


# ---------------------------------------------------------------- results out


# Responses are filled by attribute assignment into sub-messages: with upb this
# is about three times cheaper than nested constructors, and it runs on every
# response.


def fill_money(target: money_pb2.Money, nanos: int, currency: str) -> None:
    units, rest = divmod(nanos, NANOS_PER_UNIT) if nanos >= 0 else split_nanos(nanos)
    target.currency_code = currency
    target.units = units
    target.nanos = rest


def money(nanos: int, currency: str = "USD") -> money_pb2.Money:
    out = money_pb2.Money()
    fill_money(out, nanos, currency)
    return out


def fill_usage(target: generation_pb2.Usage, value: Usage) -> None:
    target.input_token_count = value.input_tokens
    target.output_token_count = value.output_tokens
    target.total_token_count = value.input_tokens + value.output_tokens
    if value.cached_input_tokens:
        target.cached_input_token_count = value.cached_input_tokens
    if value.cache_write_input_tokens:
        target.cache_write_input_token_count = value.cache_write_input_tokens
    if value.reasoning_tokens:
        target.reasoning_token_count = value.reasoning_tokens


def usage(value: Usage) -> generation_pb2.Usage:
    out = generation_pb2.Usage()
    fill_usage(out, value)
    return out


def fill_cost(target: generation_pb2.Cost, value: Cost) -> None:
    fill_money(target.total, value.total_nanos, value.currency)
    fill_money(target.input, value.input_nanos, value.currency)
    fill_money(target.output, value.output_nanos, value.currency)
    target.estimated = value.estimated or not value.priced
    target.pricing_version = value.pricing_version if value.priced else "unpriced"


def cost(value: Cost) -> generation_pb2.Cost:
    out = generation_pb2.Cost()
    fill_cost(out, value)
    return out


def fill_route(target: routing_pb2.RouteInfo, value: RouteInfo) -> None:
    target.alias = value.alias
    target.model = value.model
    target.backend = value.backend
    target.attempt_count = value.attempts
    if value.failed_backends:
        target.failed_backends.extend(value.failed_backends)
    if value.cache_hit:
        target.cache_hit = True
    if value.coalesced:
        target.coalesced = True
    if value.semantic_similarity is not None:
        target.semantic_cache_hit = True
        target.semantic_similarity = value.semantic_similarity


def route(value: RouteInfo) -> routing_pb2.RouteInfo:
    out = routing_pb2.RouteInfo()
    fill_route(out, value)
    return out


__all__ = [
    "CAPABILITIES",
    "FINISH_REASONS",
    "ROLES",
    "chat_request",
    "cost",
    "embed_request",
    "fill_cost",
    "fill_money",
    "fill_route",
    "fill_usage",
    "money",
    "route",
    "usage",
]
