"""The built-in ``demo`` backend: simulated answers, no network, no keys.

It exists so that ``llmgw serve`` answers out of the box. Every model it serves
is marked ``simulated`` (``ListModels`` shows it, the README says so) and every
answer says it is canned. It follows the adapter contract like a real backend:
streams end with ``StreamEnd``, usage is reported (estimated from characters),
and closing a stream early stops it.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import struct
from collections.abc import AsyncIterator, Sequence

from llmgw.domain.backends import BackendSpec
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import FailureClass, UpstreamError
from llmgw.domain.generation import FinishReason, Usage
from llmgw.domain.messages import Message, Role, TextPart
from llmgw.domain.models import ModelInfo
from llmgw.domain.requests import (
    Candidate,
    CandidateEnd,
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from llmgw.domain.secret import Secret

_DIMENSIONS = 16
_PROMPT_ECHO_CHARS = 200


def _tokens(text: str) -> int:
    return max(1, -(-len(text) // 4)) if text else 0


def _answer(request: ChatRequest) -> str:
    prompt = next(
        (m.text for m in reversed(request.messages) if m.role is Role.USER and m.text), ""
    )
    echo = prompt[:_PROMPT_ECHO_CHARS] + ("..." if len(prompt) > _PROMPT_ECHO_CHARS else "")
    return (
        "This is the llmgw demo backend: the answer is simulated and no model was called. "
        f'You said: "{echo}". Configure a provider key (for example OPENAI_API_KEY) '
        "to get real answers."
    )


def _limit(text: str, request: ChatRequest) -> tuple[str, FinishReason]:
    limit = request.generation.max_output_tokens
    if limit is not None and _tokens(text) > limit:
        return text[: max(0, limit * 4)], FinishReason.MAX_TOKENS
    return text, FinishReason.STOP


def _input_tokens(request: ChatRequest) -> int:
    return sum(_tokens(m.text) + 4 for m in request.messages)


class DemoProvider:
    """Canned chat answers and deterministic hash embeddings."""

    def __init__(self, spec: BackendSpec, *, delay_per_chunk: float = 0.0) -> None:
        self.name = spec.name
        self._models = spec.models
        self._delay = delay_per_chunk

    async def chat(
        self,
        request: ChatRequest,
        model: ModelInfo,
        deadline: Deadline,
        key: Secret | None = None,
    ) -> ChatResponse:
        text, finish = _limit(_answer(request), request)
        return ChatResponse(
            upstream_id="demo",
            model=model.upstream_id,
            candidates=(
                Candidate(0, Message(Role.ASSISTANT, (TextPart(text),)), finish, finish.value),
            ),
            usage=Usage(input_tokens=_input_tokens(request), output_tokens=_tokens(text)),
        )

    async def stream_chat(
        self,
        request: ChatRequest,
        model: ModelInfo,
        deadline: Deadline,
        key: Secret | None = None,
    ) -> _DemoStream:
        text, finish = _limit(_answer(request), request)
        return _DemoStream(text, finish, _input_tokens(request), model.upstream_id, self._delay)

    async def embed(
        self,
        request: EmbedRequest,
        model: ModelInfo,
        deadline: Deadline,
        key: Secret | None = None,
    ) -> EmbedResponse:
        dimensions = request.dimensions or _DIMENSIONS
        texts = [i if isinstance(i, str) else i.mime_type for i in request.inputs]
        return EmbedResponse(
            vectors=tuple(_hash_vector(t, dimensions) for t in texts),
            usage=Usage(input_tokens=sum(_tokens(t) for t in texts)),
            model=model.upstream_id,
        )

    async def list_models(self, deadline: Deadline) -> Sequence[str]:
        return [m.upstream_id for m in self._models]

    async def probe(self, deadline: Deadline) -> None:
        return None

    async def aclose(self) -> None:
        return None


class _DemoStream:
    """Word-by-word stream of the canned answer."""

    def __init__(
        self, text: str, finish: FinishReason, input_tokens: int, model: str, delay: float
    ) -> None:
        self._words = [w + " " for w in text.split(" ")]
        if self._words:
            self._words[-1] = self._words[-1].rstrip(" ")
        self._finish = finish
        self._usage = Usage(input_tokens=input_tokens, output_tokens=_tokens(text))
        self._model = model
        self._delay = delay
        self._closed = False
        self.coalesce = True  # one word per event either way

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        for word in self._words:
            if self._closed:
                raise UpstreamError("demo", FailureClass.STREAM_INTERRUPTED, detail="closed")
            if self._delay:
                await asyncio.sleep(self._delay)
            yield TextDelta(word)
        yield StreamEnd(
            self._usage,
            (CandidateEnd(0, self._finish, self._finish.value),),
            "demo",
            self._model,
        )

    def abort(self) -> None:
        self._closed = True

    async def aclose(self) -> None:
        self._closed = True


def _hash_vector(text: str, dimensions: int) -> list[float]:
    """A unit vector derived from SHA-256 of the text (stable across runs)."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend(v / 2**31 for v in struct.unpack(">8i", digest))
        counter += 1
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]
