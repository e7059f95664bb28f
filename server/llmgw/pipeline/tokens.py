"""Input-token upper bounds without a tokenizer (the hot path never tokenises).

Budget reservations and context-window checks use ``estimate_input_tokens``:
each text is charged by ``domain.token_bounds.upper_bound_tokens`` (script
aware: CJK, code, emoji; measured against real tokenizers, README "Token
counts"), plus a per-message overhead and a fixed charge per image. The old
rule, 4 characters per token, under-counted CJK text 3-4 times. ``CountTokens``
answers with the model's real tokenizer where one is available
(``pipeline.token_count``) and with this bound, marked estimated, otherwise.
"""

from __future__ import annotations

from llmgw.domain.messages import MediaPart, TextPart, ToolCallPart, ToolResultPart
from llmgw.domain.requests import ChatRequest
from llmgw.domain.token_bounds import upper_bound_tokens

_MESSAGE_OVERHEAD = 4  # role and separators (OpenAI's format spends 3)
_REPLY_PRIMING = 3
_MEDIA_TOKENS = 765  # a high-detail 1024x1024 image on OpenAI's tiling


def estimate_input_tokens(request: ChatRequest) -> int:
    """Upper bound on the prompt tokens of ``request`` (messages and tool schemas)."""
    total = _REPLY_PRIMING + _MESSAGE_OVERHEAD * len(request.messages)
    for message in request.messages:
        for part in message.parts:
            if isinstance(part, TextPart):
                total += upper_bound_tokens(part.text)
            elif isinstance(part, ToolCallPart):
                total += upper_bound_tokens(part.name) + upper_bound_tokens(part.arguments_json)
            elif isinstance(part, ToolResultPart):
                total += sum(
                    upper_bound_tokens(p.text) for p in part.content if isinstance(p, TextPart)
                )
            elif isinstance(part, MediaPart):
                total += _MEDIA_TOKENS
    for tool in request.tools:
        total += sum(
            upper_bound_tokens(text)
            for text in (tool.name, tool.description, tool.parameters_json_schema)
        )
    return total


__all__ = ["estimate_input_tokens"]
