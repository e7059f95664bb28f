"""Generation controls, tools, usage and finish reasons (vendor-neutral)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class FinishReason(StrEnum):
    """Normalised reason generation stopped; the raw upstream value is kept beside it."""

    UNSPECIFIED = "unspecified"
    STOP = "stop"
    MAX_TOKENS = "max_tokens"
    TOOL_CALLS = "tool_calls"
    CONTENT_FILTER = "content_filter"
    CONTEXT_WINDOW = "context_window"
    COST_CAP = "cost_cap"
    MALFORMED_TOOL_CALL = "malformed_tool_call"
    OTHER = "other"


class ToolChoiceMode(StrEnum):
    """How the model may use tools."""

    UNSPECIFIED = "unspecified"
    AUTO = "auto"
    NONE = "none"
    REQUIRED = "required"


class ReasoningEffort(StrEnum):
    """Abstract reasoning effort mapped per backend."""

    UNSPECIFIED = "unspecified"
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class FunctionDeclaration:
    """A callable tool: name, description and JSON-schema text for its arguments."""

    name: str
    description: str = ""
    parameters_json_schema: str = ""
    strict: bool = False


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """Tool-use policy; one allowed name means "call exactly this function"."""

    mode: ToolChoiceMode = ToolChoiceMode.UNSPECIFIED
    allowed_function_names: tuple[str, ...] = ()
    parallel_tool_calls: bool | None = None


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    """Output constraint. ``kind`` is text, json_object, json_schema, regex or ebnf."""

    kind: str = "text"
    schema_json: str = ""
    name: str = ""
    description: str = ""
    strict: bool = False
    pattern: str = ""


@dataclass(frozen=True, slots=True)
class GenerationConfig:
    """Sampling knobs. ``None`` means "backend default" (explicit presence)."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_output_tokens: int | None = None
    stop_sequences: tuple[str, ...] = ()
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    candidate_count: int | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: ReasoningEffort = ReasoningEffort.UNSPECIFIED
    reasoning_budget_tokens: int | None = None
    backend_parameters: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one request.

    ``input_tokens`` includes cached and cache-write tokens (OpenAI semantics;
    the Anthropic codec sums its separate counters). ``output_tokens`` includes
    reasoning tokens.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens
