"""Domain <-> Anthropic Messages API JSON. Pure functions, no I/O.

Reference: https://docs.anthropic.com/en/api/messages and .../messages-streaming.

Differences from the OpenAI dialect handled here:

* system messages are hoisted into the top-level ``system`` field;
* ``max_tokens`` is required upstream: the request's value, else the model's
  output limit, else the backend default;
* tool results travel as ``tool_result`` blocks inside a ``user`` turn, and
  consecutive same-role turns are merged (the API requires alternation);
* usage: ``input_tokens`` excludes cache reads/writes, so the domain
  ``input_tokens`` is the sum of all three and ``cached_input_tokens`` the reads.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from llmgw.domain.backend_parameters import forwarded
from llmgw.domain.backends import BackendKind
from llmgw.domain.errors import FieldViolation, InvalidRequestError, UpstreamError
from llmgw.domain.generation import (
    FinishReason,
    FunctionDeclaration,
    GenerationConfig,
    ToolChoice,
    ToolChoiceMode,
    Usage,
)
from llmgw.domain.messages import (
    MediaPart,
    Message,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from llmgw.domain.models import ModelInfo
from llmgw.domain.requests import (
    Candidate,
    CandidateEnd,
    ChatRequest,
    ChatResponse,
    ReasoningDelta,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from llmgw.providers.failures import classify_status

STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "max_tokens": FinishReason.MAX_TOKENS,
    "tool_use": FinishReason.TOOL_CALLS,
    "refusal": FinishReason.CONTENT_FILTER,
    "pause_turn": FinishReason.OTHER,
    "model_context_window_exceeded": FinishReason.CONTEXT_WINDOW,
}

# Anthropic error types -> the HTTP status they come with, so that an error
# *event* inside a 200 stream is classified by the same table as a status.
ERROR_TYPE_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


class ProtocolError(ValueError):
    """The upstream JSON does not have the documented shape."""


def encode_chat(
    request: ChatRequest, model: ModelInfo, *, stream: bool, default_max_tokens: int
) -> dict[str, Any]:
    """The request body of ``POST /v1/messages``."""
    system = "\n\n".join(m.text for m in request.messages if m.role is Role.SYSTEM)
    gen = request.generation
    body: dict[str, Any] = {
        "model": model.upstream_id,
        "max_tokens": gen.max_output_tokens or model.max_output_tokens or default_max_tokens,
        "messages": _encode_turns(m for m in request.messages if m.role is not Role.SYSTEM),
    }
    if system:
        body["system"] = system
    _add_sampling(body, gen)
    if request.tools:
        _add_tools(body, request)
    if request.attribution.end_user_id:
        body["metadata"] = {"user_id": request.attribution.end_user_id}
    for key, value in forwarded(gen.backend_parameters, BackendKind.ANTHROPIC).items():
        body.setdefault(key, value)  # none today: the proto forwards to OpenAI-compatible only
    if stream:
        body["stream"] = True
    return body


def _add_sampling(body: dict[str, Any], gen: GenerationConfig) -> None:
    """Sampling knobs that are set, stop sequences and extended thinking."""
    for attribute in ("temperature", "top_p", "top_k"):
        value = getattr(gen, attribute)
        if value is not None:
            body[attribute] = value
    if gen.stop_sequences:
        body["stop_sequences"] = list(gen.stop_sequences)
    if gen.reasoning_budget_tokens:
        body["thinking"] = {"type": "enabled", "budget_tokens": gen.reasoning_budget_tokens}


def _add_tools(body: dict[str, Any], request: ChatRequest) -> None:
    """``tools`` and the ``tool_choice`` that maps (only with tools: the API
    refuses a choice without them)."""
    body["tools"] = [_encode_tool(t) for t in request.tools]
    if request.tool_choice is not None:
        tool_choice = _encode_tool_choice(request.tool_choice)
        if tool_choice is not None:
            body["tool_choice"] = tool_choice


def _encode_tool_choice(choice: ToolChoice) -> dict[str, Any] | None:
    tool_choice: dict[str, Any] | None = None
    if len(choice.allowed_function_names) == 1:
        tool_choice = {"type": "tool", "name": choice.allowed_function_names[0]}
    elif choice.mode is ToolChoiceMode.AUTO:
        tool_choice = {"type": "auto"}
    elif choice.mode is ToolChoiceMode.REQUIRED:
        tool_choice = {"type": "any"}
    elif choice.mode is ToolChoiceMode.NONE:
        tool_choice = {"type": "none"}
    if tool_choice is not None and choice.parallel_tool_calls is False:
        tool_choice["disable_parallel_tool_use"] = True
    return tool_choice


def _encode_tool(tool: FunctionDeclaration) -> dict[str, Any]:
    encoded: dict[str, Any] = {
        "name": tool.name,
        "input_schema": orjson.loads(tool.parameters_json_schema)
        if tool.parameters_json_schema
        else {"type": "object", "properties": {}},
    }
    if tool.description:
        encoded["description"] = tool.description
    return encoded


def _encode_turns(messages: Any) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for message in messages:
        role = "assistant" if message.role is Role.ASSISTANT else "user"
        blocks = [_encode_part(p) for p in message.parts]
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return turns


def _encode_part(part: Any) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, MediaPart):
        return _encode_media(part)
    if isinstance(part, ToolCallPart):
        return {
            "type": "tool_use",
            "id": part.id,
            "name": part.name,
            "input": _tool_input(part.arguments_json),
        }
    if isinstance(part, ToolResultPart):
        block: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": part.tool_call_id,
            "content": [_encode_part(p) for p in part.content],
        }
        if part.is_error:
            block["is_error"] = True
        return block
    if isinstance(part, ReasoningPart):
        if part.redacted:
            return {"type": "redacted_thinking", "data": part.signature.decode("ascii", "replace")}
        return {
            "type": "thinking",
            "thinking": part.text,
            "signature": part.signature.decode("ascii", "replace"),
        }
    raise TypeError(f"unknown part {type(part).__name__}")


def _tool_input(arguments_json: str) -> dict[str, Any]:
    """``tool_use.input`` must be an object. The API edge refuses other
    ``arguments_json``; this keeps the codec total (an ``InvalidRequestError``,
    never an ``INTERNAL``) for any caller that skips the edge."""
    try:
        value = orjson.loads(arguments_json) if arguments_json else {}
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise InvalidRequestError(
            (
                FieldViolation(
                    "messages", "tool call arguments must be a JSON object", "INVALID_JSON"
                ),
            )
        )
    return value


def _encode_media(part: MediaPart) -> dict[str, Any]:
    kind = "document" if part.mime_type == "application/pdf" else "image"
    if part.uri:
        return {"type": kind, "source": {"type": "url", "url": part.uri}}
    return {
        "type": kind,
        "source": {
            "type": "base64",
            "media_type": part.mime_type,
            "data": base64.b64encode(part.data or b"").decode(),
        },
    }


def decode_usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    read = int(raw.get("cache_read_input_tokens") or 0)
    write = int(raw.get("cache_creation_input_tokens") or 0)
    return Usage(
        input_tokens=int(raw.get("input_tokens") or 0) + read + write,
        output_tokens=int(raw.get("output_tokens") or 0),
        cached_input_tokens=read,
        cache_write_input_tokens=write,
    )


def decode_chat(body: Any) -> ChatResponse:
    """A ``message`` object -> ``ChatResponse``."""
    try:
        parts: list[TextPart | ToolCallPart | ReasoningPart] = []
        for block in body["content"]:
            kind = block.get("type")
            if kind == "text":
                parts.append(TextPart(block["text"]))
            elif kind == "tool_use":
                parts.append(
                    ToolCallPart(
                        block["id"], block["name"], orjson.dumps(block.get("input", {})).decode()
                    )
                )
            elif kind == "thinking":
                parts.append(
                    ReasoningPart(block.get("thinking", ""), block.get("signature", "").encode())
                )
            elif kind == "redacted_thinking":
                parts.append(ReasoningPart("", block.get("data", "").encode(), redacted=True))
        raw_stop = body.get("stop_reason") or ""
        candidate = Candidate(
            index=0,
            message=Message(Role.ASSISTANT, tuple(parts)),
            finish_reason=STOP_REASONS.get(raw_stop, FinishReason.OTHER),
            backend_finish_reason=raw_stop,
            stop_sequence=body.get("stop_sequence") or "",
        )
        return ChatResponse(
            upstream_id=str(body.get("id", "")),
            model=str(body.get("model", "")),
            candidates=(candidate,),
            usage=decode_usage(body.get("usage")),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProtocolError(f"unexpected message shape: {exc!r}") from exc


class EventDecoder:
    """Stateful decoder of the Messages SSE stream.

    ``message_start`` -> input usage; ``content_block_start``/``_delta`` ->
    text, tool-call and thinking deltas; ``message_delta`` -> stop reason and
    cumulative output usage; ``message_stop`` -> ``StreamEnd`` (the only clean
    end); ``ping`` ignored; ``error`` -> ``StreamError``.
    """

    __slots__ = (
        "_backend",
        "_blocks",
        "_id",
        "_model",
        "_stop",
        "_stop_seq",
        "_tool_index",
        "_usage",
        "finished",
        "produced",
    )

    def __init__(self, backend: str) -> None:
        self._backend = backend
        self.finished = False
        self.produced = 0
        self._usage: dict[str, Any] = {}
        self._id = ""
        self._model = ""
        self._stop = ""
        self._stop_seq = ""
        self._blocks: dict[int, tuple[str, str]] = {}  # content index -> (type, tool id)
        self._tool_index: dict[int, int] = {}  # content index -> tool call ordinal

    def decode(self, event: str, data: bytes) -> Sequence[StreamEvent]:
        payload = orjson.loads(data)
        kind = event or payload.get("type", "")
        if kind == "content_block_delta":  # the per-token event: no table lookup
            return self._delta(payload)
        handler = _EVENT_HANDLERS.get(kind)
        return handler(self, payload) if handler is not None else ()  # ping, block stop, new types

    def _message_start(self, payload: Any) -> Sequence[StreamEvent]:
        message = payload.get("message") or {}
        self._id = str(message.get("id", ""))
        self._model = str(message.get("model", ""))
        self._usage.update(message.get("usage") or {})
        return (UsageUpdate(decode_usage(self._usage)),)

    def _block_start(self, payload: Any) -> Sequence[StreamEvent]:
        index = int(payload.get("index", 0))
        block = payload.get("content_block") or {}
        block_type = block.get("type", "")
        self._blocks[index] = (block_type, block.get("id", ""))
        if block_type == "tool_use":
            ordinal = len(self._tool_index)
            self._tool_index[index] = ordinal
            self.produced += 1
            return (ToolCallDelta(ordinal, block.get("id", ""), block.get("name", "")),)
        if block_type == "text" and block.get("text"):
            self.produced += 1
            return (TextDelta(block["text"]),)
        return ()

    def _message_delta(self, payload: Any) -> Sequence[StreamEvent]:
        delta = payload.get("delta") or {}
        self._stop = delta.get("stop_reason") or self._stop
        self._stop_seq = delta.get("stop_sequence") or self._stop_seq
        self._usage.update({k: v for k, v in (payload.get("usage") or {}).items() if v})
        return (UsageUpdate(decode_usage(self._usage)),)

    def _message_stop(self, _payload: Any) -> Sequence[StreamEvent]:
        self.finished = True
        end = CandidateEnd(
            0, STOP_REASONS.get(self._stop, FinishReason.OTHER), self._stop, self._stop_seq
        )
        return (StreamEnd(decode_usage(self._usage), (end,), self._id, self._model),)

    def _error(self, payload: Any) -> Sequence[StreamEvent]:
        error = payload.get("error") or {}
        error_type = str(error.get("type", ""))
        status = ERROR_TYPE_STATUS.get(error_type, 500)
        raise UpstreamError(
            self._backend,
            classify_status(status, error_type),
            detail=f"stream error event {error_type}: {error.get('message', '')}"[:500],
            output_tokens=self.produced,
        )

    def _delta(self, payload: Any) -> Sequence[StreamEvent]:
        index = int(payload.get("index", 0))
        delta = payload.get("delta") or {}
        delta_type = delta.get("type")
        self.produced += 1
        if delta_type == "text_delta":
            return (TextDelta(delta.get("text", "")),)
        if delta_type == "input_json_delta":
            _, tool_id = self._blocks.get(index, ("", ""))
            return (
                ToolCallDelta(
                    self._tool_index.get(index, 0),
                    tool_id,
                    arguments_fragment=delta.get("partial_json", ""),
                ),
            )
        if delta_type == "thinking_delta":
            return (ReasoningDelta(text=delta.get("thinking", "")),)
        if delta_type == "signature_delta":
            return (ReasoningDelta(signature=delta.get("signature", "").encode()),)
        self.produced -= 1
        return ()


# Event type -> handler, for every event but ``content_block_delta`` (tested
# first in ``decode``); a type not listed (``ping``, ``content_block_stop``,
# future ones) yields nothing.
_EVENT_HANDLERS: dict[str, Callable[[EventDecoder, Any], Sequence[StreamEvent]]] = {
    "message_start": EventDecoder._message_start,
    "content_block_start": EventDecoder._block_start,
    "message_delta": EventDecoder._message_delta,
    "message_stop": EventDecoder._message_stop,
    "error": EventDecoder._error,
}


def decode_model_ids(body: Any) -> list[str]:
    try:
        return [str(row["id"]) for row in body["data"]]
    except (KeyError, TypeError) as exc:
        raise ProtocolError(f"unexpected model list shape: {exc!r}") from exc
