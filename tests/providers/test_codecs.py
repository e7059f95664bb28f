"""Wire codecs (pure functions): OpenAI and Anthropic requests, responses and
stream decoding, against hand-written vendor payloads."""

from __future__ import annotations

import orjson
import pytest
from llmgw.domain.errors import FailureClass, UpstreamError
from llmgw.domain.generation import (
    FinishReason,
    FunctionDeclaration,
    GenerationConfig,
    ResponseFormat,
    ToolChoice,
    ToolChoiceMode,
)
from llmgw.domain.messages import Message, Role, TextPart, ToolCallPart, ToolResultPart
from llmgw.domain.models import ModelInfo
from llmgw.domain.requests import (
    ChatRequest,
    StreamEnd,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from llmgw.providers.anthropic import codec as anthropic
from llmgw.providers.openai import codec as openai
from llmgw.providers.openai.adapter import OpenAIStreamDecoder

GPT = ModelInfo(id="gpt-4o-mini", backend="openai", upstream_id="gpt-4o-mini-2024-07-18")
QWEN = ModelInfo(id="qwen", backend="vllm", upstream_id="Qwen/Qwen2.5-7B-Instruct")
CLAUDE = ModelInfo(
    id="claude-haiku-4-5",
    backend="anthropic",
    upstream_id="claude-haiku-4-5",
    max_output_tokens=64_000,
)

WEATHER = FunctionDeclaration(
    "get_weather", "Weather by city", '{"type":"object","properties":{"city":{"type":"string"}}}'
)


def _conversation() -> tuple[Message, ...]:
    return (
        Message(Role.SYSTEM, (TextPart("Be brief."),)),
        Message(Role.USER, (TextPart("Weather in Paris?"),)),
        Message(Role.ASSISTANT, (ToolCallPart("call_1", "get_weather", '{"city":"Paris"}'),)),
        Message(Role.TOOL, (ToolResultPart("call_1", (TextPart("18C sunny"),)),)),
        Message(Role.SYSTEM, (TextPart("Answer in French."),)),
    )


def test_openai_request_shape() -> None:
    request = ChatRequest(
        model="x",
        messages=_conversation(),
        generation=GenerationConfig(
            temperature=0.2, max_output_tokens=100, stop_sequences=("END",), top_k=5
        ),
        tools=(WEATHER,),
        tool_choice=ToolChoice(ToolChoiceMode.REQUIRED),
    )
    body = openai.encode_chat(request, GPT, stream=True)
    assert body["model"] == "gpt-4o-mini-2024-07-18"
    assert body["max_completion_tokens"] == 100 and "max_tokens" not in body
    assert "top_k" not in body  # not an OpenAI parameter
    assert body["temperature"] == 0.2 and body["stop"] == ["END"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["tool_choice"] == "required"
    assert body["tools"][0]["function"]["parameters"]["properties"]["city"]["type"] == "string"
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "system"]
    assert body["messages"][2]["tool_calls"][0]["function"]["arguments"] == '{"city":"Paris"}'
    assert body["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "content": "18C sunny"}
    assert "temperature" not in openai.encode_chat(
        ChatRequest(model="x", messages=_conversation()[:2]), GPT, stream=False
    )


def test_openai_compatible_engines_get_max_tokens_and_guided_decoding() -> None:
    request = ChatRequest(
        model="x",
        messages=_conversation()[:2],
        generation=GenerationConfig(
            max_output_tokens=64,
            top_k=20,
            response_format=ResponseFormat("regex", pattern="[0-9]+"),
        ),
    )
    body = openai.encode_chat(request, QWEN, stream=False)
    assert body["max_tokens"] == 64 and body["top_k"] == 20
    assert body["guided_regex"] == "[0-9]+"


def test_openai_response_and_usage() -> None:
    response = openai.decode_chat(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": '{"city":"P"}'},
                            }
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {
                "prompt_tokens": 120,
                "completion_tokens": 30,
                "total_tokens": 150,
                "prompt_tokens_details": {"cached_tokens": 100},
                "completion_tokens_details": {"reasoning_tokens": 10},
            },
        }
    )
    candidate = response.candidates[0]
    assert candidate.finish_reason is FinishReason.TOOL_CALLS
    assert candidate.message.parts == (ToolCallPart("c1", "get_weather", '{"city":"P"}'),)
    assert response.usage.input_tokens == 120 and response.usage.cached_input_tokens == 100
    assert response.usage.output_tokens == 30 and response.usage.reasoning_tokens == 10


def _sse_openai(chunks: list[dict[str, object]]) -> list[bytes]:
    return [orjson.dumps(c) for c in chunks] + [b"[DONE]"]


def test_openai_stream_decoding_collects_finish_and_trailing_usage() -> None:
    decoder = OpenAIStreamDecoder("openai")
    events = []
    for data in _sse_openai(
        [
            {
                "id": "c",
                "model": "m",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}],
            },
            {"id": "c", "choices": [{"index": 0, "delta": {"content": "Hel"}}]},
            {"id": "c", "choices": [{"index": 0, "delta": {"content": "lo"}}]},
            {
                "id": "c",
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "t1",
                                    "type": "function",
                                    "function": {"name": "f", "arguments": ""},
                                }
                            ]
                        },
                    }
                ],
            },
            {
                "id": "c",
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [{"index": 0, "function": {"arguments": '{"a":1}'}}]
                        },
                    }
                ],
            },
            {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]},
            {"id": "c", "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}},
        ]
    ):
        events.extend(decoder.decode("", data))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo"]
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert calls[0].name == "f" and calls[1].arguments_fragment == '{"a":1}'
    end = events[-1]
    assert isinstance(end, StreamEnd) and decoder.finished
    assert end.candidates[0].finish_reason is FinishReason.MAX_TOKENS
    assert end.usage.input_tokens == 5 and end.usage.output_tokens == 2
    assert any(isinstance(e, UsageUpdate) for e in events)


def test_openai_stream_error_object_is_an_interruption() -> None:
    decoder = OpenAIStreamDecoder("vllm")
    with pytest.raises(UpstreamError) as caught:
        decoder.decode("", b'{"error": {"message": "engine died"}}')
    assert caught.value.failure is FailureClass.STREAM_INTERRUPTED
    assert caught.value.backend == "vllm"


def test_anthropic_request_hoists_system_and_requires_max_tokens() -> None:
    request = ChatRequest(
        model="x",
        messages=_conversation(),
        tools=(WEATHER,),
        tool_choice=ToolChoice(ToolChoiceMode.AUTO, parallel_tool_calls=False),
        generation=GenerationConfig(temperature=0.5, top_k=40, stop_sequences=("###",)),
    )
    body = anthropic.encode_chat(request, CLAUDE, stream=True, default_max_tokens=4096)
    assert body["system"] == "Be brief.\n\nAnswer in French."
    assert body["max_tokens"] == 64_000  # model limit when the caller set none
    assert [t["role"] for t in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1]["content"][0] == {
        "type": "tool_use",
        "id": "call_1",
        "name": "get_weather",
        "input": {"city": "Paris"},
    }
    result = body["messages"][2]["content"][0]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "call_1"
    assert body["tools"][0]["input_schema"]["type"] == "object"
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert body["top_k"] == 40 and body["stop_sequences"] == ["###"]
    assert body["stream"] is True
    unlimited = ModelInfo(id="c", backend="anthropic", upstream_id="c")
    short = ChatRequest(model="x", messages=_conversation()[:2])
    assert (
        anthropic.encode_chat(short, unlimited, stream=False, default_max_tokens=4096)["max_tokens"]
        == 4096
    )


def test_anthropic_response_usage_sums_cache_counters() -> None:
    response = anthropic.decode_chat(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "content": [
                {"type": "text", "text": "Bonjour"},
                {"type": "tool_use", "id": "tu1", "name": "f", "input": {"a": 1}},
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 10,
                "output_tokens": 7,
                "cache_read_input_tokens": 90,
                "cache_creation_input_tokens": 5,
            },
        }
    )
    assert response.usage.input_tokens == 105
    assert response.usage.cached_input_tokens == 90
    assert response.usage.cache_write_input_tokens == 5
    candidate = response.candidates[0]
    assert candidate.finish_reason is FinishReason.TOOL_CALLS
    assert candidate.message.parts[1] == ToolCallPart("tu1", "f", '{"a":1}')


def _anthropic_events() -> list[tuple[str, dict[str, object]]]:
    return [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "model": "claude",
                    "usage": {"input_tokens": 12, "output_tokens": 1},
                },
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        ("ping", {"type": "ping"}),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "Hi"},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {"type": "tool_use", "id": "tu1", "name": "f", "input": {}},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": '{"a":'},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": "1}"},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use"},
                "usage": {"output_tokens": 9},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]


def test_anthropic_stream_decoding() -> None:
    decoder = anthropic.EventDecoder("anthropic")
    events = []
    for name, payload in _anthropic_events():
        events.extend(decoder.decode(name, orjson.dumps(payload)))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hi"]
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert calls[0] == ToolCallDelta(0, "tu1", "f")
    assert "".join(c.arguments_fragment for c in calls) == '{"a":1}'
    assert all(c.id == "tu1" for c in calls)
    end = events[-1]
    assert isinstance(end, StreamEnd) and decoder.finished
    assert end.usage.input_tokens == 12 and end.usage.output_tokens == 9
    assert end.candidates[0].finish_reason is FinishReason.TOOL_CALLS
    assert end.upstream_id == "msg_1"


@pytest.mark.parametrize(
    ("error_type", "failure"),
    [
        ("overloaded_error", FailureClass.OVERLOADED),
        ("rate_limit_error", FailureClass.RATE_LIMIT),
        ("api_error", FailureClass.TRANSIENT),
        ("invalid_request_error", FailureClass.CALLER_FAULT),
    ],
)
def test_anthropic_error_event_is_classified(error_type: str, failure: FailureClass) -> None:
    decoder = anthropic.EventDecoder("anthropic")
    payload = {"type": "error", "error": {"type": error_type, "message": "x"}}
    with pytest.raises(UpstreamError) as caught:
        decoder.decode("error", orjson.dumps(payload))
    assert caught.value.failure is failure
    assert not decoder.finished


def test_output_cap_is_exactly_the_typed_value_and_pass_through_cannot_touch_it() -> None:
    """The cap sent is the domain request's ``max_output_tokens`` (the budget's
    reservation), under each dialect's key; a pass-through dict that bypassed
    the edge still cannot override it, add candidates or flip the protocol."""
    from llmgw.domain.backends import BackendKind
    from llmgw.domain.errors import InvalidRequestError

    sneaky = {
        "max_tokens": 100_000,
        "max_completion_tokens": 100_000,
        "n": 50,
        "stream": True,
        "stream_options": {"include_usage": False},
        "thinking": {"type": "enabled", "budget_tokens": 60_000},
        "min_p": 0.1,
    }
    gen = GenerationConfig(max_output_tokens=321, backend_parameters=sneaky)
    request = ChatRequest(model="x", messages=_conversation()[:2], generation=gen)
    renamed = ModelInfo(id="gpt-x", backend="openai-eu", upstream_id="o3-mini")
    official = openai.encode_chat(request, renamed, stream=False, dialect=BackendKind.OPENAI)
    assert official["max_completion_tokens"] == 321 and "max_tokens" not in official
    assert not {"n", "stream", "stream_options", "thinking", "min_p"} & set(official)
    engine = openai.encode_chat(request, QWEN, stream=False)
    assert engine["max_tokens"] == 321 and "max_completion_tokens" not in engine
    assert engine["min_p"] == 0.1 and not {"n", "stream", "thinking"} & set(engine)
    streamed = openai.encode_chat(request, QWEN, stream=True)
    assert streamed["stream"] is True and streamed["stream_options"] == {"include_usage": True}
    claude = anthropic.encode_chat(request, CLAUDE, stream=False, default_max_tokens=4096)
    assert claude["max_tokens"] == 321 and "thinking" not in claude and "stream" not in claude
    assert "min_p" not in claude

    broken = ChatRequest(
        model="x",
        messages=(Message(Role.ASSISTANT, (ToolCallPart("c", "f", "{not json"),)),),
    )
    with pytest.raises(InvalidRequestError):  # never a JSONDecodeError (INTERNAL)
        anthropic.encode_chat(broken, CLAUDE, stream=False, default_max_tokens=4096)
    assert openai.encode_chat(broken, QWEN, stream=False)["messages"][0]["tool_calls"][0][
        "function"
    ]["arguments"] == "{not json"  # the OpenAI wire carries the string as is
