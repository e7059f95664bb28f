"""The provider port: what the pipeline may ask of a backend adapter.

Contract of every adapter (``Provider``):

* translate the untouched domain request to the vendor wire on every call (the
  request is never mutated; a retry translates again);
* make exactly one HTTP attempt on its pooled session: never retry, never
  sleep, never fall back (the pipeline owns resilience);
* bound the whole attempt by ``deadline``;
* authenticate with ``key`` when given (the pipeline balances several keys),
  else with the backend's first key;
* raise only ``UpstreamError`` with its ``FailureClass`` set (plus
  ``asyncio.CancelledError`` when cancelled);
* report usage in the domain ``Usage`` shape; cost is computed centrally,
  never in adapters.

``stream_chat`` is a coroutine returning a ``ChatStream`` rather than an async
generator, so connection errors and non-2xx statuses raise *before* the first
event (the pipeline can still fall back), while failures after it surface from
iteration. The consumer must ``aclose()`` the stream; closing releases the HTTP
response immediately, which is how client cancellation reaches the upstream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from llmgw.domain.deadline import Deadline
from llmgw.domain.models import ModelInfo
from llmgw.domain.requests import (
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    StreamEvent,
)
from llmgw.domain.secret import Secret


class ChatStream(Protocol):
    """Async iterator of ``StreamEvent``; see ``llmgw.domain.requests`` for the order.

    ``coalesce`` (set before iterating): the deltas of one upstream read that
    continue each other may leave as one event (``providers.streaming``);
    ``False`` keeps one event per upstream event.
    """

    coalesce: bool

    def __aiter__(self) -> AsyncIterator[StreamEvent]: ...

    async def aclose(self) -> None: ...

    def abort(self) -> None:
        """Break the stream from outside (an operator switched the backend
        away): the pending read fails with ``STREAM_INTERRUPTED``."""
        ...


@runtime_checkable
class Provider(Protocol):
    """One configured backend (an instance, e.g. ``openai`` or ``vllm``)."""

    name: str

    async def chat(
        self, request: ChatRequest, model: ModelInfo, deadline: Deadline, key: Secret | None = None
    ) -> ChatResponse: ...

    async def stream_chat(
        self, request: ChatRequest, model: ModelInfo, deadline: Deadline, key: Secret | None = None
    ) -> ChatStream: ...

    async def embed(
        self, request: EmbedRequest, model: ModelInfo, deadline: Deadline, key: Secret | None = None
    ) -> EmbedResponse: ...

    async def list_models(self, deadline: Deadline) -> Sequence[str]:
        """Upstream model ids (a zero-token call, never billed)."""
        ...

    async def probe(self, deadline: Deadline) -> None:
        """Zero-token health check (vLLM ``/health``, else the model list);
        raises ``UpstreamError`` when the backend does not answer well."""
        ...

    async def aclose(self) -> None: ...
