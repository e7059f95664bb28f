"""Domain <-> OpenAI Chat Completions / Embeddings JSON. Pure functions, no I/O.

Reference: https://platform.openai.com/docs/api-reference/chat. The same codec
serves OpenAI-compatible engines (vLLM, Ollama, Mistral, Together,
OpenRouter): they accept this dialect; differences are data in the presets.

Usage normalisation: ``prompt_tokens`` already includes cached tokens
(``prompt_tokens_details.cached_tokens``); ``completion_tokens`` includes
reasoning tokens. Both match the domain ``Usage`` semantics.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import orjson

from llmgw.domain.backend_parameters import forwarded
from llmgw.domain.backends import BackendKind
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
    EmbedRequest,
    EmbedResponse,
    ReasoningDelta,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)

FINISH_REASONS: dict[str, FinishReason] = {
    "stop": FinishReason.STOP,
    "length": FinishReason.MAX_TOKENS,
    "tool_calls": FinishReason.TOOL_CALLS,
    "function_call": FinishReason.TOOL_CALLS,
    "content_filter": FinishReason.CONTENT_FILTER,
}


class ProtocolError(ValueError):
    """The upstream JSON does not have the documented shape."""


def encode_chat(
    request: ChatRequest,
    model: ModelInfo,
    *,
    stream: bool,
    dialect: BackendKind = BackendKind.OPENAI_COMPATIBLE,
    cache_key: bool = False,
) -> dict[str, Any]:
    """The request body of ``POST /chat/completions``.

    ``dialect`` is the backend's kind: ``OPENAI`` (the OpenAI API itself) or
    an OpenAI-compatible engine; it picks the output-cap key and which
    ``backend_parameters`` are forwarded (``domain.backend_parameters``: an
    allow-list; a pass-through key never replaces a key the gateway set, and
    the protocol keys ``stream``/``stream_options`` follow the RPC alone).
    ``cache_key``: the engine takes OpenAI's ``prompt_cache_key`` from
    ``CachePolicy`` (strict ones, e.g. Mistral, refuse unknown fields with a 422).
    """
    official = dialect is BackendKind.OPENAI or model.backend == "openai"
    body: dict[str, Any] = {
        "model": model.upstream_id,
        "messages": [m for message in request.messages for m in _encode_message(message)],
    }
    gen = request.generation
    body.update(_encode_sampling(gen, official=official))
    if gen.response_format is not None and gen.response_format.kind != "text":
        body.update(_encode_response_format(gen.response_format))
    if request.tools:
        body["tools"] = [_encode_tool(t) for t in request.tools]
    if request.tool_choice is not None:
        body.update(_encode_tool_choice(request.tool_choice, bool(request.tools)))
    for key, value in forwarded(gen.backend_parameters, dialect).items():
        body.setdefault(key, value)
    if request.attribution.end_user_id:
        body["user"] = request.attribution.end_user_id
    if cache_key and request.routing.prompt_cache_key:  # OpenAI prompt-cache affinity
        body["prompt_cache_key"] = request.routing.prompt_cache_key
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


_SAMPLING_FIELDS = (
    ("temperature", "temperature"),
    ("top_p", "top_p"),
    ("seed", "seed"),
    ("presence_penalty", "presence_penalty"),
    ("frequency_penalty", "frequency_penalty"),
    ("candidate_count", "n"),
    ("logprobs", "logprobs"),
    ("top_logprobs", "top_logprobs"),
)


def _encode_sampling(gen: GenerationConfig, *, official: bool) -> dict[str, Any]:
    """Sampling knobs that were set (``None`` means "backend default": omitted).

    The output cap is exactly ``max_output_tokens`` (the cap the budget
    reserved): ``max_completion_tokens`` for the OpenAI API, whose reasoning
    families (o-series, gpt-5) refuse ``max_tokens``; ``max_tokens`` for the
    engines that speak the dialect (vLLM, Ollama, ...)."""
    out: dict[str, Any] = {}
    for attribute, wire in _SAMPLING_FIELDS:
        value = getattr(gen, attribute)
        if value is not None:
            out[wire] = value
    if gen.max_output_tokens is not None:
        key = "max_completion_tokens" if official else "max_tokens"
        out[key] = gen.max_output_tokens
    if gen.stop_sequences:
        out["stop"] = list(gen.stop_sequences)
    if gen.top_k is not None and not official:
        out["top_k"] = gen.top_k  # vLLM/Together/OpenRouter extension
    if gen.reasoning_effort not in (ReasoningEffort.UNSPECIFIED, ReasoningEffort.NONE):
        out["reasoning_effort"] = gen.reasoning_effort.value
    return out


def _encode_response_format(fmt: ResponseFormat) -> dict[str, Any]:
    if fmt.kind == "json_object":
        return {"response_format": {"type": "json_object"}}
    if fmt.kind == "json_schema":
        schema: dict[str, Any] = {
            "name": fmt.name or "response",
            "schema": orjson.loads(fmt.schema_json) if fmt.schema_json else {},
            "strict": fmt.strict,
        }
        if fmt.description:
            schema["description"] = fmt.description
        return {"response_format": {"type": "json_schema", "json_schema": schema}}
    if fmt.kind == "regex":
        return {"guided_regex": fmt.pattern}  # vLLM guided decoding
    if fmt.kind == "ebnf":
        return {"guided_grammar": fmt.pattern}
    return {}


def _encode_tool_choice(choice: ToolChoice, has_tools: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if len(choice.allowed_function_names) == 1:
        out["tool_choice"] = {
            "type": "function",
            "function": {"name": choice.allowed_function_names[0]},
        }
    elif choice.mode is not ToolChoiceMode.UNSPECIFIED:
        out["tool_choice"] = choice.mode.value
    if choice.parallel_tool_calls is not None and has_tools:
        out["parallel_tool_calls"] = choice.parallel_tool_calls
    return out


def _encode_tool(tool: FunctionDeclaration) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = (
        orjson.loads(tool.parameters_json_schema)
        if tool.parameters_json_schema
        else {"type": "object", "properties": {}}
    )
    if tool.strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def _encode_message(message: Message) -> list[dict[str, Any]]:
    """One domain message -> one or more OpenAI messages (tool results are
    separate ``tool`` messages, one per call id)."""
    if message.role is Role.TOOL or any(isinstance(p, ToolResultPart) for p in message.parts):
        return _encode_tool_results(message)
    encoded: dict[str, Any] = {"role": message.role.value}
    if message.name:
        encoded["name"] = message.name
    calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
    encoded["content"] = _encode_content(message, bool(calls))
    if calls:
        encoded["tool_calls"] = [_encode_tool_call(c) for c in calls]
    return [encoded]


def _encode_content(message: Message, has_calls: bool) -> str | list[dict[str, Any]] | None:
    """A user turn with media: the content-part array; otherwise the joined
    text (``None`` for a turn of tool calls and no text)."""
    if message.role is Role.USER and any(isinstance(p, MediaPart) for p in message.parts):
        return _encode_content_parts(message)
    texts = [p.text for p in message.parts if isinstance(p, TextPart)]
    return "".join(texts) if texts or not has_calls else None


def _encode_tool_results(message: Message) -> list[dict[str, Any]]:
    """One ``tool`` message per ``ToolResultPart`` (its text parts joined);
    other parts of a tool message have no place on the wire."""
    return [
        {
            "role": "tool",
            "tool_call_id": part.tool_call_id,
            "content": "".join(p.text for p in part.content if isinstance(p, TextPart)),
        }
        for part in message.parts
        if isinstance(part, ToolResultPart)
    ]


def _encode_text_part(part: TextPart) -> dict[str, Any]:
    return {"type": "text", "text": part.text}


def _encode_content_parts(message: Message) -> list[dict[str, Any]]:
    """A user turn with media: the content-part array, in order (parts of no
    content type, e.g. tool calls, are left out)."""
    return [
        encode(part)
        for part in message.parts
        if (encode := _CONTENT_PART_ENCODERS.get(type(part))) is not None
    ]


def _encode_tool_call(call: ToolCallPart) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments_json},
    }


def _encode_media(part: MediaPart) -> dict[str, Any]:
    inline = f"data:{part.mime_type};base64,{base64.b64encode(part.data or b'').decode()}"
    url = part.uri or inline
    return {"type": "image_url", "image_url": {"url": url, "detail": part.detail.value}}


# Content-part encoders keyed by part type (a user turn with media).
_CONTENT_PART_ENCODERS: dict[type, Callable[[Any], dict[str, Any]]] = {
    TextPart: _encode_text_part,
    MediaPart: _encode_media,
}


def decode_usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=int(raw.get("prompt_tokens") or 0),
        output_tokens=int(raw.get("completion_tokens") or 0),
        cached_input_tokens=int(prompt_details.get("cached_tokens") or 0),
        reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
    )


def decode_chat(body: Any) -> ChatResponse:
    """A ``chat.completion`` object -> ``ChatResponse``."""
    try:
        choices = body["choices"]
        candidates = []
        for choice in choices:
            raw_message = choice.get("message") or {}
            parts: list[TextPart | ToolCallPart | ReasoningPart] = []
            reasoning = raw_message.get("reasoning_content") or raw_message.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                parts.append(ReasoningPart(reasoning))
            if raw_message.get("content"):
                parts.append(TextPart(raw_message["content"]))
            for call in raw_message.get("tool_calls") or ():
                function = call.get("function") or {}
                parts.append(
                    ToolCallPart(
                        call.get("id", ""), function.get("name", ""), function.get("arguments", "")
                    )
                )
            raw_finish = choice.get("finish_reason") or ""
            candidates.append(
                Candidate(
                    index=int(choice.get("index", 0)),
                    message=Message(Role.ASSISTANT, tuple(parts)),
                    finish_reason=FINISH_REASONS.get(raw_finish, FinishReason.OTHER),
                    backend_finish_reason=raw_finish,
                )
            )
        return ChatResponse(
            upstream_id=str(body.get("id", "")),
            model=str(body.get("model", "")),
            candidates=tuple(candidates),
            usage=decode_usage(body.get("usage")),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProtocolError(f"unexpected chat.completion shape: {exc!r}") from exc


_TEXT_ONLY = frozenset({"content", "role", "refusal"})


class ChunkDecoder:
    """Stateful decoder of ``chat.completion.chunk`` events.

    ``feed`` returns the domain events of one chunk; ``done`` (on ``[DONE]``)
    returns the ``StreamEnd``. Finish reasons and usage may arrive on separate
    chunks (usage last, with empty ``choices``), so they are collected and
    emitted together at the end.
    """

    __slots__ = ("_finishes", "_id", "_model", "_usage", "output_events")

    def __init__(self) -> None:
        self._finishes: dict[int, CandidateEnd] = {}
        self._usage = Usage()
        self._id = ""
        self._model = ""
        self.output_events = 0

    def feed(self, chunk: Any) -> list[StreamEvent]:
        choices = chunk.get("choices")
        if not self._id:
            self._id = str(chunk.get("id", ""))
            self._model = str(chunk.get("model", ""))
        elif choices and len(choices) == 1 and not chunk.get("usage"):
            # Fast path, one per token: a single choice carrying only text.
            choice = choices[0]
            delta = choice.get("delta")
            if delta and not choice.get("finish_reason") and delta.keys() <= _TEXT_ONLY:
                text = delta.get("content")
                self.output_events += 1 if text else 0
                return [TextDelta(text, choice.get("index", 0))] if text else []
        return self._feed_full(chunk)

    def _feed_full(self, chunk: Any) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if not self._id:
            self._id = str(chunk.get("id", ""))
            self._model = str(chunk.get("model", ""))
        for choice in chunk.get("choices") or ():
            index = int(choice.get("index", 0))
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                events.append(ReasoningDelta(text=reasoning, candidate_index=index))
            text = delta.get("content")
            if text:
                events.append(TextDelta(text, index))
            calls = delta.get("tool_calls")
            if calls:
                events.extend(_tool_call_deltas(calls, index))
            raw_finish = choice.get("finish_reason")
            if raw_finish:
                self._finishes[index] = CandidateEnd(
                    index, FINISH_REASONS.get(raw_finish, FinishReason.OTHER), raw_finish
                )
        usage = chunk.get("usage")
        if usage:
            self._usage = decode_usage(usage)
            events.append(UsageUpdate(self._usage))
        self.output_events += len(events)
        return events

    @property
    def usage(self) -> Usage:
        return self._usage

    def done(self) -> StreamEnd:
        finishes = tuple(self._finishes[i] for i in sorted(self._finishes)) or (
            CandidateEnd(0, FinishReason.STOP, ""),
        )
        return StreamEnd(self._usage, finishes, self._id, self._model)


def _tool_call_deltas(calls: Any, candidate_index: int) -> list[StreamEvent]:
    """The ``tool_calls`` fragments of one chunk's delta (only chunks that
    carry tool calls pay for this call)."""
    events: list[StreamEvent] = []
    for call in calls:
        function = call.get("function") or {}
        events.append(
            ToolCallDelta(
                index=int(call.get("index", 0)),
                id=call.get("id") or "",
                name=function.get("name") or "",
                arguments_fragment=function.get("arguments") or "",
                candidate_index=candidate_index,
            )
        )
    return events


def encode_embed(request: EmbedRequest, model: ModelInfo) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model.upstream_id,
        "input": [i for i in request.inputs if isinstance(i, str)],
        "encoding_format": "float",
    }
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    if request.attribution.end_user_id:
        body["user"] = request.attribution.end_user_id
    return body


def decode_embed(body: Any) -> EmbedResponse:
    try:
        rows = sorted(body["data"], key=lambda row: int(row.get("index", 0)))
        vectors = tuple([float(x) for x in row["embedding"]] for row in rows)
        usage = body.get("usage") or {}
        return EmbedResponse(
            vectors=vectors,
            usage=Usage(input_tokens=int(usage.get("prompt_tokens") or 0)),
            model=str(body.get("model", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProtocolError(f"unexpected embeddings shape: {exc!r}") from exc


def decode_model_ids(body: Any) -> list[str]:
    try:
        return [str(row["id"]) for row in body["data"]]
    except (KeyError, TypeError) as exc:
        raise ProtocolError(f"unexpected model list shape: {exc!r}") from exc
