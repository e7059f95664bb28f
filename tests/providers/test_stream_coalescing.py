"""Delta coalescing (``providers.streaming``): the deltas of one upstream read
that continue each other leave as one event; separate reads stay separate;
nothing is merged across candidates, tool calls, usage or the end.

Deterministic: the upstream body is a scripted list of reads (no sockets)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from llmgw.domain.errors import FailureClass, UpstreamError
from llmgw.domain.generation import FinishReason, Usage
from llmgw.domain.requests import (
    CandidateEnd,
    ReasoningDelta,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from llmgw.providers.anthropic.codec import EventDecoder
from llmgw.providers.openai.adapter import OpenAIStreamDecoder
from llmgw.providers.streaming import SSEChatStream, coalesce


class _Body:
    """``response.content``: hands out the scripted reads, then b"" (EOF)."""

    def __init__(self, reads: list[bytes]) -> None:
        self._reads = list(reads)
        self.read_count = 0

    async def readany(self) -> bytes:
        self.read_count += 1
        return self._reads.pop(0) if self._reads else b""


class _Response:
    def __init__(self, reads: list[bytes]) -> None:
        self.content = _Body(reads)
        self.closed = False
        self.released = False

    def close(self) -> None:
        self.closed = True

    def release(self) -> None:
        self.released = True


def _chunk(delta: dict[str, Any], index: int = 0, **extra: Any) -> bytes:
    choice = {"index": index, "delta": delta, **extra}
    return b"data: " + orjson.dumps({"id": "c", "model": "m", "choices": [choice]}) + b"\n\n"


def _text(text: str, index: int = 0) -> bytes:
    return _chunk({"content": text}, index)


ROLE = _chunk({"role": "assistant", "content": ""})
STOP = _chunk({}, finish_reason="stop")
USAGE = (
    b"data: "
    + orjson.dumps(
        {"id": "c", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}}
    )
    + b"\n\n"
)
DONE = b"data: [DONE]\n\n"


def _stream(reads: list[bytes]) -> tuple[SSEChatStream, _Response]:
    response = _Response(reads)
    return SSEChatStream("fake", response, OpenAIStreamDecoder("fake")), response  # type: ignore[arg-type]


async def _events(stream: SSEChatStream) -> list[StreamEvent]:
    try:
        return [event async for event in stream]
    finally:
        await stream.aclose()


async def test_deltas_of_one_read_leave_as_one_delta() -> None:
    stream, response = _stream([ROLE + _text("a") + _text("b") + _text("c") + STOP + USAGE + DONE])
    events = await _events(stream)
    assert events[0] == TextDelta("abc")
    assert isinstance(events[1], UsageUpdate)  # the usage is not merged into anything
    assert isinstance(events[2], StreamEnd) and len(events) == 3
    assert events[2].usage.output_tokens == 4  # the upstream's usage, unchanged
    assert response.released and not response.closed


async def test_separate_reads_stay_separate_deltas() -> None:
    stream, _ = _stream([ROLE + _text("a"), _text("b"), _text("c"), STOP + DONE])
    events = await _events(stream)
    assert events[:3] == [TextDelta("a"), TextDelta("b"), TextDelta("c")]
    assert isinstance(events[3], StreamEnd)


async def test_first_delta_leaves_with_its_read_without_waiting_for_more() -> None:
    stream, response = _stream([ROLE + _text("a") + _text("b"), _text("c"), STOP + DONE])
    iterator = stream.__aiter__()
    assert await iterator.__anext__() == TextDelta("ab")
    assert response.content.read_count == 1  # nothing more was read to merge
    assert await iterator.__anext__() == TextDelta("c")
    await iterator.aclose()  # type: ignore[attr-defined]
    await stream.aclose()
    assert response.closed  # unfinished: the upstream is disconnected


async def test_an_event_split_across_reads_is_decoded_once_complete() -> None:
    whole = _text("a") + _text("b")
    stream, _ = _stream([ROLE + whole[:20], whole[20:] + _text("c")[:7], _text("c")[7:], DONE])
    events = await _events(stream)
    assert events[:2] == [TextDelta("ab"), TextDelta("c")]


async def test_coalesce_off_keeps_one_event_per_upstream_chunk() -> None:
    stream, _ = _stream([ROLE + _text("a") + _text("b") + _text("c") + DONE])
    stream.coalesce = False
    events = await _events(stream)
    assert events[:3] == [TextDelta("a"), TextDelta("b"), TextDelta("c")]


async def test_deltas_before_a_failure_in_the_same_read_are_yielded_first() -> None:
    error = b'data: {"error": {"message": "engine died"}}\n\n'
    stream, _ = _stream([ROLE + _text("a") + _text("b") + error + _text("lost") + DONE])
    seen: list[StreamEvent] = []
    with pytest.raises(UpstreamError) as caught:
        async for event in stream:
            seen.append(event)
    await stream.aclose()
    assert seen == [TextDelta("ab")]
    assert caught.value.failure is FailureClass.STREAM_INTERRUPTED
    assert caught.value.output_tokens == 2  # counted per upstream event, before merging


async def test_a_body_cut_after_merged_deltas_is_interrupted_with_their_count() -> None:
    stream, _ = _stream([ROLE + _text("a") + _text("b") + _text("c")])
    seen: list[StreamEvent] = []
    with pytest.raises(UpstreamError) as caught:
        async for event in stream:
            seen.append(event)
    await stream.aclose()
    assert seen == [TextDelta("abc")]
    assert caught.value.failure is FailureClass.STREAM_INTERRUPTED
    assert caught.value.output_tokens == 3


async def test_a_malformed_event_after_deltas_is_a_protocol_failure() -> None:
    stream, _ = _stream([ROLE + _text("a") + b"data: {not json\n\n" + DONE])
    seen: list[StreamEvent] = []
    with pytest.raises(UpstreamError) as caught:
        async for event in stream:
            seen.append(event)
    await stream.aclose()
    assert seen == [TextDelta("a")]
    assert caught.value.failure is FailureClass.PROTOCOL


async def test_candidates_are_never_merged_together() -> None:
    reads = [ROLE + _text("a", 0) + _text("x", 1) + _text("y", 1) + _text("b", 0) + DONE]
    stream, _ = _stream(reads)
    events = await _events(stream)
    assert events[:3] == [TextDelta("a", 0), TextDelta("xy", 1), TextDelta("b", 0)]


async def test_anthropic_text_and_tool_fragments_of_one_read_merge() -> None:
    def event(kind: str, payload: dict[str, Any]) -> bytes:
        return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"

    def delta(index: int, body: dict[str, Any]) -> bytes:
        return event("content_block_delta", {"index": index, "delta": body})

    body = (
        event("message_start", {"message": {"id": "msg", "usage": {"input_tokens": 5}}})
        + event("content_block_start", {"index": 0, "content_block": {"type": "text"}})
        + delta(0, {"type": "text_delta", "text": "He"})
        + delta(0, {"type": "text_delta", "text": "llo"})
        + event("content_block_stop", {"index": 0})
        + event(
            "content_block_start",
            {"index": 1, "content_block": {"type": "tool_use", "id": "t1", "name": "f"}},
        )
        + delta(1, {"type": "input_json_delta", "partial_json": '{"a"'})
        + delta(1, {"type": "input_json_delta", "partial_json": ":1}"})
        + event(
            "message_delta", {"delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}}
        )
        + event("message_stop", {})
    )
    response = _Response([body])
    stream = SSEChatStream("anthropic", response, EventDecoder("anthropic"))  # type: ignore[arg-type]
    events = await _events(stream)
    assert isinstance(events[0], UsageUpdate)
    assert events[1:3] == [TextDelta("Hello"), ToolCallDelta(0, "t1", "f", '{"a":1}')]
    assert isinstance(events[3], UsageUpdate) and isinstance(events[4], StreamEnd)


# ---------------------------------------------------------------- coalesce()


def test_text_runs_merge_and_usage_breaks_a_run() -> None:
    usage = UsageUpdate(Usage(input_tokens=1))
    events: list[StreamEvent] = [TextDelta("a"), TextDelta("b"), usage, TextDelta("c")]
    assert coalesce(events) == [TextDelta("ab"), usage, TextDelta("c")]


def test_a_single_event_run_is_passed_through_unchanged() -> None:
    first, second = TextDelta("a"), ReasoningDelta(text="r")
    merged = coalesce([first, second])
    assert merged == [first, second] and merged[0] is first and merged[1] is second


def test_reasoning_text_merges_but_a_signature_stays_apart() -> None:
    events: list[StreamEvent] = [
        ReasoningDelta(text="thi"),
        ReasoningDelta(text="nk"),
        ReasoningDelta(signature=b"sig"),
        ReasoningDelta(signature=b"more"),
        TextDelta("a"),
    ]
    assert coalesce(events) == [
        ReasoningDelta(text="think"),
        ReasoningDelta(signature=b"sig"),
        ReasoningDelta(signature=b"more"),
        TextDelta("a"),
    ]


def test_reasoning_and_text_of_the_same_candidate_stay_apart() -> None:
    events: list[StreamEvent] = [ReasoningDelta(text="r"), TextDelta("a"), ReasoningDelta(text="s")]
    assert coalesce(events) == events


def test_tool_call_fragments_merge_only_within_one_call() -> None:
    events: list[StreamEvent] = [
        ToolCallDelta(0, "call_a", "f", ""),
        ToolCallDelta(0, "", "", '{"x"'),
        ToolCallDelta(0, "call_a", "", ":1}"),
        ToolCallDelta(1, "call_b", "g", "{"),  # another index: a new call
        ToolCallDelta(1, "", "", "}"),
        ToolCallDelta(1, "call_c", "", "[]"),  # another id at the same index
        ToolCallDelta(1, "", "h", ""),  # a name: a new call starts
        ToolCallDelta(1, "", "", "{}", candidate_index=1),  # another candidate
    ]
    assert coalesce(events) == [
        ToolCallDelta(0, "call_a", "f", '{"x":1}'),
        ToolCallDelta(1, "call_b", "g", "{}"),
        ToolCallDelta(1, "call_c", "", "[]"),
        ToolCallDelta(1, "", "h", ""),
        ToolCallDelta(1, "", "", "{}", candidate_index=1),
    ]


def test_nothing_merges_across_the_end() -> None:
    end = StreamEnd(Usage(), (CandidateEnd(0, FinishReason.STOP),))
    events: list[StreamEvent] = [TextDelta("a"), end, TextDelta("b")]
    assert coalesce(events) == events
