"""Request validation at the edge: proto in, ``FieldViolation``s out.

Runs before any routing or upstream call, so a malformed request costs nothing
and never reaches a provider. Paths use proto field names as the caller sent
them (``chat.generation_config.temperature``), one violation per bad field, as
``google.rpc.BadRequest`` expects. NaN and infinities are out of every range.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from llmgateway.v1 import content_pb2, gateway_service_pb2, generation_pb2, routing_pb2

from llmgw.api.struct_values import struct_values
from llmgw.domain import backend_parameters
from llmgw.domain.errors import FieldViolation, InvalidRequestError
from llmgw.domain.ids import new_id

_KNOWN_ROLES = frozenset(
    {
        content_pb2.ROLE_SYSTEM,
        content_pb2.ROLE_USER,
        content_pb2.ROLE_ASSISTANT,
        content_pb2.ROLE_TOOL,
    }
)
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_STOP_SEQUENCES = 16
MAX_CANDIDATES = 8
MAX_MESSAGES = 10_000
# Attribution and ids are written to the ledger (end user and labels are part
# of the hourly rollup key) and sent upstream, so they are bounded here.
MAX_LABELS = 16  # proto: "lowercase keys <= 63 chars; at most 16 entries"
_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
MAX_LABEL_VALUE = 256
MAX_END_USER_ID = 64  # OpenAI safety_identifier's limit (the proto's anchor)
MAX_PROJECT = 128
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")  # a UUID4 fits (AIP-155)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class SizeLimits:
    """Request-size limits from config (``rate_limits``); 0 = no limit.

    Characters count text parts, tool-call arguments and tool-result text
    (what is sent upstream as tokens); for embeddings, the input texts.
    """

    max_messages: int = MAX_MESSAGES
    max_total_characters: int = 0
    max_output_tokens: int = 0


NO_SIZE_LIMITS = SizeLimits()

# (field, low, high) for optional scalars of GenerationConfig.
_RANGES: tuple[tuple[str, float, float], ...] = (
    ("temperature", 0.0, 2.0),
    ("top_p", 0.0, 1.0),
    ("top_k", 1, 1_000),
    ("max_output_tokens", 1, 10_000_000),
    ("presence_penalty", -2.0, 2.0),
    ("frequency_penalty", -2.0, 2.0),
    ("candidate_count", 1, MAX_CANDIDATES),
    ("top_logprobs", 0, 20),
)


def request_id_for(requested: str) -> str:
    """The id to answer and log with: the caller's when it is a valid id (see
    ``_REQUEST_ID``), else a fresh one, so a refused 1 MB id is never echoed
    into error metadata (where it would exceed the header limit) or logs."""
    return requested if requested and _REQUEST_ID.fullmatch(requested) else new_id()


def check_chat(
    request: gateway_service_pb2.ChatRequest, prefix: str = "", limits: SizeLimits = NO_SIZE_LIMITS
) -> None:
    """Raise ``InvalidRequestError`` listing every bad field of ``request``.

    Checks whose fields the request leaves at their defaults are skipped
    (they could not find anything): this runs on every chat."""
    violations: list[FieldViolation] = []
    max_messages = limits.max_messages
    messages = request.messages
    if not request.model.strip():
        violations.append(FieldViolation(f"{prefix}model", "is required", "REQUIRED"))
    if not messages:
        violations.append(
            FieldViolation(f"{prefix}messages", "at least one message is required", "REQUIRED")
        )
    elif len(messages) > max_messages:
        violations.append(
            FieldViolation(f"{prefix}messages", f"at most {max_messages} messages", "TOO_MANY")
        )
    if limits.max_total_characters or limits.max_output_tokens:
        _check_sizes(request, prefix, limits, violations)
    for i, message in enumerate(messages):
        if not _plain(message):
            _check_message(message, f"{prefix}messages[{i}]", violations)
    has = request.HasField
    if has("generation_config"):
        _check_generation(request.generation_config, f"{prefix}generation_config", violations)
    for i, tool in enumerate(request.tools):
        _check_tool(tool, f"{prefix}tools[{i}]", violations)
    if request.request_id or has("attribution"):
        _check_ids(request.request_id, request.attribution, prefix, violations)
    if violations:
        raise InvalidRequestError(tuple(violations))


def _plain(message: content_pb2.Message) -> bool:
    """A known role and text parts only: ``_check_message`` would find nothing."""
    if message.role not in _KNOWN_ROLES or not message.parts:
        return False
    for part in message.parts:  # noqa: SIM110 - a loop: no generator per message
        if part.WhichOneof("kind") != "text":
            return False
    return True


def check_embed(
    request: gateway_service_pb2.EmbedRequest, max_batch: int, limits: SizeLimits = NO_SIZE_LIMITS
) -> None:
    violations: list[FieldViolation] = []
    if limits.max_total_characters:
        total = sum(len(i.text) for i in request.inputs if i.WhichOneof("input") == "text")
        if total > limits.max_total_characters:
            violations.append(
                FieldViolation(
                    "inputs",
                    f"{total} characters exceed the limit of {limits.max_total_characters}",
                    "TOO_LARGE",
                )
            )
    if not request.model.strip():
        violations.append(FieldViolation("model", "is required", "REQUIRED"))
    if not request.inputs:
        violations.append(FieldViolation("inputs", "at least one input is required", "REQUIRED"))
    elif len(request.inputs) > max_batch:
        violations.append(
            FieldViolation("inputs", f"at most {max_batch} inputs per request", "TOO_MANY")
        )
    _check_embed_inputs(request, violations)
    if request.HasField("output_dimensionality") and not (
        1 <= request.output_dimensionality <= 65_536
    ):
        violations.append(
            FieldViolation("output_dimensionality", "must be in [1, 65536]", "VALUE_OUT_OF_RANGE")
        )
    if request.request_id or request.HasField("attribution"):
        _check_ids(request.request_id, request.attribution, "", violations)
    if violations:
        raise InvalidRequestError(tuple(violations))


def _check_embed_inputs(
    request: gateway_service_pb2.EmbedRequest, violations: list[FieldViolation]
) -> None:
    """Each input is non-empty text (media embeddings are not supported yet)."""
    for i, item in enumerate(request.inputs):
        kind = item.WhichOneof("input")
        if kind is None or (kind == "text" and not item.text):
            violations.append(FieldViolation(f"inputs[{i}]", "must be non-empty text", "REQUIRED"))
        elif kind == "media":
            violations.append(
                FieldViolation(
                    f"inputs[{i}].media", "media embeddings are not supported yet", "UNSUPPORTED"
                )
            )


def _check_sizes(
    request: gateway_service_pb2.ChatRequest,
    prefix: str,
    limits: SizeLimits,
    violations: list[FieldViolation],
) -> None:
    """Total characters and the output-token cap (only when configured)."""
    if limits.max_total_characters:
        total = sum(_part_characters(p) for m in request.messages for p in m.parts)
        if total > limits.max_total_characters:
            violations.append(
                FieldViolation(
                    f"{prefix}messages",
                    f"{total} characters exceed the limit of {limits.max_total_characters}",
                    "TOO_LARGE",
                )
            )
    config = request.generation_config
    if (
        limits.max_output_tokens
        and request.HasField("generation_config")
        and config.HasField("max_output_tokens")
        and config.max_output_tokens > limits.max_output_tokens
    ):
        violations.append(
            FieldViolation(
                f"{prefix}generation_config.max_output_tokens",
                f"must be at most {limits.max_output_tokens}",
                "VALUE_OUT_OF_RANGE",
            )
        )


def _part_characters(part: content_pb2.Part) -> int:
    kind = part.WhichOneof("kind")
    if kind == "text":
        return len(part.text)
    if kind == "tool_call":
        return len(part.tool_call.arguments_json)
    if kind == "tool_result":
        return sum(_part_characters(p) for p in part.tool_result.content)
    return 0


def _check_message(
    message: content_pb2.Message, path: str, violations: list[FieldViolation]
) -> None:
    if message.role not in _KNOWN_ROLES:
        violations.append(
            FieldViolation(f"{path}.role", "must be SYSTEM, USER, ASSISTANT or TOOL", "REQUIRED")
        )
    if not message.parts:
        violations.append(FieldViolation(f"{path}.parts", "at least one part", "REQUIRED"))
    for j, part in enumerate(message.parts):
        _check_part(part, f"{path}.parts[{j}]", violations)


def _check_part(part: content_pb2.Part, path: str, violations: list[FieldViolation]) -> None:
    kind = part.WhichOneof("kind")
    if kind is None:
        violations.append(FieldViolation(path, "one of text, media, tool_call, ... is required"))
    elif kind == "media":
        media = part.media
        if not media.mime_type:
            violations.append(FieldViolation(f"{path}.media.mime_type", "is required", "REQUIRED"))
        if media.WhichOneof("source") is None:
            violations.append(
                FieldViolation(f"{path}.media", "data or uri is required", "REQUIRED")
            )
    elif kind == "tool_call":
        if not part.tool_call.id or not part.tool_call.name:
            violations.append(
                FieldViolation(f"{path}.tool_call", "id and name are required", "REQUIRED")
            )
        arguments = part.tool_call.arguments_json
        if arguments and not _is_json_object(arguments):
            # Anthropic's wire carries arguments as an object, and a fallback may
            # send the conversation to any dialect: refused everywhere alike.
            violations.append(
                FieldViolation(
                    f"{path}.tool_call.arguments_json",
                    "must be a JSON object (repair or drop a malformed call before sending it"
                    " back)",
                    "INVALID_JSON",
                )
            )
    elif kind == "tool_result":
        if not part.tool_result.tool_call_id:
            violations.append(
                FieldViolation(f"{path}.tool_result.tool_call_id", "is required", "REQUIRED")
            )
        for k, inner in enumerate(part.tool_result.content):
            if inner.WhichOneof("kind") not in ("text", "media"):
                violations.append(
                    FieldViolation(
                        f"{path}.tool_result.content[{k}]", "must be text or media", "INVALID"
                    )
                )


def _check_generation(
    config: generation_pb2.GenerationConfig, path: str, violations: list[FieldViolation]
) -> None:
    for name, low, high in _RANGES:
        if config.HasField(name):  # type: ignore[arg-type]
            value = getattr(config, name)
            if not (math.isfinite(value) and low <= value <= high):
                violations.append(
                    FieldViolation(
                        f"{path}.{name}", f"must be in [{low}, {high}]", "VALUE_OUT_OF_RANGE"
                    )
                )
    if len(config.stop_sequences) > MAX_STOP_SEQUENCES:
        violations.append(
            FieldViolation(
                f"{path}.stop_sequences", f"at most {MAX_STOP_SEQUENCES} sequences", "TOO_MANY"
            )
        )
    if any(not s for s in config.stop_sequences):
        violations.append(
            FieldViolation(f"{path}.stop_sequences", "must not contain empty strings", "INVALID")
        )
    if config.response_format.WhichOneof("format") == "json_schema":
        schema = config.response_format.json_schema.schema_json
        if not _is_json_object(schema):
            violations.append(
                FieldViolation(
                    f"{path}.response_format.json_schema.schema_json",
                    "must be a JSON object",
                    "INVALID_JSON",
                )
            )
    if config.HasField("backend_parameters"):
        violations.extend(
            backend_parameters.check(
                struct_values(config.backend_parameters), f"{path}.backend_parameters"
            )
        )
    reasoning = config.reasoning
    if reasoning.HasField("budget_token_count") and reasoning.budget_token_count < 0:
        violations.append(
            FieldViolation(
                f"{path}.reasoning.budget_token_count", "must be >= 0", "VALUE_OUT_OF_RANGE"
            )
        )


def _check_tool(tool: content_pb2.Tool, path: str, violations: list[FieldViolation]) -> None:
    if tool.WhichOneof("kind") != "function":
        violations.append(FieldViolation(path, "function is required", "REQUIRED"))
        return
    function = tool.function
    if not _TOOL_NAME.match(function.name):
        violations.append(
            FieldViolation(
                f"{path}.function.name", "must match ^[a-zA-Z0-9_-]{1,64}$", "INVALID_NAME"
            )
        )
    if function.parameters_json_schema and not _is_json_object(function.parameters_json_schema):
        violations.append(
            FieldViolation(
                f"{path}.function.parameters_json_schema", "must be a JSON object", "INVALID_JSON"
            )
        )


def _check_ids(
    request_id: str,
    attribution: routing_pb2.Attribution,
    prefix: str,
    violations: list[FieldViolation],
) -> None:
    """Bounds of ``request_id`` and ``attribution`` (the README lists them)."""
    if request_id and not _REQUEST_ID.fullmatch(request_id):
        violations.append(
            FieldViolation(
                f"{prefix}request_id",
                "at most 128 characters of A-Z a-z 0-9 . _ : / + = @ - (a UUID4 is best)",
                "INVALID_ID",
            )
        )
    path = f"{prefix}attribution"
    for name, value, limit in (
        ("end_user_id", attribution.end_user_id, MAX_END_USER_ID),
        ("project", attribution.project.removeprefix("projects/"), MAX_PROJECT),
    ):
        if len(value) > limit or _CONTROL.search(value) or value != value.strip():
            violations.append(
                FieldViolation(
                    f"{path}.{name}",
                    f"at most {limit} characters, no control characters or outer spaces",
                    "INVALID_ID",
                )
            )
    _check_labels(attribution.labels, f"{path}.labels", violations)


def _check_labels(labels: Mapping[str, str], path: str, violations: list[FieldViolation]) -> None:
    if len(labels) > MAX_LABELS:
        violations.append(FieldViolation(path, f"at most {MAX_LABELS} labels", "TOO_MANY"))
        return
    for key, value in labels.items():
        if not _LABEL_KEY.fullmatch(key):
            violations.append(
                FieldViolation(
                    f"{path}[{key[:64]!r}]",
                    "keys: a lowercase letter, then a-z 0-9 _ -, at most 63 characters",
                    "INVALID_LABEL",
                )
            )
        elif len(value) > MAX_LABEL_VALUE or _CONTROL.search(value):
            violations.append(
                FieldViolation(
                    f"{path}[{key!r}]",
                    f"values: at most {MAX_LABEL_VALUE} characters, no control characters",
                    "INVALID_LABEL",
                )
            )


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(orjson.loads(text), dict)
    except orjson.JSONDecodeError:
        return False
