"""A stored answer handed to the caller again, in the shape the call expects.

``answer(stored, request_id, route)`` is what the facade returns for a call
a step answered: a ``Completion`` (unary chat), an ``EmbedResult`` or a
``ReplaySession`` (a stream: the stored events in order, the end last, so the
caller sees start, deltas, final as the first caller did).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from llmgw.domain.money import Cost
from llmgw.domain.requests import StreamEnd, StreamEvent
from llmgw.pipeline.cache.codec import Stored
from llmgw.pipeline.results import Completion, EmbedResult, RouteInfo


class ReplaySession:
    """A ``StreamSession`` over stored events; no upstream, nothing to bill."""

    __slots__ = (
        "_done",
        "cost",
        "created_at",
        "events",
        "finalize",
        "request_id",
        "response_id",
        "route",
    )

    def __init__(
        self,
        response_id: str,
        request_id: str,
        route: RouteInfo,
        cost: Cost,
        events: tuple[StreamEvent, ...],
        created_at: float,
    ) -> None:
        self.response_id = response_id
        self.request_id = request_id
        self.route = route
        self.created_at = created_at
        self.cost: Cost | None = cost
        self.events = events
        self._done = False
        # The call's finalizers (set by the facade): run once, before the end
        # event is handed over, or at ``aclose`` (``False``: ended early).
        self.finalize: Callable[[bool], Awaitable[None]] | None = None

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._replay()

    async def _replay(self) -> AsyncIterator[StreamEvent]:
        try:
            for event in self.events:
                if isinstance(event, StreamEnd):
                    await self._finish(True)
                yield event
        finally:
            await self.aclose()

    async def _finish(self, completed: bool) -> None:
        if not self._done:
            self._done = True
            if self.finalize is not None:
                await asyncio.shield(self.finalize(completed))

    async def aclose(self) -> None:
        await self._finish(False)


def answer(
    stored: Stored, request_id: str, route: RouteInfo, cost: Cost
) -> Completion | EmbedResult | ReplaySession:
    """``stored`` as the caller's answer, under ``route`` and ``cost`` (the
    original ones for a replayed request id; zero and ``cache_hit`` for a
    cache hit)."""
    if stored.kind == "stream":
        events = stored.body
        return ReplaySession(stored.response_id, request_id, route, cost, events, stored.created_at)
    if stored.kind == "embed":
        return EmbedResult(stored.response_id, request_id, stored.body, route, cost)
    return Completion(stored.response_id, request_id, stored.body, route, cost, stored.created_at)


__all__ = ["ReplaySession", "answer"]
