"""What the pipeline hands back to the API layer for each operation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from llmgw.domain.models import ModelInfo
from llmgw.domain.money import Cost, ModelPrice
from llmgw.domain.requests import ChatResponse, EmbedResponse, StreamEvent


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """Where a request went: the alias the caller asked for (empty when the
    model field named a model, never a fallback's alias), the serving
    model/backend, the backends given up on before it (in order; never the
    serving one), how many upstream calls it took (retries included), and
    ``cache_hit`` when the gateway's response cache answered."""

    alias: str
    model: str
    backend: str
    failed_backends: tuple[str, ...] = ()
    attempts: int = 1
    cache_hit: bool = False
    coalesced: bool = False  # shared an identical in-flight call's answer
    semantic_similarity: float | None = None  # a semantic cache hit's cosine similarity


@dataclass(frozen=True, slots=True)
class Completion:
    """A finished unary chat."""

    response_id: str
    request_id: str
    response: ChatResponse
    route: RouteInfo
    cost: Cost
    created_at: float  # epoch seconds


@dataclass(frozen=True, slots=True)
class EmbedResult:
    response_id: str
    request_id: str
    response: EmbedResponse
    route: RouteInfo
    cost: Cost


@dataclass(frozen=True, slots=True)
class TokenCount:
    input_tokens: int
    model: str
    estimated_input_cost: Cost
    estimated: bool = True  # False only when the model's tokenizer counted


@dataclass(frozen=True, slots=True)
class ModelListing:
    """A model as callers see it: its info, the aliases resolving to it, its price
    (``None`` = unpriced, which is not the same as free)."""

    info: ModelInfo
    aliases: tuple[str, ...]
    price: ModelPrice | None


class StreamSession(Protocol):
    """A started stream.

    ``route`` is known before the first event (the StreamStart). Iteration yields
    adapter events up to and including ``StreamEnd``; after that ``cost`` is set.
    Failures raise ``GatewayError`` subclasses from iteration. ``aclose()`` must be
    called (it is idempotent); it closes the upstream response at once and runs
    the request's finalizers exactly once.
    """

    response_id: str
    request_id: str
    route: RouteInfo
    created_at: float

    @property
    def cost(self) -> Cost | None: ...

    def __aiter__(self) -> AsyncIterator[StreamEvent]: ...

    async def aclose(self) -> None: ...


__all__ = ["Completion", "EmbedResult", "ModelListing", "RouteInfo", "StreamSession", "TokenCount"]
