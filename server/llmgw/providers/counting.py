"""Token counting by the backend's own tokenizer, over HTTP (pure wire shapes).

Two engines count a prompt exactly without generating anything:

* Anthropic ``POST /v1/messages/count_tokens``: the Messages body without the
  generation fields -> ``{"input_tokens": N}``;
* vLLM ``POST /tokenize`` (server root, beside ``/v1``): ``{"model",
  "messages", "add_generation_prompt": true}`` -> ``{"count": N,
  "max_model_len": M, "tokens": [...]}``; the chat template is applied, so
  the count is what the model sees.

An adapter that can count implements ``TokenCountingProvider``; the pipeline
asks it only for ``CountTokens`` (never on the Chat hot path) and falls back
to the local tokenizer or the estimate when the call fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from llmgw.domain.deadline import Deadline
from llmgw.domain.models import ModelInfo
from llmgw.domain.requests import ChatRequest
from llmgw.domain.secret import Secret

# The Messages fields count_tokens accepts; the rest (max_tokens, stream,
# sampling) would be rejected as unknown.
_ANTHROPIC_COUNT_FIELDS = ("model", "messages", "system", "tools", "tool_choice", "thinking")


@runtime_checkable
class TokenCountingProvider(Protocol):
    async def count_tokens(
        self, request: ChatRequest, model: ModelInfo, deadline: Deadline, key: Secret | None = None
    ) -> int | None:
        """Input tokens by the backend's tokenizer; ``None`` when this backend
        cannot count (``UpstreamError`` when it should but failed)."""
        ...


def anthropic_count_body(messages_body: Mapping[str, Any]) -> dict[str, Any]:
    """The count_tokens request from an encoded Messages request."""
    return {k: messages_body[k] for k in _ANTHROPIC_COUNT_FIELDS if k in messages_body}


def vllm_tokenize_body(chat_body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``/tokenize`` request (chat form) from an encoded chat completion."""
    body = {"model": chat_body["model"], "messages": chat_body["messages"]}
    if chat_body.get("tools"):
        body["tools"] = chat_body["tools"]
    body["add_generation_prompt"] = True
    return body


class CountProtocolError(ValueError):
    """The counting endpoint answered something without a usable count."""


def decode_count(body: Any, field: str) -> int:
    """``body[field]`` as a non-negative int (``input_tokens`` or ``count``)."""
    value = body.get(field) if isinstance(body, dict) else None
    if type(value) is not int or value < 0:
        raise CountProtocolError(f"count response has no non-negative integer {field!r}")
    return value
