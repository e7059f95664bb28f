"""Single-flight: identical in-flight calls make one upstream call.

Which calls may coalesce: those the cache step left pending with
``shareable`` set, i.e. an exact-cache miss under ``READ_WRITE``: the caller
already accepts any stored answer to an identical request (same scope, model,
messages, generation config, tools), so an answer being produced right now
is equally acceptable. Nothing else merges: ``BYPASS`` and ``REFRESH``
callers, and callers without a cache policy, always get their own upstream
call, so two callers sampling at temperature > 0 who expect different
samples are never silently merged unless their policy says so. Unary and
streamed calls fly separately.

``before``: the first such call (leader) starts a ``Flight`` that runs the
rest of the chain (budget reservation, attempts) in its own task, on the
leader's plan; every caller, leader included, waits for
it and is answered from it. The leader's answer carries the real cost and is
billed by the flight's own ledger rows (under the leader's request id);
followers get ``route.coalesced``, zero cost, and a ledger row of status
``coalesced`` (``after``). A caller that goes away only leaves the flight;
the last one out cancels it (the upstream is closed). In-process: replicas
share answers through the cache tiers, not flights.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

from llmgw.accounting.ledger.port import Ledger
from llmgw.domain.ledger import AttemptStatus
from llmgw.pipeline.cache.flight import Flight, SharedStream
from llmgw.pipeline.cache.policy import Pending
from llmgw.pipeline.cache.rows import free_row, zero
from llmgw.pipeline.context import CallContext
from llmgw.pipeline.results import Completion

Runner = Callable[[CallContext], Awaitable[Any]]


class SingleFlightStep:
    name = "single-flight"

    def __init__(
        self, run: Runner, ledger: Ledger | None, wall: Callable[[], float] = time.time
    ) -> None:
        self._run = run  # the rest of the chain: a Completion, or an open stream session
        self._ledger = ledger
        self._wall = wall
        self._flights: dict[tuple[str, str], Flight] = {}

    @property
    def in_flight(self) -> int:
        return len(self._flights)

    async def before(self, ctx: CallContext) -> None:
        pending: Pending | None = ctx.cache_entry
        if pending is None or not pending.shareable:
            return
        key = (pending.scope, pending.key)
        flight = self._flights.get(key)
        leader = flight is None
        if flight is None:
            flight = self._flights[key] = Flight()
            flight.task = asyncio.create_task(self._fly(key, flight, _flight_context(ctx)))
        flight.callers += 1
        ctx.coalesced = not leader
        if ctx.streaming:
            await self._join_stream(ctx, flight, leader)
        else:
            await self._join_unary(ctx, flight, leader)
        ctx.answered = True

    async def _fly(self, key: tuple[str, str], flight: Flight, ctx: CallContext) -> None:
        try:
            if ctx.streaming:
                await flight.fly_stream(self._run(ctx))
            else:
                await flight.fly_unary(self._run(ctx))
        finally:
            if self._flights.get(key) is flight:
                del self._flights[key]

    async def _join_unary(self, ctx: CallContext, flight: Flight, leader: bool) -> None:
        try:
            await flight.wait(lambda: flight.ended)
        finally:
            flight.leave()
        if flight.error is not None:
            raise flight.error
        answer: Completion = flight.answer
        if leader:
            ctx.answer = answer
            return
        route = dataclasses.replace(answer.route, coalesced=True)
        ctx.shared_from = answer
        ctx.created_at = self._wall()
        free, created = zero(answer.cost), ctx.created_at
        ctx.answer = Completion(
            ctx.response_id, ctx.request_id, answer.response, route, free, created
        )

    async def _join_stream(self, ctx: CallContext, flight: Flight, leader: bool) -> None:
        try:
            await flight.wait(lambda: flight.opened or flight.ended)
        except BaseException:
            flight.leave()
            raise
        if not flight.opened:
            flight.leave()
            assert flight.error is not None
            raise flight.error
        ctx.created_at = self._wall()
        ctx.answer = SharedStream(flight, ctx.response_id, ctx.request_id, leader, ctx.created_at)

    async def after(self, ctx: CallContext) -> None:
        """A follower's ledger row: zero cost, the tokens of the answer it
        shared, ``saved_nanos`` = the leader's cost."""
        if not ctx.coalesced or ctx.error is not None or self._ledger is None:
            return
        answer, leader = ctx.answer, ctx.shared_from
        if isinstance(leader, Completion):
            usage, original = leader.response.usage, leader.cost
        elif isinstance(answer, SharedStream) and answer.events and answer.leader_cost:
            usage, original = answer.events[-1].usage, answer.leader_cost  # type: ignore[union-attr]
        else:
            return
        row = free_row(ctx, AttemptStatus.COALESCED, answer.route, usage, original, self._wall())
        await self._ledger.record(row)


def _flight_context(ctx: CallContext) -> CallContext:
    """The flight's own context: the leader's call, owned by no caller."""
    return CallContext(
        ctx.operation,
        ctx.request,
        ctx.principal,
        ctx.attribution,
        ctx.deadline,
        ctx.request_id,
        ctx.input_tokens,
        targets=list(ctx.targets),  # the leader's plan
        labels=dict(ctx.labels),
        response_id=ctx.response_id,
    )


__all__ = ["SingleFlightStep"]
