"""The pipeline facade the API layer calls: one chain per operation.

``Gateway`` builds, once, the chain (``pipeline.chain``) of each data-plane
operation from what is configured, and runs it per call over a fresh
``CallContext``:

==============  ==================================================================
operation       chain
==============  ==================================================================
Chat            telemetry, plan, admission*, custom steps*, budget, attempts
StreamChat      same; the finalizers run when the stream ends (``pipeline.streams``)
Embed           same, with the embedding attempt step
CountTokens     telemetry, plan, custom steps*, count (no upstream call, nothing billed)
==============  ==================================================================

(* only when configured.) Telemetry is first so its finalizer sees the whole
call (``pipeline.steps.telemetry``). The plan comes next so a call no target can serve
fails before it consumes a rate limit or a reservation. Everything else here
is the control surface admin uses (swap an adapter, add a backend, abort an
alias's work, in-flight counts) and read-only views (catalogue, prices).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field

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
from llmgw.pipeline.steps.telemetry import Telemetry, TelemetryStep
from llmgw.pipeline.streams import Primed, Session
from llmgw.pipeline.tokens import estimate_input_tokens
from llmgw.providers.base import Provider


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
            self._providers,
            self._pools,
            self._attempts,
            self._registry,
            self._prices,
            self._clock,
            backends.first_token_timeouts,
            OutputCaps(self._prices, self.accountant.default_max_output_tokens),
            AttemptSpans(self.telemetry.tracing, self.telemetry.providers),
        )
        self.chains = self._chains(upstreams, tuple(custom_steps))

    def _chains(self, up: Upstreams, custom: tuple[Step, ...]) -> dict[Operation, Chain]:
        """Each operation's chain: only configured steps are in it."""
        admission: tuple[Step, ...] = (AdmissionStep(self._limits),) if self._limits else ()
        ledger = LedgerStep(self.accountant, self.telemetry.tracing)
        telemetry = TelemetryStep(self.telemetry, self._clock)

        def chain(kind: ModelType, last: Step) -> Chain:
            plan = PlanStep(self._planner, kind)
            return Chain((telemetry, plan, *admission, *custom, ledger, last))

        return {
            Operation.CHAT: chain(ModelType.CHAT, ChatAttempts(up)),
            Operation.STREAM_CHAT: chain(ModelType.CHAT, StreamAttempts(up)),
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
        response, cost = ctx.result, ctx.cost
        assert cost is not None and ctx.route is not None
        return Completion(new_id(), ctx.request_id, response, ctx.route, cost, time.time())

    async def stream_chat(
        self, request: ChatRequest, deadline: Deadline, principal: Principal = ANONYMOUS
    ) -> StreamSession:
        ctx = _context(Operation.STREAM_CHAT, request, deadline, principal, _chat_tokens(request))
        chain = self.chains[Operation.STREAM_CHAT]
        await chain.enter(ctx)  # the finalizers run when the session ends
        primed, target = ctx.result, ctx.target
        assert isinstance(primed, Primed) and target is not None
        session = Session(ctx, primed, _StreamServices(self, chain))
        session.on_close = self._registry.add_session(target, session).discard
        return session

    async def embed(
        self, request: EmbedRequest, deadline: Deadline, principal: Principal = ANONYMOUS
    ) -> EmbedResult:
        tokens = functools.cache(
            lambda: sum(-(-len(i) // 4) for i in request.inputs if isinstance(i, str))
        )
        ctx = _context(Operation.EMBED, request, deadline, principal, tokens)
        await self.chains[Operation.EMBED].run(ctx)
        assert ctx.route is not None and ctx.cost is not None
        return EmbedResult(new_id(), ctx.request_id, ctx.result, ctx.route, ctx.cost)

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


def _chat_tokens(request: ChatRequest) -> Callable[[], int]:
    """The request's lazy input-token estimate: runs only when routing, a
    limit or a limited key pool needs it (not on the common path)."""
    return functools.cache(lambda: estimate_input_tokens(request))


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
    )


__all__ = ["Backends", "Gateway", "RoutingSettings"]
