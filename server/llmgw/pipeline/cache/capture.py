"""A finished call's answer as a ``Stored`` value, and the two shapes of it.

``captured(ctx)``: what the call gave its caller (a unary response, an
embedding, the relayed stream events, or the answer a step gave), or
``None`` when it has nothing complete to give again (failed, cut, empty).
``as_chat`` folds a stream's events into one ``ChatResponse`` (the cache
stores that shape, so unary and streamed calls share entries) and
``as_events`` unfolds a ``ChatResponse`` into stream events (one delta per
part, then the end).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from llmgw.domain.generation import FinishReason
from llmgw.domain.messages import Message, Part, ReasoningPart, Role, TextPart, ToolCallPart
from llmgw.domain.requests import (
    Candidate,
    CandidateEnd,
    ChatResponse,
    ReasoningDelta,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)
from llmgw.pipeline.cache.codec import Stored
from llmgw.pipeline.cache.flight import SharedStream
from llmgw.pipeline.cache.replay import ReplaySession
from llmgw.pipeline.context import CallContext, Operation
from llmgw.pipeline.results import Completion, EmbedResult


def captured(
    ctx: CallContext, wall: Callable[[], float] = time.time, original: bool = False
) -> Stored | None:
    """``original``: for a coalesced call, the answer as the upstream call
    made it (the leader's route and cost: what the cache keeps), not as this
    caller got it (zero cost: what its request id replays)."""
    if ctx.error is not None and not (original and ctx.coalesced):
        return None
    if ctx.answered:
        if original and ctx.coalesced:
            return _from_answer(ctx.shared_from or ctx.answer, original=True)
        return _from_answer(ctx.answer)
    if ctx.route is None or ctx.cost is None:
        return None
    if not ctx.created_at:
        ctx.created_at = wall()
    body: Any
    if ctx.operation is Operation.STREAM_CHAT:
        if not ctx.transcript or not isinstance(ctx.transcript[-1], StreamEnd):
            return None
        body, kind = tuple(ctx.transcript), "stream"
    else:
        body, kind = ctx.result, ("embed" if ctx.operation is Operation.EMBED else "chat")
    return Stored(kind, ctx.response_id, ctx.created_at, ctx.route, ctx.cost, body)


def _from_answer(a: object, original: bool = False) -> Stored | None:
    if isinstance(a, Completion):
        return Stored("chat", a.response_id, a.created_at, a.route, a.cost, a.response)
    if isinstance(a, EmbedResult):
        return Stored("embed", a.response_id, 0.0, a.route, a.cost, a.response)
    if isinstance(a, ReplaySession) and a.cost is not None:
        return Stored("stream", a.response_id, a.created_at, a.route, a.cost, a.events)
    if isinstance(a, SharedStream):
        events = a.events
        cost, route = (a.leader_cost, a.leader_route) if original else (a.cost, a.route)
        if events is None or cost is None:
            return None
        return Stored("stream", a.response_id, a.created_at, route, cost, events)
    return None


def as_chat(stored: Stored) -> ChatResponse:
    """The answer as one ``ChatResponse`` (a stream's events folded)."""
    if stored.kind != "stream":
        response: ChatResponse = stored.body
        return response
    events: Sequence[StreamEvent] = stored.body
    end = events[-1]
    assert isinstance(end, StreamEnd)
    parts: dict[int, list[Part]] = {}
    for event in events:
        if isinstance(event, TextDelta):
            _append_text(parts.setdefault(event.candidate_index, []), event.text)
        elif isinstance(event, ReasoningDelta):
            parts.setdefault(event.candidate_index, []).append(
                ReasoningPart(event.text, event.signature)
            )
        elif isinstance(event, ToolCallDelta):
            _tool_delta(parts.setdefault(event.candidate_index, []), event)
    candidates = tuple(
        Candidate(
            c.index,
            Message(Role.ASSISTANT, tuple(parts.get(c.index, ()))),
            c.finish_reason,
            c.backend_finish_reason,
            c.stop_sequence,
        )
        for c in end.candidates
    )
    return ChatResponse(end.upstream_id, end.model, candidates, end.usage)


def _append_text(parts: list[Part], text: str) -> None:
    if parts and isinstance(parts[-1], TextPart):
        parts[-1] = TextPart(parts[-1].text + text)
    else:
        parts.append(TextPart(text))


def _tool_delta(parts: list[Part], delta: ToolCallDelta) -> None:
    for i, part in enumerate(parts):
        if isinstance(part, ToolCallPart) and part.id == delta.id:
            name = part.name or delta.name
            parts[i] = ToolCallPart(part.id, name, part.arguments_json + delta.arguments_fragment)
            return
    parts.append(ToolCallPart(delta.id, delta.name, delta.arguments_fragment))


def as_events(response: ChatResponse) -> tuple[StreamEvent, ...]:
    """A ``ChatResponse`` as stream events: one delta per part, then the end."""
    events: list[StreamEvent] = []
    for c in response.candidates:
        for n, part in enumerate(c.message.parts):
            if isinstance(part, TextPart):
                events.append(TextDelta(part.text, c.index))
            elif isinstance(part, ReasoningPart):
                events.append(ReasoningDelta(part.text, part.signature, c.index))
            elif isinstance(part, ToolCallPart):
                events.append(ToolCallDelta(n, part.id, part.name, part.arguments_json, c.index))
    ends = tuple(
        CandidateEnd(c.index, c.finish_reason, c.backend_finish_reason, c.stop_sequence)
        for c in response.candidates
    )
    events.append(StreamEnd(response.usage, ends, response.upstream_id, response.model))
    return tuple(events)


def complete(response: ChatResponse) -> bool:
    """Whether an answer may be cached: not stopped by the caller's cost cap."""
    return all(c.finish_reason is not FinishReason.COST_CAP for c in response.candidates)


__all__ = ["as_chat", "as_events", "captured", "complete"]
