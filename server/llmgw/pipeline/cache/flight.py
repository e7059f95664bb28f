"""One upstream call shared by identical in-flight requests (single-flight).

A ``Flight`` runs the rest of the chain (plan, budget, attempts) once, in
its own task, for the first caller (the leader); callers that arrive while
it runs (followers) wait for it instead of calling upstream. The task
belongs to no caller: the leader going away does not cut the followers.
``leave()`` is called when a caller stops waiting; when the last one leaves
before the end, the task is cancelled and the upstream call closed (a stream
bills what it produced).

Streams: ``events`` grows as the upstream produces; a ``SharedStream``
replays what was already produced, then follows the live events.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from llmgw.domain.money import Cost
from llmgw.domain.requests import StreamEnd, StreamEvent
from llmgw.pipeline.cache.rows import zero
from llmgw.pipeline.results import RouteInfo


class Flight:
    __slots__ = (
        "answer",
        "callers",
        "changed",
        "cost",
        "ended",
        "error",
        "events",
        "opened",
        "route",
        "task",
    )

    def __init__(self) -> None:
        self.callers = 0
        self.task: asyncio.Task[None] | None = None
        self.answer: Any = None  # unary: the leader's Completion
        self.error: BaseException | None = None
        self.ended = False
        self.opened = False  # streams: the upstream stream is open (route known)
        self.route: RouteInfo | None = None
        self.cost: Cost | None = None  # streams: set with the end event
        self.events: list[StreamEvent] = []
        self.changed = asyncio.Event()

    def bump(self) -> None:
        """Wake every waiter (each then waits on a fresh event)."""
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()

    async def wait(self, ready: Callable[[], bool]) -> None:
        while not ready():
            await self.changed.wait()

    def leave(self) -> None:
        """A caller stops waiting; the last one out before the end cancels."""
        self.callers -= 1
        if self.callers <= 0 and not self.finished and self.task is not None:
            self.task.cancel()

    @property
    def finished(self) -> bool:
        """Ended, or a stream whose end event is in (nothing left to cut)."""
        return self.ended or bool(self.events and isinstance(self.events[-1], StreamEnd))

    async def fly_unary(self, run: Awaitable[Any]) -> None:
        try:
            self.answer = await run
        except BaseException as error:  # every caller gets it
            self.error = error
        finally:
            self.ended = True
            self.bump()

    async def fly_stream(self, open_stream: Awaitable[Any]) -> None:
        session = None
        try:
            session = await open_stream
            self.route, self.opened = session.route, True
            self.bump()
            async for event in session:
                if isinstance(event, StreamEnd):
                    self.cost = session.cost
                self.events.append(event)
                self.bump()
        except BaseException as error:
            self.error = error
        finally:
            self.ended = True
            self.bump()
            if session is not None:
                await session.aclose()


class SharedStream:
    """One caller's view of a flight's stream (a ``StreamSession``)."""

    def __init__(
        self, flight: Flight, response_id: str, request_id: str, leader: bool, created_at: float
    ) -> None:
        assert flight.route is not None
        self._flight = flight
        self._leader = leader
        self.response_id = response_id
        self.request_id = request_id
        self.created_at = created_at
        route = flight.route
        self.route = route if leader else _coalesced(route)
        self._done = False
        self.finalize: Callable[[bool], Awaitable[None]] | None = None

    @property
    def cost(self) -> Cost | None:
        cost = self._flight.cost
        if cost is None or self._leader:
            return cost
        return zero(cost)

    @property
    def leader_route(self) -> RouteInfo:
        """Where the shared stream really went (not marked coalesced)."""
        assert self._flight.route is not None
        return self._flight.route

    @property
    def leader_cost(self) -> Cost | None:
        """What the shared stream cost (the leader's bill), once it ended."""
        return self._flight.cost

    @property
    def events(self) -> tuple[StreamEvent, ...] | None:
        """Every event, once the end event is in (else ``None``: unfinished
        or failed)."""
        flight, events = self._flight, self._flight.events
        if flight.error is not None or not events or not isinstance(events[-1], StreamEnd):
            return None
        return tuple(events)

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._follow()

    async def _follow(self) -> AsyncIterator[StreamEvent]:
        flight, seen = self._flight, 0
        try:
            while True:
                changed = flight.changed
                while seen < len(flight.events):
                    event = flight.events[seen]
                    seen += 1
                    if isinstance(event, StreamEnd):
                        await self._finish(True)
                    yield event
                if flight.ended:
                    if flight.error is not None:
                        raise flight.error
                    return
                await changed.wait()
        finally:
            await self.aclose()

    async def _finish(self, completed: bool) -> None:
        if not self._done:
            self._done = True
            self._flight.leave()
            if self.finalize is not None:
                await asyncio.shield(self.finalize(completed))

    async def aclose(self) -> None:
        await self._finish(False)


def _coalesced(route: RouteInfo) -> RouteInfo:
    return RouteInfo(route.alias, route.model, route.backend, route.failed_backends, coalesced=True)


__all__ = ["Flight", "SharedStream"]
