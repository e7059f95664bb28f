"""Cheap input-token estimates (no tokenizer on the hot path).

Used for CountTokens and, later, for budget reservations and context-window
checks. ~4 characters per token plus a small per-message overhead is the usual
rule of thumb for English with BPE tokenizers; it is an estimate and is always
reported as such.
"""

from __future__ import annotations

from llmgw.domain.messages import MediaPart, TextPart, ToolCallPart, ToolResultPart
from llmgw.domain.requests import ChatRequest

_CHARS_PER_TOKEN = 4
_MESSAGE_OVERHEAD = 4
_MEDIA_TOKENS = 765  # a high-detail 1024x1024 image on OpenAI's tiling


def estimate_input_tokens(request: ChatRequest) -> int:
    """Estimated prompt tokens of ``request`` (messages and tool schemas)."""
    chars = 0
    media = 0
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, TextPart):
                chars += len(part.text)
            elif isinstance(part, ToolCallPart):
                chars += len(part.name) + len(part.arguments_json)
            elif isinstance(part, ToolResultPart):
                chars += sum(len(p.text) for p in part.content if isinstance(p, TextPart))
            elif isinstance(part, MediaPart):
                media += 1
    for tool in request.tools:
        chars += len(tool.name) + len(tool.description) + len(tool.parameters_json_schema)
    overhead = _MESSAGE_OVERHEAD * len(request.messages)
    return -(-chars // _CHARS_PER_TOKEN) + overhead + media * _MEDIA_TOKENS


__all__ = ["estimate_input_tokens"]
