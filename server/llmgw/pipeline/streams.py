"""Streams: priming (read to the first content delta) and the relay session.

An attempt opens the upstream stream *and reads until the first content
delta* (``prime``), so a failure before anything reached the caller can still
retry or fall back; after that, a failure ends the stream with an error (never
a clean end, never a silent switch to another backend mid-answer). The
``Session`` replays what priming read, then relays the rest, bills the stream
(one ledger row: OK at the final event; CANCELLED or TRUNCATED with what was
produced otherwise) and then runs the chain's finalizers exactly once:
before the final event is handed to the caller (so the row is durable first),
or when the stream is closed early (error, client cancel, generator closed).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from llmgw.accounting.pricing import PriceBook
from llmgw.domain.clock import Clock
from llmgw.domain.generation import FinishReason, Usage
from llmgw.domain.ids import new_id
from llmgw.domain.ledger import AttemptStatus
from llmgw.domain.money import Cost
from llmgw.domain.requests import (
    CandidateEnd,
    ReasoningDelta,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from llmgw.pipeline.context import CallContext
from llmgw.pipeline.results import RouteInfo
from llmgw.pipeline.settlement import usage_or_estimate
from llmgw.providers.base import ChatStream

_CONTENT_EVENTS = (TextDelta, ToolCallDelta, ReasoningDelta, StreamEnd)


class Primed:
    """An upstream stream read up to (and including) its first content event."""

    __slots__ = (
        "buffered",
        "cost_limit_tokens",
        "cost_limited",
        "key_id",
        "on_end",
        "started",
        "upstream",
    )

    def __init__(self, upstream: Resumed, buffered: list[StreamEvent]) -> None:
        self.upstream = upstream
        self.buffered = buffered
        self.on_end: Callable[[Usage], Awaitable[None]] | None = None
        self.started = 0.0
        self.key_id = ""
        self.cost_limited = False  # ``max_cost`` set the output cap sent
        self.cost_limit_tokens = 0  # output tokens ``max_cost`` affords (0: none)


async def prime(upstream: ChatStream) -> Primed:
    """Read until the first content delta (or the end); close on failure."""
    buffered: list[StreamEvent] = []
    iterator = upstream.__aiter__()
    try:
        # ``break`` leaves the iterator open: the session resumes it.
        async for event in iterator:
            buffered.append(event)
            if isinstance(event, _CONTENT_EVENTS):
                break
    except BaseException:
        await upstream.aclose()
        raise
    return Primed(Resumed(upstream, iterator), buffered)


class Resumed:
    """The upstream stream continued from where priming stopped."""

    __slots__ = ("_iterator", "_upstream")

    def __init__(self, upstream: ChatStream, iterator: AsyncIterator[StreamEvent]) -> None:
        self._upstream = upstream
        self._iterator = iterator

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._iterator

    def abort(self) -> None:
        self._upstream.abort()

    async def aclose(self) -> None:
        await self._upstream.aclose()


class StreamServices(Protocol):
    """What a session needs of the gateway: time, the bill, the finalizers."""

    clock: Clock
    prices: PriceBook

    async def finalize(self, ctx: CallContext) -> None: ...


class Session:
    """A started stream; see ``results.StreamSession`` for the contract."""

    def __init__(self, ctx: CallContext, primed: Primed, services: StreamServices) -> None:
        self._ctx = ctx
        self._primed = primed
        self._services = services
        assert ctx.route is not None
        self.route: RouteInfo = ctx.route
        self.request_id = ctx.request_id
        self.response_id = ctx.response_id or new_id()
        # wall clock: the answer's timestamp (a replay repeats it)
        self.created_at = ctx.created_at = time.time()
        self._produced_chars = 0
        self._last_usage: Usage | None = None
        self._failed = False
        self._closed = False
        self._finalized = False
        self.on_close: Callable[[Session], None] | None = None

    @property
    def cost(self) -> Cost | None:
        return self._ctx.cost

    def interrupt(self) -> None:
        """Close the upstream under the relay: iteration then fails with
        ``STREAM_INTERRUPTED`` (an operator switched the backend away)."""
        self._primed.upstream.abort()

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._relay()

    async def _relay(self) -> AsyncIterator[StreamEvent]:
        transcript = self._ctx.transcript  # a step keeps what the caller got
        try:
            for event in self._primed.buffered:
                if isinstance(event, StreamEnd):
                    yield await self._ended(event)
                    return
                self._observe(event)
                if transcript is not None:
                    transcript.append(event)
                yield event
            self._primed.buffered = []
            limit_chars = self._primed.cost_limit_tokens * 4
            async for event in self._primed.upstream:
                kind = type(event)
                if kind is TextDelta:
                    self._produced_chars += len(event.text)  # type: ignore[union-attr]
                elif kind is StreamEnd:
                    event = await self._ended(event)  # type: ignore[arg-type]
                else:
                    self._observe(event)
                if transcript is not None and kind is not StreamEnd:
                    transcript.append(event)
                yield event
                if limit_chars and kind is TextDelta and self._produced_chars >= limit_chars:
                    yield await self._ended(self._cost_cap_end())  # ``max_cost`` reached
                    return
        except Exception as error:
            self._failed = True
            self._ctx.error = error
            raise
        finally:
            await self.aclose()

    def _observe(self, event: StreamEvent) -> None:
        """Keep what a bill for an unfinished stream needs (produced text, usage)."""
        if isinstance(event, TextDelta | ReasoningDelta):
            self._produced_chars += len(event.text)
        elif isinstance(event, ToolCallDelta):
            self._produced_chars += len(event.arguments_fragment) + len(event.name)
        elif isinstance(event, UsageUpdate):
            self._last_usage = event.usage

    def _cost_cap_end(self) -> StreamEnd:
        """The end of a stream the gateway stops at ``max_cost``: what was
        produced (estimated, at least the provider's last usage)."""
        produced = -(-self._produced_chars // 4)
        usage = self._last_usage
        input_tokens = usage.input_tokens if usage else self._ctx.input_tokens()
        output = max(produced, usage.output_tokens if usage else 0)
        return StreamEnd(
            Usage(input_tokens=input_tokens, output_tokens=output),
            (CandidateEnd(0, FinishReason.COST_CAP, "gateway_cost_cap"),),
        )

    def _unfinished(self) -> None:
        """Bill a stream that ended without the upstream's terminal event:
        cancelled by the caller, or cut (truncated). What was produced is billed:
        the provider's last cumulative usage when it sent one, else an estimate."""
        ctx = self._ctx
        status = AttemptStatus.TRUNCATED if self._failed else AttemptStatus.CANCELLED
        produced = -(-self._produced_chars // 4)
        usage = self._last_usage
        if usage is None or usage.output_tokens < produced:
            input_tokens = usage.input_tokens if usage else ctx.input_tokens()
            usage = Usage(input_tokens=input_tokens, output_tokens=produced)
        self._bill(status, usage, estimated=True)

    def _bill(self, status: AttemptStatus, usage: Usage, estimated: bool) -> None:
        ctx = self._ctx
        target = ctx.target
        assert ctx.tab is not None and target is not None
        ctx.cost = self._services.prices.cost(target.model, usage, estimated=estimated)
        ctx.usage = usage
        row = ctx.tab.add(
            target,
            status,
            self._primed.started,
            usage,
            ctx.cost,
            estimated=estimated,
            upstream_key_id=self._primed.key_id,
        )
        ctx.output_tokens += row.output_tokens

    async def _ended(self, end: StreamEnd) -> StreamEnd:
        """Bill the finished stream and run the finalizers; returns its end
        event, with estimated usage when the upstream reported none for a
        non-empty answer."""
        ctx = self._ctx
        usage, estimated = usage_or_estimate(end.usage, self._produced_chars, ctx.input_tokens)
        if estimated:
            end = dataclasses.replace(end, usage=usage)
        if self._primed.cost_limited:
            end = _cost_capped(end)
        self._bill(AttemptStatus.OK, usage, estimated)
        ctx.stream_end = end  # finish reasons and response id, for the attempt span
        if ctx.transcript is not None:
            ctx.transcript.append(end)
        await self._finalize()
        if self._primed.on_end is not None:
            await self._primed.on_end(end.usage)
        return end

    async def _finalize(self) -> None:
        if not self._finalized:
            self._finalized = True
            await asyncio.shield(self._services.finalize(self._ctx))

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            if self.on_close is not None:
                self.on_close(self)
            try:
                await self._primed.upstream.aclose()
            finally:
                if not self._finalized:
                    if self._ctx.error is None:  # closed early by the caller
                        self._ctx.error = asyncio.CancelledError()
                    self._unfinished()
                    await self._finalize()


def _cost_capped(end: StreamEnd) -> StreamEnd:
    """A stream that stopped at the cap ``max_cost`` set ends with ``COST_CAP``."""
    if all(c.finish_reason is not FinishReason.MAX_TOKENS for c in end.candidates):
        return end
    candidates = tuple(
        dataclasses.replace(c, finish_reason=FinishReason.COST_CAP)
        if c.finish_reason is FinishReason.MAX_TOKENS
        else c
        for c in end.candidates
    )
    return dataclasses.replace(end, candidates=candidates)


__all__ = ["Primed", "Resumed", "Session", "prime"]
