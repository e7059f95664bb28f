"""The pipeline facade the API layer calls: one chain per operation.

``Gateway`` builds, once, the chain (``pipeline.chain``) of each data-plane
operation from what is configured, and runs it per call over a fresh
``CallContext``:

==============  ==================================================================
operation       chain
==============  ==================================================================
Chat            telemetry, idempotency*, plan, admission*, custom*, cache*,
                single-flight*, budget, attempts
StreamChat      same; the finalizers run when the stream ends (``pipeline.streams``)
Embed           same, with the embedding attempt step
CountTokens     telemetry, plan, custom steps*, count (no upstream call, nothing billed)
==============  ==================================================================

(* only when configured; Embed has no cache or single-flight.) Telemetry is
first so its finalizer sees the whole call (``pipeline.steps.telemetry``).
Apart from a replayed request id, the plan comes next so a call no target can serve
fails before it consumes a rate limit or a reservation. Everything else here
is the control surface admin uses (swap an adapter, add a backend, abort an
alias's work, in-flight counts) and read-only views (catalogue, prices).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from llmgw.accounting.pricing import PriceBook
from llmgw.domain.backends import BackendSpec
from llmgw.domain.clock import Clock, SystemClock
from llmgw.domain.deadline import Deadline
from llmgw.domain.ids import new_id
from llmgw.domain.models import ModelType
from llmgw.domain.principal import ANONYMOUS, Principal
from llmgw.domain.requests import ChatRequest, EmbedRequest
from llmgw.observability.window import MetricsWindow
from llmgw.pipeline.attempt_spans import AttemptSpans
from llmgw.pipeline.attempts import (
    ChatAttempts,
    CountTokens,
    EmbedAttempts,
    StreamAttempts,
    Upstreams,
)
from llmgw.pipeline.catalog import Catalog
from llmgw.pipeline.chain import Chain, Step
from llmgw.pipeline.context import CallContext, Operation
from llmgw.pipeline.keys import KeyPool
from llmgw.pipeline.latency import LatencyBoard
from llmgw.pipeline.output_cap import OutputCaps
from llmgw.pipeline.plan import PlanInputs, Planner, RoutingSettings
from llmgw.pipeline.ratelimit import CallerLimits
from llmgw.pipeline.registry import Registry
from llmgw.pipeline.resilience import AttemptLoop
from llmgw.pipeline.results import (
    Completion,
    EmbedResult,
    ModelListing,
    StreamSession,
    TokenCount,
)
from llmgw.pipeline.settlement import Accountant
from llmgw.pipeline.steps import AdmissionStep, LedgerStep, PlanStep
from llmgw.pipeline.steps.single_flight import SingleFlightStep
from llmgw.pipeline.steps.telemetry import Telemetry, TelemetryStep
from llmgw.pipeline.streams import Primed, Session
from llmgw.pipeline.tokens import estimate_input_tokens
from llmgw.providers.base import Provider

R = TypeVar("R", ChatRequest, EmbedRequest)


@dataclass(frozen=True, slots=True)
class Backends:
    """The served backends: catalogue, adapters, prices, key pools, the attempt
    loop (retry/breaker policies) and per-backend first-token timeouts."""

    catalog: Catalog
    providers: MutableMapping[str, Provider]
    prices: PriceBook
    attempts: AttemptLoop
    pools: Mapping[str, KeyPool] = field(default_factory=dict)
    first_token_timeouts: Mapping[str, float] = field(default_factory=dict)


class Gateway:
    """Serves chat, streaming chat, embeddings, token counts and the model list."""

    def __init__(
        self,
        backends: Backends,
        routing: RoutingSettings | None = None,
        accountant: Accountant | None = None,
        limits: CallerLimits | None = None,
        custom_steps: Sequence[Step] = (),
        clock: Clock | None = None,
        front_steps: Sequence[Step] = (),
        telemetry: Telemetry | None = None,
    ) -> None:
        self._catalog = backends.catalog
        self._providers = backends.providers
        self._prices = backends.prices
        self._attempts = backends.attempts
        self._limits = limits
        self._clock = clock or SystemClock()
        self.telemetry = telemetry or Telemetry()
        self.metrics = MetricsWindow(self.telemetry.instruments)  # GetMetrics reads it
        self._attempts.observer = self.telemetry.instruments
        self.accountant = accountant or Accountant(backends.prices, clock=self._clock)
        latency = LatencyBoard()
        self._registry = Registry(self._clock, self.telemetry.instruments, latency)
        self._pools: dict[str, KeyPool] = dict(backends.pools)
        self._registry.in_flight_counts.update(dict.fromkeys(backends.providers, 0))
        self._planner = Planner(
            PlanInputs(
                self._catalog,
                self._providers,
                self._prices,
                latency,
                self._attempts.breakers,
                self._registry.in_flight_counts,
                self.accountant.pressure,
            ),
            routing or RoutingSettings(),
        )
        upstreams = Upstreams(
            *(self._providers, self._pools, self._attempts, self._registry, self._prices),
            self._clock,
            backends.first_token_timeouts,
            OutputCaps(self._prices, self.accountant.default_max_output_tokens),
            AttemptSpans(self.telemetry.tracing, self.telemetry.providers),
        )
        self._front = tuple(front_steps)
        self.chains = self._chains(upstreams, tuple(custom_steps), self._front)
        self._bind_front()

    def _bind_front(self) -> None:
        """Hand the gateway to front steps that call it back (the semantic
        cache embeds through it, billed like any call)."""
        for step in self._front:
            bind = getattr(step, "bind", None)
            if bind is not None:
                bind(self)

    def _chains(
        self, up: Upstreams, custom: tuple[Step, ...], front: tuple[Step, ...]
    ) -> dict[Operation, Chain]:
        """Each operation's chain: only configured steps are in it. ``front``
        steps open the chain (idempotency: a replay of a body that already
        passed it all), except those whose ``stage`` is ``"before-budget"``
        (the response cache): they run after the plan, admission and custom
        steps, so a cache hit still counts against rate limits and passes
        operator policy, and before the reservation it makes unnecessary;
        single-flight follows them."""
        admission: tuple[Step, ...] = (AdmissionStep(self._limits),) if self._limits else ()
        ledger = LedgerStep(self.accountant, self.telemetry.tracing)
        telemetry = TelemetryStep(self.telemetry, self._clock)
        first = tuple(s for s in front if getattr(s, "stage", "first") != "before-budget")
        late = tuple(s for s in front if getattr(s, "stage", "first") == "before-budget")

        def chain(kind: ModelType, last: Step, flight: Callable[..., Any] | None = None) -> Chain:
            head = (PlanStep(self._planner, kind), *admission, *custom)
            tail = (ledger, last)
            shared: tuple[Step, ...] = ()
            if flight is not None and late:  # coalesces what the cache step may share
                run = functools.partial(flight, Chain(tail))
                shared = (SingleFlightStep(run, self.accountant.ledger),)
            return Chain((telemetry, *first, *head, *late, *shared, *tail))

        return {
            Operation.CHAT: chain(ModelType.CHAT, ChatAttempts(up), self._chat_tail),
            Operation.STREAM_CHAT: chain(ModelType.CHAT, StreamAttempts(up), self._stream_tail),
            Operation.EMBED: chain(ModelType.EMBEDDING, EmbedAttempts(up)),
            Operation.COUNT_TOKENS: Chain(
                (
                    telemetry,
                    PlanStep(self._planner, ModelType.CHAT, budget_aware=False),
                    *custom,
                    CountTokens(up),
                )
            ),
        }

    # -- data plane ---------------------------------------------------------

    async def chat(
        self, request: ChatRequest, deadline: Deadline, principal: Principal = ANONYMOUS
    ) -> Completion:
        ctx = _context(Operation.CHAT, request, deadline, principal, _chat_tokens(request))
        await self.chains[Operation.CHAT].run(ctx)
        if ctx.answered:
            answer: Completion = ctx.answer
            return answer
        return self._completion(ctx)

    def _completion(self, ctx: CallContext) -> Completion:
        response, cost = ctx.result, ctx.cost
        assert cost is not None and ctx.route is not None
        created = ctx.created_at or time.time()
        return Completion(ctx.response_id, ctx.request_id, response, ctx.route, cost, created)

    async def stream_chat(
        self, request: ChatRequest, deadline: Deadline, principal: Principal = ANONYMOUS
    ) -> StreamSession:
        ctx = _context(Operation.STREAM_CHAT, request, deadline, principal, _chat_tokens(request))
        chain = self.chains[Operation.STREAM_CHAT]
        done = await chain.enter(ctx)  # the finalizers run when the session ends
        if ctx.answered:  # a replay, a cache hit or a shared flight: finalized at its end
            answer = ctx.answer
            answer.finalize = functools.partial(_finish_answered, chain, ctx, done)
            session: StreamSession = answer
            return session
        return self._session(ctx, chain)

    def _session(self, ctx: CallContext, chain: Chain) -> Session:
        primed, target = ctx.result, ctx.target
        assert isinstance(primed, Primed) and target is not None
        session = Session(ctx, primed, _StreamServices(self, chain))
        session.on_close = self._registry.add_session(target, session).discard
        return session

    async def _chat_tail(self, tail: Chain, ctx: CallContext) -> Completion:
        """A single-flight's call: the rest of the chat chain, its own context."""
        await tail.run(ctx)
        return self._completion(ctx)

    async def _stream_tail(self, tail: Chain, ctx: CallContext) -> Session:
        """A single-flight's stream: the rest of the chain entered, the session
        finalizing it when the stream ends."""
        await tail.enter(ctx)
        return self._session(ctx, tail)

    async def embed(
        self, request: EmbedRequest, deadline: Deadline, principal: Principal = ANONYMOUS
    ) -> EmbedResult:
        tokens = _Lazy(_embed_tokens, request)
        ctx = _context(Operation.EMBED, request, deadline, principal, tokens)
        await self.chains[Operation.EMBED].run(ctx)
        if ctx.answered:
            answer: EmbedResult = ctx.answer
            return answer
        assert ctx.route is not None and ctx.cost is not None
        return EmbedResult(ctx.response_id, ctx.request_id, ctx.result, ctx.route, ctx.cost)

    async def count_tokens(
        self, request: ChatRequest, principal: Principal = ANONYMOUS
    ) -> TokenCount:
        tokens = estimate_input_tokens(request)
        ctx = _context(Operation.COUNT_TOKENS, request, None, principal, lambda: tokens)
        await self.chains[Operation.COUNT_TOKENS].run(ctx)
        assert ctx.target is not None and ctx.cost is not None
        return TokenCount(tokens, ctx.target.model.id, ctx.cost)

    def list_models(self) -> Sequence[ModelListing]:
        return [
            ModelListing(m, self._catalog.aliases_of(m), self._prices.price(m))
            for m in self._catalog.models
        ]

    # -- control surface (admin) -------------------------------------------

    def replace_provider(self, backend: str, provider: Provider) -> Provider:
        """Swap the adapter of ``backend`` (new endpoint); returns the old one.

        Attempts already running keep the old adapter until they end (drain);
        the caller closes it after that.
        """
        old = self._providers[backend]
        self._providers[backend] = provider
        return old

    def add_backend(self, spec: BackendSpec, provider: Provider, pool: KeyPool) -> None:
        """Serve a backend created at run time (``AdminService.CreateBackend``).

        Registers its adapter (shared with the prober), key pool and in-flight
        counter, then its models in the catalogue (``backend/model`` and the
        bare model id resolve to them) and the price book (unpriced unless a
        configured override names them). Aliases are not changed. Raises
        ``ValueError`` when ``spec.name`` is already served.
        """
        if spec.name in self._providers:
            raise ValueError(f"backend {spec.name!r} already exists")
        self._providers[spec.name] = provider
        self._pools[spec.name] = pool
        self._registry.in_flight_counts[spec.name] = 0
        self._prices.add_models(spec.models)
        self._catalog.add_models(spec.models)  # last: resolvable only once servable

    async def purge_cache(self, scope: str) -> int:
        """Drop the stored answers of ``scope`` (``pipeline.cache.policy``'s
        partition key; ``""``: all) from every step that keeps answers."""
        removed = 0
        for step in self._front:
            purge = getattr(step, "purge", None)
            if purge is not None:
                removed += await purge(scope)
        return removed

    def has_backend(self, backend: str) -> bool:
        return backend in self._providers

    def abort(self, backend: str, alias: str) -> int:
        """End what ``alias`` is running on ``backend`` now (``SwitchBackend``
        IMMEDIATE): attempts fail with ``UNAVAILABLE`` (retryable), started
        streams end with ``UPSTREAM_STREAM_INTERRUPTED``. Returns how many."""
        return self._registry.abort(backend, alias)

    def in_flight(self, backend: str) -> int:
        return self._registry.in_flight(backend)

    def set_routing(self, routing: RoutingSettings) -> None:
        """Replace the routing defaults (configuration reload); requests
        already planned keep the plan they made."""
        self._planner.settings = routing

    @property
    def routing(self) -> RoutingSettings:
        return self._planner.settings

    @property
    def prices(self) -> PriceBook:
        return self._prices

    @property
    def attempts(self) -> AttemptLoop:
        return self._attempts

    @property
    def planner(self) -> Planner:
        """The routing planner (the route explanation asks it, admin plane)."""
        return self._planner

    @property
    def key_pools(self) -> Mapping[str, KeyPool]:
        return self._pools

    @property
    def limits(self) -> CallerLimits | None:
        return self._limits

    @property
    def catalog(self) -> Catalog:
        return self._catalog


class _StreamServices:
    """A stream session's view of the gateway: time, prices, finalizers."""

    __slots__ = ("_chain", "_gateway", "clock", "prices")

    def __init__(self, gateway: Gateway, chain: Chain) -> None:
        self._gateway = gateway
        self._chain = chain
        self.clock = gateway._clock
        self.prices = gateway.prices

    async def finalize(self, ctx: CallContext) -> None:
        await self._chain.exit(ctx, len(self._chain.steps))


async def _finish_answered(chain: Chain, ctx: CallContext, done: int, completed: bool) -> None:
    """The finalizers of a stream a step answered, when it ends (early: as
    cancelled)."""
    if not completed and ctx.error is None:
        ctx.error = asyncio.CancelledError()
    await chain.exit(ctx, done)


def _chat_tokens(request: ChatRequest) -> Callable[[], int]:
    """The request's lazy input-token estimate: runs only when routing, a
    limit or a limited key pool needs it (not on the common path)."""
    return _Lazy(estimate_input_tokens, request)


def _embed_tokens(request: EmbedRequest) -> int:
    return sum(-(-len(i) // 4) for i in request.inputs if isinstance(i, str))


class _Lazy(Generic[R]):
    """``compute(request)`` on the first call, then the kept value: one small
    object per call (``functools.cache`` builds a wrapper and copies the
    function's metadata each time)."""

    __slots__ = ("_compute", "_request", "_value")

    def __init__(self, compute: Callable[[R], int], request: R) -> None:
        self._compute: Callable[[R], int] = compute
        self._request: R = request
        self._value: int | None = None

    def __call__(self) -> int:
        value = self._value
        if value is None:
            value = self._value = self._compute(self._request)
        return value


def _context(
    operation: Operation,
    request: ChatRequest | EmbedRequest,
    deadline: Deadline | None,
    principal: Principal,
    input_tokens: Callable[[], int],
) -> CallContext:
    return CallContext(
        operation,
        request,
        principal,
        request.attribution,
        deadline,
        request.request_id or new_id(),
        input_tokens,
        response_id=new_id(),
    )


__all__ = ["Backends", "Gateway", "RoutingSettings"]
