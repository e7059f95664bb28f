"""Requests and responses of the gateway's three operations: chat, stream, embed.

Streams are sequences of small ``StreamEvent`` values produced by adapters. The
contract every adapter's stream honours:

* zero or more ``TextDelta`` / ``ReasoningDelta`` / ``ToolCallDelta`` / ``UsageUpdate``;
* one ``StreamEnd`` when, and only when, the upstream sent its terminal event
  (OpenAI ``[DONE]`` / final chunk, Anthropic ``message_stop``). A stream that
  stops without it raises ``UpstreamError(STREAM_INTERRUPTED)`` instead: a
  truncated answer is never a clean end.

``UsageUpdate.usage`` is cumulative (overwrite, never add).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llmgw.domain.cache import CachePolicy
from llmgw.domain.generation import (
    FinishReason,
    FunctionDeclaration,
    GenerationConfig,
    ToolChoice,
    Usage,
)
from llmgw.domain.messages import MediaPart, Message


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who pays: project, end user and cost labels, plus the identity fields the
    API layer copies from the authenticated principal (``tenant``, ``key_id``,
    ``principal``); identity never comes from request fields."""

    project: str = ""
    end_user_id: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    tenant: str = "default"
    key_id: str = ""
    principal: str = "anonymous"


@dataclass(frozen=True, slots=True)
class RoutingHints:
    """Caller's routing options; empty values mean "route default"."""

    strategy: str = ""
    required_capabilities: frozenset[str] = frozenset()
    min_context_tokens: int | None = None
    fallback_models: tuple[str, ...] = ()
    fallback_mode: str = ""
    pinned_backend: str = ""
    max_cost_nanos: int | None = None
    allow_downgrade: bool | None = None
    prompt_cache_key: str = ""  # provider prompt-cache affinity; sticky replica routing
    cache: CachePolicy | None = None  # the caller's response-cache policy


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A chat completion request over domain types (never mutated by adapters)."""

    model: str
    messages: tuple[Message, ...]
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    tools: tuple[FunctionDeclaration, ...] = ()
    tool_choice: ToolChoice | None = None
    routing: RoutingHints = field(default_factory=RoutingHints)
    attribution: Attribution = field(default_factory=Attribution)
    request_id: str = ""
    # The caller chose ``request_id`` (AIP-155): a repeat replays the outcome.
    idempotent: bool = False


@dataclass(frozen=True, slots=True)
class Candidate:
    """One generated alternative."""

    index: int
    message: Message
    finish_reason: FinishReason
    backend_finish_reason: str = ""
    stop_sequence: str = ""


@dataclass(frozen=True, slots=True)
class ChatResponse:
    """What an adapter returns for a unary chat: content, usage, upstream ids."""

    upstream_id: str
    model: str
    candidates: tuple[Candidate, ...]
    usage: Usage


@dataclass(frozen=True, slots=True)
class TextDelta:
    """Incremental visible text of one candidate."""

    text: str
    candidate_index: int = 0


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """Incremental reasoning text or signature bytes."""

    text: str = ""
    signature: bytes = b""
    candidate_index: int = 0


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A tool-call fragment; ``index`` and ``id`` are set on every fragment."""

    index: int
    id: str
    name: str = ""
    arguments_fragment: str = ""
    candidate_index: int = 0


@dataclass(frozen=True, slots=True)
class UsageUpdate:
    """Cumulative usage so far."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class CandidateEnd:
    """Why one candidate stopped."""

    index: int
    finish_reason: FinishReason
    backend_finish_reason: str = ""
    stop_sequence: str = ""


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """The upstream's terminal event arrived: final usage and finish reasons."""

    usage: Usage
    candidates: tuple[CandidateEnd, ...]
    upstream_id: str = ""
    model: str = ""


StreamEvent = TextDelta | ReasoningDelta | ToolCallDelta | UsageUpdate | StreamEnd


@dataclass(frozen=True, slots=True)
class EmbedRequest:
    """Embed each input independently; text or media inputs."""

    model: str
    inputs: tuple[str | MediaPart, ...]
    dimensions: int | None = None
    task_type: str = ""
    attribution: Attribution = field(default_factory=Attribution)
    routing: RoutingHints = field(default_factory=RoutingHints)
    request_id: str = ""
    idempotent: bool = False  # the caller chose ``request_id`` (AIP-155)


@dataclass(frozen=True, slots=True)
class EmbedResponse:
    """Vectors in input order, plus usage."""

    vectors: tuple[list[float], ...]
    usage: Usage
    model: str = ""
