"""Answers as bytes: what the idempotency record and the response cache store.

A stored answer crosses processes (PostgreSQL, Redis), so it is plain JSON
(orjson), never pickle: decoding builds only the allow-listed value types
below (``_TYPES``/``_ENUMS``); anything else is a ``ValueError``. A dataclass
is ``{"~": name, field: value, ...}``, an enum ``{"~e": name, "v": value}``,
bytes ``{"~b": base64}``; sequences come back as tuples.

``Stored`` is one answer: a unary chat (``ChatResponse``), an embedding
(``EmbedResponse``) or a stream (its events, end included), with the route,
cost, response id and timestamp the caller first received.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
from dataclasses import dataclass
from typing import Any

import orjson

from llmgw.domain.generation import FinishReason, Usage
from llmgw.domain.messages import (
    MediaDetail,
    MediaPart,
    Message,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from llmgw.domain.money import Cost
from llmgw.domain.requests import (
    Candidate,
    CandidateEnd,
    ChatResponse,
    EmbedResponse,
    ReasoningDelta,
    StreamEnd,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from llmgw.pipeline.results import RouteInfo


@dataclass(frozen=True, slots=True)
class Stored:
    """One answer as first given: ``body`` is a ``ChatResponse``, an
    ``EmbedResponse`` or a tuple of stream events (``kind`` says which)."""

    kind: str  # "chat" | "embed" | "stream"
    response_id: str
    created_at: float
    route: RouteInfo
    cost: Cost
    body: Any
    expires_at: float = 0.0  # epoch seconds (the cache's entries; 0: not cached)

    @property
    def usage(self) -> Usage:
        if self.kind == "stream":
            end = self.body[-1]
            assert isinstance(end, StreamEnd)
            return end.usage
        usage: Usage = self.body.usage
        return usage


_TYPES: dict[str, type] = {
    t.__name__: t
    for t in (
        Stored,
        ChatResponse,
        Candidate,
        Message,
        TextPart,
        MediaPart,
        ToolCallPart,
        ToolResultPart,
        ReasoningPart,
        Usage,
        Cost,
        RouteInfo,
        EmbedResponse,
        TextDelta,
        ReasoningDelta,
        ToolCallDelta,
        UsageUpdate,
        CandidateEnd,
        StreamEnd,
    )
}
_ENUMS: dict[str, type[enum.Enum]] = {e.__name__: e for e in (Role, FinishReason, MediaDetail)}


_ENTRY_BYTES = 512  # a stored answer's fixed part: ids, route, cost, usage
_PART_BYTES = 96  # per message part or stream event


def footprint(stored: Stored) -> int:
    """Bytes an answer is counted for in the memory tier, computed without
    encoding it: its text at 4 bytes a character (UTF-8's most), vectors at
    24 bytes a value, plus fixed per-entry and per-part overheads: an upper
    estimate of what the text and numbers occupy."""
    body = stored.body
    size = _ENTRY_BYTES
    if isinstance(body, ChatResponse):
        for candidate in body.candidates:
            for part in candidate.message.parts:
                size += (
                    _PART_BYTES
                    + 4 * len(getattr(part, "text", ""))
                    + 4 * len(getattr(part, "arguments_json", ""))
                )
    elif isinstance(body, EmbedResponse):
        size += sum(24 * len(v) for v in body.vectors)
    else:
        size += sum(_PART_BYTES + 4 * len(getattr(e, "text", "")) for e in body)
    return size


def encode(stored: Stored) -> bytes:
    return orjson.dumps(_plain(stored))


def decode(data: bytes | str) -> Stored:
    value = _typed(orjson.loads(data))
    if not isinstance(value, Stored):
        raise ValueError("not a stored answer")
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return {"~e": type(value).__name__, "v": value.value}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"~": type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = _plain(getattr(value, f.name))
        return out
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return {"~b": base64.b64encode(value).decode()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_typed(v) for v in value)
    if not isinstance(value, dict):
        return value
    if "~b" in value:
        return base64.b64decode(value["~b"])
    if "~e" in value:
        return _ENUMS[value["~e"]](value["v"])
    kind = _TYPES.get(value.pop("~", ""))
    if kind is None:
        raise ValueError("unknown stored type")
    return kind(**{k: _typed(v) for k, v in value.items()})


__all__ = ["Stored", "decode", "encode", "footprint"]
