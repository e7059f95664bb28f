"""Codec micro-benchmark: a typical chat encode and a typical 50-chunk stream
decode for the OpenAI and Anthropic codecs (``timeit``, best of 5 repeats).

Not a timed test: run it before and after a codec change on the same machine
and compare the ratios (``python bench/codec_micro.py``).
"""

from __future__ import annotations

import timeit
from collections.abc import Callable

import orjson
from llmgw.domain.generation import FunctionDeclaration, GenerationConfig
from llmgw.domain.messages import Message, Role, TextPart, ToolCallPart, ToolResultPart
from llmgw.domain.models import ModelInfo
from llmgw.domain.requests import ChatRequest
from llmgw.providers.anthropic import codec as anthropic
from llmgw.providers.openai import codec as openai

CHUNKS = 50
_SCHEMA = '{"type":"object","properties":{"city":{"type":"string"}}}'


def typical_request() -> ChatRequest:
    """System prompt, a short multi-turn conversation with one tool round."""
    return ChatRequest(
        model="m",
        messages=(
            Message(Role.SYSTEM, (TextPart("You are a helpful assistant."),)),
            Message(Role.USER, (TextPart("What's the weather in Paris?"),)),
            Message(Role.ASSISTANT, (ToolCallPart("call_1", "weather", '{"city":"Paris"}'),)),
            Message(Role.TOOL, (ToolResultPart("call_1", (TextPart("18C, sunny"),)),)),
            Message(Role.ASSISTANT, (TextPart("It is 18C and sunny in Paris."),)),
            Message(Role.USER, (TextPart("And tomorrow?"),)),
        ),
        generation=GenerationConfig(temperature=0.2, max_output_tokens=256),
        tools=(FunctionDeclaration("weather", "Weather by city", _SCHEMA),),
    )


def openai_chunks() -> list[dict[str, object]]:
    head = {"id": "c1", "model": "gpt", "choices": [{"index": 0, "delta": {"role": "assistant"}}]}
    body = [
        {"id": "c1", "model": "gpt", "choices": [{"index": 0, "delta": {"content": f"tok{i} "}}]}
        for i in range(CHUNKS - 2)
    ]
    tail = {
        "id": "c1",
        "model": "gpt",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": CHUNKS},
    }
    return [head, *body, tail]


def anthropic_events() -> list[tuple[str, bytes]]:
    start = {"type": "message_start", "message": {"id": "m1", "model": "claude", "usage": {}}}
    events = [
        ("message_start", start),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    events += [
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": f"tok{i} "},
            },
        )
        for i in range(CHUNKS - 5)
    ]
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn"},
                "usage": {"output_tokens": CHUNKS},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return [(name, orjson.dumps(payload)) for name, payload in events]


def cases() -> dict[str, Callable[[], object]]:
    request = typical_request()
    model = ModelInfo("m", "b", "upstream-m")
    chunks = openai_chunks()
    events = anthropic_events()

    def openai_stream() -> object:
        decoder = openai.ChunkDecoder()
        for chunk in chunks:
            decoder.feed(chunk)
        return decoder.done()

    def anthropic_stream() -> object:
        decoder = anthropic.EventDecoder("b")
        out: object = None
        for name, data in events:
            out = decoder.decode(name, data)
        return out

    return {
        "openai encode_chat": lambda: openai.encode_chat(request, model, stream=True),
        "anthropic encode_chat": lambda: anthropic.encode_chat(
            request, model, stream=True, default_max_tokens=1024
        ),
        f"openai {CHUNKS}-chunk stream": openai_stream,
        f"anthropic {CHUNKS}-event stream": anthropic_stream,
    }


def main() -> None:
    for name, case in cases().items():
        number = 2000
        best = min(timeit.repeat(case, number=number, repeat=5)) / number
        print(f"{name:28s} {best * 1e6:8.2f} us")


if __name__ == "__main__":
    main()
