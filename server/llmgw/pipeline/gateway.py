"""The pipeline facade the API layer calls: resolve, execute, price.

One request, as of this version:

1. resolve the model name to a ``Plan`` (``pipeline.catalog``);
2. keep the targets able to serve the operation (chat vs embeddings), else
   ``NoEligibleBackendError`` before any call;
3. one upstream attempt on the first eligible target (the attempt loop with
   retries, breakers and fallback over the rest of the plan plugs in here);
4. price the reported usage centrally with the ``PriceBook``.

Streams: ``stream_chat`` returns once the upstream accepted the request (HTTP
status seen), so a refusal is still a plain error; the ``_Session`` then relays
adapter events and closes the upstream exactly once, on end, error or
cancellation.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence

from llmgw.accounting.pricing import PriceBook
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import FieldViolation, NoEligibleBackendError
from llmgw.domain.generation import Usage
from llmgw.domain.ids import new_id
from llmgw.domain.models import Capability, ModelInfo, ModelType, Target
from llmgw.domain.money import Cost
from llmgw.domain.requests import (
    ChatRequest,
    EmbedRequest,
    StreamEnd,
    StreamEvent,
)
from llmgw.pipeline.catalog import Catalog, Plan
from llmgw.pipeline.results import (
    Completion,
    EmbedResult,
    ModelListing,
    RouteInfo,
    StreamSession,
    TokenCount,
)
from llmgw.pipeline.tokens import estimate_input_tokens
from llmgw.providers.base import ChatStream, Provider


class Gateway:
    """Serves chat, streaming chat, embeddings, token counts and the model list."""

    def __init__(
        self, catalog: Catalog, providers: Mapping[str, Provider], prices: PriceBook
    ) -> None:
        self._catalog = catalog
        self._providers = providers
        self._prices = prices

    async def chat(self, request: ChatRequest, deadline: Deadline) -> Completion:
        target = self._choose(self._catalog.resolve(request.model), ModelType.CHAT)
        provider = self._providers[target.backend]
        response = await provider.chat(request, target.model, deadline)
        return Completion(
            response_id=new_id(),
            request_id=request.request_id or new_id(),
            response=response,
            route=_route(target),
            cost=self._prices.cost(target.model, response.usage),
            created_at=time.time(),
        )

    async def stream_chat(self, request: ChatRequest, deadline: Deadline) -> StreamSession:
        target = self._choose(self._catalog.resolve(request.model), ModelType.CHAT)
        provider = self._providers[target.backend]
        upstream = await provider.stream_chat(request, target.model, deadline)
        return _Session(upstream, target, self._prices, request.request_id or new_id())

    async def embed(self, request: EmbedRequest, deadline: Deadline) -> EmbedResult:
        target = self._choose(self._catalog.resolve(request.model), ModelType.EMBEDDING)
        response = await self._providers[target.backend].embed(request, target.model, deadline)
        return EmbedResult(
            response_id=new_id(),
            request_id=request.request_id or new_id(),
            response=response,
            route=_route(target),
            cost=self._prices.cost(target.model, response.usage),
        )

    async def count_tokens(self, request: ChatRequest) -> TokenCount:
        target = self._choose(self._catalog.resolve(request.model), ModelType.CHAT)
        tokens = estimate_input_tokens(request)
        cost = self._prices.cost(target.model, Usage(input_tokens=tokens), estimated=True)
        return TokenCount(tokens, target.model.id, cost)

    def list_models(self) -> Sequence[ModelListing]:
        return [
            ModelListing(m, self._catalog.aliases_of(m), self._prices.price(m))
            for m in self._catalog.models
        ]

    def _choose(self, plan: Plan, kind: ModelType) -> Target:
        for target in plan.targets:
            if target.model.type is kind and target.backend in self._providers:
                return target
        need = Capability.EMBEDDINGS if kind is ModelType.EMBEDDING else "chat"
        name = plan.alias or (plan.targets[0].model.id if plan.targets else "")
        raise NoEligibleBackendError(
            name,
            (FieldViolation("model", f"no target of {name!r} supports {need}", "CAPABILITY"),),
        )


class _Session:
    """A started stream; see ``StreamSession`` for the contract."""

    def __init__(
        self, upstream: ChatStream, target: Target, prices: PriceBook, request_id: str
    ) -> None:
        self.response_id = new_id()
        self.request_id = request_id
        self.route = _route(target)
        self.created_at = time.time()
        self._upstream = upstream
        self._model: ModelInfo = target.model
        self._prices = prices
        self._cost: Cost | None = None
        self._closed = False

    @property
    def cost(self) -> Cost | None:
        return self._cost

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._relay()

    async def _relay(self) -> AsyncIterator[StreamEvent]:
        try:
            async for event in self._upstream:
                if isinstance(event, StreamEnd):
                    self._cost = self._prices.cost(self._model, event.usage)
                yield event
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._upstream.aclose()


def _route(target: Target) -> RouteInfo:
    return RouteInfo(alias=target.alias, model=target.model.id, backend=target.backend)


__all__ = ["Gateway"]
