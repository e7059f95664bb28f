"""The attempt step: the resilience loop over the plan, with key rotation.

Last in every chain. Each upstream attempt runs under the registry (in-flight
count, abortable, latency) with a key of the target's pool (``with_key``
moves to another key of the same backend on 401/403/quota, and cools a
rate-limited key down), and adds its ledger row to the call's tab: priced
centrally on success, zero on failure, the prompt (estimated) when the caller
cancelled mid-call. The loop itself (retries, breakers, fallback) is
``pipeline.resilience``. Sets ``ctx.result``, ``ctx.target``, ``ctx.route``,
``ctx.usage`` and ``ctx.cost`` (streams: usage and cost when they end).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from llmgw.accounting.pricing import PriceBook
from llmgw.domain.backends import ApiKey
from llmgw.domain.clock import Clock
from llmgw.domain.errors import FailureClass, UpstreamError
from llmgw.domain.generation import FinishReason, Usage
from llmgw.domain.ledger import AttemptStatus
from llmgw.domain.models import Target
from llmgw.domain.requests import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse
from llmgw.domain.secret import Secret
from llmgw.pipeline.attempt_spans import AttemptSpans
from llmgw.pipeline.context import CallContext
from llmgw.pipeline.keys import KeyPool, KeysExhaustedError
from llmgw.pipeline.output_cap import Capped, OutputCaps
from llmgw.pipeline.registry import Registry
from llmgw.pipeline.resilience import AttemptLoop, Outcome
from llmgw.pipeline.results import RouteInfo
from llmgw.pipeline.settlement import Tab, usage_or_estimate
from llmgw.pipeline.streams import Primed, prime
from llmgw.providers.base import Provider

T = TypeVar("T")
U = TypeVar("U", ChatResponse, EmbedResponse)  # unary answers: both carry ``usage``


@dataclass(frozen=True, slots=True)
class Upstreams:
    """The live views an attempt reads (shared with the facade and admin)."""

    providers: MutableMapping[str, Provider]
    pools: MutableMapping[str, KeyPool]
    loop: AttemptLoop
    registry: Registry
    prices: PriceBook
    clock: Clock
    first_token_timeouts: Mapping[str, float]
    caps: OutputCaps
    spans: AttemptSpans = field(default_factory=lambda: AttemptSpans(None, {}))


class _Attempts:
    """What every attempt step shares: key rotation and billing."""

    name = "attempts"
    finalizes = False  # ``after`` is a no-op: the chain skips it

    def __init__(self, upstreams: Upstreams) -> None:
        self._up = upstreams

    async def after(self, ctx: CallContext) -> None:
        return None

    async def _with_key(
        self, target: Target, ctx: CallContext, call: Callable[[Secret | None], Awaitable[T]]
    ) -> tuple[T, ApiKey | None]:
        """Run ``call`` with a key of the target's pool, moving to another key
        of the same backend when the upstream rejects one (401/403, quota) or
        rate-limits it (429: the key cools down for its ``retry-after``)."""
        pool = self._up.pools.get(target.backend)
        if pool is None or pool.trivial:
            return await call(None), None
        tried: set[str] = set()
        last: UpstreamError | None = None
        while True:
            try:
                key = await pool.acquire(target.model.id, ctx.input_tokens(), frozenset(tried))
            except KeysExhaustedError:
                if last is not None:
                    raise last from None  # the upstream's verdict on the last key says more
                raise
            if key is None:
                return await call(None), None
            try:
                return await call(key.secret), key
            except UpstreamError as error:
                if error.failure is FailureClass.RATE_LIMIT:
                    pool.cool_down(key, error.retry_after or 1.0)
                    self._up.loop.observer.key_cooldown(target.backend)
                elif error.failure in (FailureClass.CREDENTIAL, FailureClass.QUOTA):
                    pool.mark_bad(key)
                else:
                    raise
                tried.add(key.id)
                last = error

    async def _billed(
        self, ctx: CallContext, target: Target, call: Callable[[Secret | None], Awaitable[U]]
    ) -> tuple[U, ApiKey | None]:
        """One unary attempt and its ledger row: priced centrally on success
        (``ctx.cost``), billed as failed otherwise."""
        tab = ctx.tab
        assert tab is not None
        begun = self._up.clock.now()
        span = self._up.spans.open(ctx, target)
        pool = self._up.pools.get(target.backend)
        try:
            async with self._up.registry.track(target):
                if pool is None or pool.trivial:  # one unlimited key: no rotation (one await less)
                    response, key = await call(None), None
                else:
                    response, key = await self._with_key(target, ctx, call)
        except BaseException as error:
            bill_failure(tab, target, begun, error, ctx.input_tokens)
            if span is not None:
                span.failed(error)
            raise
        finally:
            if span is not None:
                span.detach()
        usage, estimated = response.usage, False
        if not (usage.input_tokens or usage.output_tokens):  # no usage reported: estimate
            produced = (
                sum(len(c.message.text) for c in response.candidates)
                if isinstance(response, ChatResponse)
                else 0
            )
            usage, estimated = usage_or_estimate(usage, produced, ctx.input_tokens)
            if estimated:
                response = dataclasses.replace(response, usage=usage)
        cost = self._up.prices.cost(target.model, usage, estimated=estimated)
        ctx.cost, ctx.usage = cost, usage
        upstream_key_id = key.id if key is not None else ""
        tab.add(
            target,
            AttemptStatus.OK,
            begun,
            usage,
            cost,
            estimated=estimated,
            upstream_key_id=upstream_key_id,
        )
        ctx.output_tokens += usage.output_tokens
        if span is not None:
            span.succeeded(usage, response, upstream_key_id)
        return response, key

    def _capped(self, ctx: CallContext, request: ChatRequest, target: Target) -> Capped:
        """The request this attempt sends: with the output cap the reservation
        assumed, tightened by ``max_cost`` (``pipeline.output_cap``)."""
        reserving = ctx.tab is not None and ctx.tab.reserving
        return self._up.caps.apply(request, target.model, ctx.input_tokens, reserving)

    def _done(self, ctx: CallContext, outcome: Outcome[Any]) -> None:
        target = outcome.target
        ctx.result, ctx.target = outcome.value, target
        ctx.route = RouteInfo(
            ctx.alias, target.model.id, target.backend, outcome.failed_backends, outcome.attempts
        )


class ChatAttempts(_Attempts):
    async def before(self, ctx: CallContext) -> None:
        request, deadline = ctx.request, ctx.deadline
        assert isinstance(request, ChatRequest) and deadline is not None
        providers, pools = self._up.providers, self._up.pools

        async def attempt(target: Target) -> ChatResponse:
            capped = self._capped(ctx, request, target)

            def call(key: Secret | None) -> Awaitable[ChatResponse]:
                answer = providers[target.backend].chat(capped.request, target.model, deadline, key)
                return _cost_capped(answer) if capped.cost_limited else answer  # no wrapper frame

            response, key = await self._billed(ctx, target, call)
            if key is not None:
                await pools[target.backend].record_output(key, response.usage.output_tokens)
            return response

        outcome = await self._up.loop.run(request.model, ctx.targets, attempt, deadline)
        self._done(ctx, outcome)


class EmbedAttempts(_Attempts):
    async def before(self, ctx: CallContext) -> None:
        request, deadline = ctx.request, ctx.deadline
        assert isinstance(request, EmbedRequest) and deadline is not None
        providers = self._up.providers

        async def attempt(target: Target) -> EmbedResponse:
            def call(key: Secret | None) -> Awaitable[EmbedResponse]:
                return providers[target.backend].embed(request, target.model, deadline, key)

            response, _ = await self._billed(ctx, target, call)
            return response

        outcome = await self._up.loop.run(request.model, ctx.targets, attempt, deadline)
        self._done(ctx, outcome)


class StreamAttempts(_Attempts):
    """Opens the stream and reads to the first content delta; the session
    (``pipeline.streams``) relays the rest and bills it."""

    async def before(self, ctx: CallContext) -> None:
        request, deadline = ctx.request, ctx.deadline
        assert isinstance(request, ChatRequest) and deadline is not None
        up = self._up

        async def attempt(target: Target) -> Primed:
            capped = self._capped(ctx, request, target)

            async def call(key: Secret | None) -> Primed:
                return await self._open(target, capped, ctx, key)

            begun = up.clock.now()
            span = up.spans.open(ctx, target)  # ends with the stream (telemetry step)
            try:
                async with up.registry.track(target, first_token=True):  # until the first delta
                    primed, key = await self._with_key(target, ctx, call)
            except BaseException as error:
                assert ctx.tab is not None
                bill_failure(ctx.tab, target, begun, error, ctx.input_tokens)
                if span is not None:
                    span.failed(error)
                raise
            finally:
                if span is not None:
                    span.detach()
            ctx.attempt_span = span
            primed.started = begun
            primed.cost_limited = capped.cost_limited
            primed.cost_limit_tokens = capped.cost_limit_tokens
            if key is not None:
                primed.key_id = key.id
                pool = up.pools[target.backend]
                primed.on_end = lambda usage: pool.record_output(key, usage.output_tokens)
            return primed

        outcome = await up.loop.run(request.model, ctx.targets, attempt, deadline)
        ctx.first_token_at = up.clock.now()
        self._done(ctx, outcome)

    async def _open(
        self, target: Target, capped: Capped, ctx: CallContext, key: Secret | None
    ) -> Primed:
        """The upstream stream primed, within the backend's first-token timeout.

        Under a ``max_cost`` limit the deltas of one read are not merged: the
        session stops at the first upstream chunk past the limit."""
        provider = self._up.providers[target.backend]
        deadline = ctx.deadline
        assert deadline is not None
        limit = self._up.first_token_timeouts.get(target.backend, 0.0)
        if not limit:
            stream = await provider.stream_chat(capped.request, target.model, deadline, key)
            stream.coalesce = not capped.cost_limit_tokens
            return await prime(stream)
        try:
            async with asyncio.timeout(limit):
                stream = await provider.stream_chat(capped.request, target.model, deadline, key)
                stream.coalesce = not capped.cost_limit_tokens
                return await prime(stream)
        except TimeoutError as exc:
            raise UpstreamError(
                target.backend, FailureClass.TIMEOUT, detail=f"no first token within {limit:g} s"
            ) from exc


class CountTokens(_Attempts):
    """No upstream call: the first target's model and the prompt's estimated cost."""

    name = "count-tokens"

    async def before(self, ctx: CallContext) -> None:
        target = ctx.targets[0]
        usage = Usage(input_tokens=ctx.input_tokens())
        ctx.target, ctx.usage = target, usage
        ctx.cost = self._up.prices.cost(target.model, usage, estimated=True)


async def _cost_capped(answer: Awaitable[ChatResponse]) -> ChatResponse:
    """An answer that stopped at the cap ``max_cost`` set ends with ``COST_CAP``."""
    response = await answer
    candidates = tuple(
        dataclasses.replace(c, finish_reason=FinishReason.COST_CAP)
        if c.finish_reason is FinishReason.MAX_TOKENS
        else c
        for c in response.candidates
    )
    return dataclasses.replace(response, candidates=candidates)


def bill_failure(
    tab: Tab, target: Target, started: float, error: BaseException, input_tokens: Callable[[], int]
) -> None:
    """A failed attempt's row: nothing produced (zero cost), or, when the caller
    cancelled mid-call, the prompt the upstream already received (estimated)."""
    if isinstance(error, asyncio.CancelledError):
        usage = Usage(input_tokens=input_tokens())
        tab.add(target, AttemptStatus.CANCELLED, started, usage, estimated=True)
    else:
        tab.add(target, AttemptStatus.ERROR, started)


__all__ = ["ChatAttempts", "CountTokens", "EmbedAttempts", "StreamAttempts", "Upstreams"]
