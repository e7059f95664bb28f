"""The pipeline facade the API layer calls: plan, attempt, price.

One request, as of this version:

1. resolve the model name to targets (``pipeline.catalog``), add the request's
   ``fallback_models``, honour ``pinned_backend`` and ``fallback_mode``, and
   keep the targets able to serve the operation (chat vs embeddings); none
   left is ``NoEligibleBackendError`` before any call;
2. run the attempt loop (``pipeline.resilience``): retries, breakers and
   fallback over the targets, bounded by the deadline;
3. price the reported usage centrally with the ``PriceBook``.

Streams: an attempt opens the upstream stream *and reads until the first
content delta*, so a failure before anything reached the caller can still
retry or fall back; after that, a failure ends the stream with an error (never
a clean end, never a silent switch to another backend mid-answer). The
``_Session`` replays what the attempt read, then relays the rest, and closes
the upstream exactly once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import random
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Mapping,
    MutableMapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from llmgw.accounting.pricing import PriceBook
from llmgw.domain.backends import ApiKey, BackendSpec
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import (
    FailureClass,
    FieldViolation,
    GatewayOverloadedError,
    NoEligibleBackendError,
    UpstreamError,
)
from llmgw.domain.generation import GenerationConfig, Usage
from llmgw.domain.ids import new_id
from llmgw.domain.ledger import AttemptStatus
from llmgw.domain.models import Capability, ModelInfo, ModelType, Target
from llmgw.domain.money import Cost
from llmgw.domain.principal import ANONYMOUS, Principal
from llmgw.domain.requests import (
    Attribution,
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    ReasoningDelta,
    RoutingHints,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from llmgw.domain.secret import Secret
from llmgw.observability.traffic import MetricsLog
from llmgw.pipeline.catalog import Catalog
from llmgw.pipeline.keys import KeyPool, KeysExhaustedError
from llmgw.pipeline.latency import LatencyBoard
from llmgw.pipeline.ratelimit import CallerLimits
from llmgw.pipeline.resilience import AttemptLoop
from llmgw.pipeline.results import (
    Completion,
    EmbedResult,
    ModelListing,
    RouteInfo,
    StreamSession,
    TokenCount,
)
from llmgw.pipeline.routing import Candidate
from llmgw.pipeline.routing import plan as routing_plan
from llmgw.pipeline.settlement import Accountant, Tab
from llmgw.pipeline.tokens import estimate_input_tokens
from llmgw.providers.base import ChatStream, Provider

T = TypeVar("T")
U = TypeVar("U", ChatResponse, EmbedResponse)  # unary answers: both carry ``usage``
_CONTENT_EVENTS = (TextDelta, ToolCallDelta, ReasoningDelta, StreamEnd)


class Gateway:
    """Serves chat, streaming chat, embeddings, token counts and the model list."""

    def __init__(
        self,
        catalog: Catalog,
        providers: MutableMapping[str, Provider],
        prices: PriceBook,
        attempts: AttemptLoop,
        routing: RoutingSettings | None = None,
        pools: Mapping[str, KeyPool] | None = None,
        first_token_timeouts: Mapping[str, float] | None = None,
        accountant: Accountant | None = None,
        limits: CallerLimits | None = None,
    ) -> None:
        self._catalog = catalog
        self._providers = providers
        self._prices = prices
        self._attempts = attempts
        self._routing = routing or RoutingSettings()
        self._pools: dict[str, KeyPool] = dict(pools or {})
        self._first_token_timeouts: Mapping[str, float] = first_token_timeouts or {}
        self._latency = LatencyBoard()
        self._in_flight: dict[str, int] = dict.fromkeys(providers, 0)
        self.metrics = MetricsLog()
        self._running: dict[tuple[str, str], set[asyncio.Task[Any]]] = {}
        self._aborting: set[asyncio.Task[Any]] = set()
        self._sessions: dict[tuple[str, str], set[_Session]] = {}
        self._random = random.Random()
        self.accountant = accountant or Accountant(prices)
        self._limits = limits

    @property
    def prices(self) -> PriceBook:
        return self._prices

    @property
    def attempts(self) -> AttemptLoop:
        return self._attempts

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
        self._in_flight[spec.name] = 0
        self._prices.add_models(spec.models)
        self._catalog.add_models(spec.models)  # last: resolvable only once servable

    def has_backend(self, backend: str) -> bool:
        return backend in self._providers

    def set_routing(self, routing: RoutingSettings) -> None:
        """Replace the routing defaults (configuration reload); requests
        already planned keep the plan they made."""
        self._routing = routing

    @property
    def limits(self) -> CallerLimits | None:
        return self._limits

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def routing(self) -> RoutingSettings:
        return self._routing

    async def chat(
        self, request: ChatRequest, deadline: Deadline, principal: Principal = ANONYMOUS
    ) -> Completion:
        input_tokens, targets = self._chat_targets(request)
        providers = self._providers
        request_id = request.request_id or new_id()
        limits = await self._admit(principal, request.attribution, input_tokens)
        tab = await self._open_tab(
            request_id, request.attribution, targets, input_tokens, request.generation
        )
        costs: dict[int, Cost] = {}

        async def attempt(target: Target) -> ChatResponse:
            async def call(key: Secret | None) -> ChatResponse:
                return await providers[target.backend].chat(request, target.model, deadline, key)

            response, key = await self._billed(tab, target, input_tokens, call, costs)
            if key is not None:
                await self._pools[target.backend].record_output(key, response.usage.output_tokens)
            return response

        started = time.monotonic()
        try:
            outcome = await self._attempts.run(request.model, targets, attempt, deadline)
        finally:
            await tab.close()
            if limits is not None:
                end_user = request.attribution.end_user_id
                await limits.record_output(principal, end_user, tab.output_tokens)
        cost = costs[id(outcome.value)]
        self.metrics.settled(
            outcome.target.backend,
            outcome.target.model.id,
            outcome.value.usage.output_tokens,
            time.monotonic() - started,
            cost.total_nanos,
        )
        return Completion(
            response_id=new_id(),
            request_id=request_id,
            response=outcome.value,
            route=_route(outcome.target, outcome.failed_backends),
            cost=cost,
            created_at=time.time(),
        )

    async def stream_chat(
        self, request: ChatRequest, deadline: Deadline, principal: Principal = ANONYMOUS
    ) -> StreamSession:
        input_tokens, targets = self._chat_targets(request)
        providers = self._providers
        request_id = request.request_id or new_id()
        tab, finish = await self._open_stream(
            principal, request, request_id, targets, input_tokens
        )

        async def attempt(target: Target) -> _Primed:
            async def call(key: Secret | None) -> _Primed:
                provider = providers[target.backend]
                limit = self._first_token_timeouts.get(target.backend, 0.0)
                if not limit:
                    return await _prime(
                        await provider.stream_chat(request, target.model, deadline, key)
                    )
                try:
                    async with asyncio.timeout(limit):
                        return await _prime(
                            await provider.stream_chat(request, target.model, deadline, key)
                        )
                except TimeoutError as exc:
                    raise UpstreamError(
                        target.backend,
                        FailureClass.TIMEOUT,
                        detail=f"no first token within {limit:g} s",
                    ) from exc

            begun = time.monotonic()
            try:
                async with self._tracked(target, first_token=True):  # until the first delta
                    primed, key = await self._with_key(target, input_tokens, call)
            except BaseException as error:
                _bill_failure(tab, target, begun, error, input_tokens)
                raise
            primed.started = begun
            if key is not None:
                primed.key_id = key.id
                pool = self._pools[target.backend]
                primed.on_end = lambda usage: pool.record_output(key, usage.output_tokens)
            return primed

        try:
            outcome = await self._attempts.run(request.model, targets, attempt, deadline)
        except BaseException:
            await tab.close()
            await finish()
            raise
        session = _Session(
            outcome.value,
            outcome.target,
            outcome.failed_backends,
            self._prices,
            request_id,
            self.metrics,
            tab,
            input_tokens,
            finish,
        )
        key = (outcome.target.backend, outcome.target.alias)
        registry = self._sessions.setdefault(key, set())
        registry.add(session)
        session.on_close = registry.discard
        return session

    async def embed(
        self, request: EmbedRequest, deadline: Deadline, principal: Principal = ANONYMOUS
    ) -> EmbedResult:
        input_tokens = functools.cache(
            lambda: sum(-(-len(i) // 4) for i in request.inputs if isinstance(i, str))
        )
        routing = request.routing
        targets = self._targets(
            request.model, routing, ModelType.EMBEDDING, None, input_tokens, request.attribution
        )
        providers = self._providers
        request_id = request.request_id or new_id()
        await self._admit(principal, request.attribution, input_tokens)
        tab = await self._open_tab(request_id, request.attribution, targets, input_tokens, None)
        costs: dict[int, Cost] = {}

        async def attempt(target: Target) -> EmbedResponse:
            async def call(key: Secret | None) -> EmbedResponse:
                return await providers[target.backend].embed(request, target.model, deadline, key)

            response, _ = await self._billed(tab, target, input_tokens, call, costs)
            return response

        try:
            outcome = await self._attempts.run(request.model, targets, attempt, deadline)
        finally:
            await tab.close()
        return EmbedResult(
            response_id=new_id(),
            request_id=request_id,
            response=outcome.value,
            route=_route(outcome.target, outcome.failed_backends),
            cost=costs[id(outcome.value)],
        )

    def _chat_targets(self, request: ChatRequest) -> tuple[Callable[[], int], list[Target]]:
        """The request's (lazy) input-token estimate and its chat targets. The
        estimate runs only when routing or a limited key pool needs it (not on
        the common single-target, single-key path)."""
        input_tokens = functools.cache(lambda: estimate_input_tokens(request))
        attribution = request.attribution
        targets = self._targets(
            request.model, request.routing, ModelType.CHAT, request, input_tokens, attribution
        )
        return input_tokens, targets

    async def _billed(
        self,
        tab: Tab,
        target: Target,
        input_tokens: Callable[[], int],
        call: Callable[[Secret | None], Awaitable[U]],
        costs: dict[int, Cost],
    ) -> tuple[U, ApiKey | None]:
        """One unary attempt and its ledger row: priced centrally on success
        (the cost is kept in ``costs`` by response), billed as failed otherwise."""
        begun = time.monotonic()
        try:
            async with self._tracked(target):
                response, key = await self._with_key(target, input_tokens, call)
        except BaseException as error:
            _bill_failure(tab, target, begun, error, input_tokens)
            raise
        produced = (
            sum(len(c.message.text) for c in response.candidates)
            if isinstance(response, ChatResponse)
            else 0
        )
        usage, estimated = _usage_or_estimate(response.usage, produced, input_tokens)
        if estimated:
            response = dataclasses.replace(response, usage=usage)
        cost = self._prices.cost(target.model, usage, estimated=estimated)
        costs[id(response)] = cost
        tab.add(
            target,
            AttemptStatus.OK,
            begun,
            usage,
            cost,
            estimated=estimated,
            upstream_key_id=key.id if key is not None else "",
        )
        return response, key

    async def _open_stream(
        self,
        principal: Principal,
        request: ChatRequest,
        request_id: str,
        targets: Sequence[Target],
        input_tokens: Callable[[], int],
    ) -> tuple[Tab, Callable[[], Awaitable[None]]]:
        """A stream's admission: a concurrent-stream slot (held until the
        stream ends), rate limits, then the budget reservation. Returns the tab
        and the finalizer that frees the slot and counts the output tokens."""
        end_user = request.attribution.end_user_id
        limits = self._limits
        slot = None
        if limits is not None and limits.applies(principal, end_user):
            slot = await limits.acquire_stream_slot(principal)
        else:
            limits = None
        tab: Tab | None = None

        async def finish() -> None:
            if slot is not None:
                await slot.release()
            if limits is not None and tab is not None:
                await limits.record_output(principal, end_user, tab.output_tokens)

        try:
            if limits is not None:
                await limits.admit(principal, end_user, input_tokens())
            tab = await self._open_tab(
                request_id, request.attribution, targets, input_tokens, request.generation
            )
        except BaseException:
            await finish()
            raise
        return tab, finish

    async def _admit(
        self, principal: Principal, attribution: Attribution, input_tokens: Callable[[], int]
    ) -> CallerLimits | None:
        """Caller rate limits (key, tenant, user); returns the limiter when one
        applies (its output counter must be fed at the end), else ``None``."""
        limits = self._limits
        if limits is None or not limits.applies(principal, attribution.end_user_id):
            return None
        await limits.admit(principal, attribution.end_user_id, input_tokens())
        return limits

    async def _open_tab(
        self,
        request_id: str,
        attribution: Attribution,
        targets: Sequence[Target],
        input_tokens: Callable[[], int],
        generation: GenerationConfig | None,
    ) -> Tab:
        """Reserve the request's upper bound (only when budgets exist)."""
        accountant = self.accountant
        bound = 0
        if accountant.budgets is not None and accountant.budgets.active:
            max_output = generation.max_output_tokens if generation is not None else 0
            bound = accountant.upper_bound(targets, input_tokens(), max_output)
        return await accountant.open(request_id, attribution, bound)

    async def _with_key(
        self,
        target: Target,
        input_tokens: Callable[[], int],
        call: Callable[[Secret | None], Awaitable[T]],
    ) -> tuple[T, ApiKey | None]:
        """Run ``call`` with a key of the target's pool, moving to another key
        of the same backend when the upstream rejects one (401/403, quota) or
        rate-limits it (429: the key cools down for its ``retry-after``)."""
        pool = self._pools.get(target.backend)
        if pool is None or pool.trivial:
            return await call(None), None
        tried: set[str] = set()
        last: UpstreamError | None = None
        while True:
            try:
                key = await pool.acquire(target.model.id, input_tokens(), frozenset(tried))
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
                elif error.failure in (FailureClass.CREDENTIAL, FailureClass.QUOTA):
                    pool.mark_bad(key)
                else:
                    raise
                tried.add(key.id)
                last = error

    async def count_tokens(self, request: ChatRequest) -> TokenCount:
        tokens = estimate_input_tokens(request)
        target = self._targets(
            request.model, request.routing, ModelType.CHAT, request, lambda: tokens
        )[0]
        cost = self._prices.cost(target.model, Usage(input_tokens=tokens), estimated=True)
        return TokenCount(tokens, target.model.id, cost)

    def list_models(self) -> Sequence[ModelListing]:
        return [
            ModelListing(m, self._catalog.aliases_of(m), self._prices.price(m))
            for m in self._catalog.models
        ]

    def abort(self, backend: str, alias: str) -> int:
        """End what ``alias`` is running on ``backend`` now (``SwitchBackend``
        IMMEDIATE): attempts fail with ``UNAVAILABLE`` (retryable), started
        streams end with ``UPSTREAM_STREAM_INTERRUPTED``. Returns how many."""
        tasks = list(self._running.get((backend, alias), ()))
        for task in tasks:
            self._aborting.add(task)
            task.cancel()
        sessions = list(self._sessions.get((backend, alias), ()))
        for session in sessions:
            session.interrupt()
        return len(tasks) + len(sessions)

    def in_flight(self, backend: str) -> int:
        return self._in_flight.get(backend, 0)

    @asynccontextmanager
    async def _tracked(self, target: Target, first_token: bool = False) -> AsyncIterator[None]:
        """Count the attempt in flight; record its latency (to the first token
        for streams) or its failure class."""
        backend, model = target.backend, target.model.id
        self._in_flight[backend] = self._in_flight.get(backend, 0) + 1
        task = asyncio.current_task()
        running = self._running.setdefault((backend, target.alias), set())
        if task is not None:
            running.add(task)
        started = time.monotonic()
        try:
            yield
        except UpstreamError as error:
            self.metrics.attempt(backend, model, error.failure.value, 0.0)
            raise
        except asyncio.CancelledError:
            if task is None or task not in self._aborting:
                raise  # the caller cancelled: propagate
            self._aborting.discard(task)
            task.uncancel()
            raise GatewayOverloadedError(
                f"Backend {backend} was switched away from; retry.", retry_after=0.0
            ) from None
        finally:
            self._in_flight[backend] -= 1
            if task is not None:
                running.discard(task)
        seconds = time.monotonic() - started
        self._latency.observe(backend, model, seconds)
        self.metrics.attempt(backend, model, "", seconds, first_token)

    def _targets(
        self,
        name: str,
        routing: RoutingHints,
        kind: ModelType,
        request: ChatRequest | None,
        input_tokens: Callable[[], int],
        attribution: Attribution | None = None,
    ) -> list[Target]:
        """Eligible targets able to serve ``kind``, in the order to try them.

        Budget-aware: when the alias allows downgrading (config
        ``routing.allow_downgrade`` or the request's ``allow_downgrade``) and a
        soft budget of the caller is past ``downgrade_at_percent``, the cost
        strategy orders the targets (cheapest eligible model first)."""
        resolved = self._catalog.resolve(name)
        candidates = list(resolved.targets)
        if routing.fallback_mode != "none":
            for ref in routing.fallback_models:
                candidates.extend(self._catalog.resolve(ref).targets)
        seen: set[tuple[str, str]] = set()
        targets: list[Target] = []
        for target in candidates:
            key = (target.backend, target.model.id)
            if key in seen or target.backend not in self._providers:
                continue
            seen.add(key)
            if target.model.type is kind:
                targets.append(target)
        if routing.pinned_backend:
            targets = [t for t in targets if t.backend == routing.pinned_backend]
        if routing.fallback_mode == "same_model" and targets:
            targets = [t for t in targets if t.model.id == targets[0].model.id]
        if not targets:
            need = Capability.EMBEDDINGS.value if kind is ModelType.EMBEDDING else "chat"
            where = f" on backend {routing.pinned_backend!r}" if routing.pinned_backend else ""
            raise NoEligibleBackendError(
                name,
                (
                    FieldViolation(
                        "model", f"no target of {name!r} supports {need}{where}", "CAPABILITY"
                    ),
                ),
            )
        strategy = routing.strategy or self._routing.strategies.get(resolved.alias, "")
        downgrade = attribution is not None and len(targets) > 1
        if downgrade and attribution and self._downgrade(routing, resolved.alias):
            pressure = self.accountant.pressure(attribution)
            if pressure >= self._routing.downgrade_at_percent:
                strategy = "cost"  # a soft budget is running out: cheapest eligible first
        if (
            len(targets) == 1
            and strategy in ("", "capability")
            and routing.max_cost_nanos is None
            and not routing.required_capabilities
            and routing.min_context_tokens is None
            and not targets[0].model.context_window
        ):
            return targets  # the common single-target request: nothing to decide
        ordered = routing_plan(
            name,
            [self._candidate(t) for t in targets],
            routing,
            strategy,
            input_tokens=input_tokens(),
            output_tokens=(
                (request.generation.max_output_tokens or 0) if request is not None else 0
            ),
            draw=self._random.random(),
            exploration=self._routing.exploration,
        )
        return ordered[:1] if routing.fallback_mode == "none" else ordered

    def _downgrade(self, routing: RoutingHints, alias: str) -> bool:
        if routing.allow_downgrade is not None:
            return routing.allow_downgrade
        return alias in self._routing.allow_downgrade

    def _candidate(self, target: Target) -> Candidate:
        backend, model = target.backend, target.model
        return Candidate(
            target=target,
            price=self._prices.price(model),
            latency=self._latency.get(backend, model.id),
            healthy=not self._attempts.breakers.is_open(backend, model.id),
            local=backend in self._routing.local_backends,
            in_flight=self._in_flight.get(backend, 0),
            max_in_flight=self._routing.max_in_flight.get(backend, 0),
        )


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    """Configured routing defaults: strategy per alias, which backends are
    local (self-hosted), their concurrency caps, the latency exploration share."""

    strategies: Mapping[str, str] = field(default_factory=dict)
    local_backends: frozenset[str] = frozenset()
    max_in_flight: Mapping[str, int] = field(default_factory=dict)
    exploration: float = 0.05
    allow_downgrade: frozenset[str] = frozenset()  # aliases that may downgrade
    downgrade_at_percent: float = 75.0


class _Primed:
    """An upstream stream read up to (and including) its first content event."""

    __slots__ = ("buffered", "key_id", "on_end", "started", "upstream")

    def __init__(self, upstream: ChatStream, buffered: list[StreamEvent]) -> None:
        self.upstream = upstream
        self.buffered = buffered
        self.on_end: Callable[[Usage], Awaitable[None]] | None = None
        self.started = time.monotonic()
        self.key_id = ""


async def _prime(upstream: ChatStream) -> _Primed:
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
    return _Primed(_Resumed(upstream, iterator), buffered)


class _Resumed:
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


class _Session:
    """A started stream; see ``StreamSession`` for the contract."""

    def __init__(
        self,
        primed: _Primed,
        target: Target,
        failed_backends: tuple[str, ...],
        prices: PriceBook,
        request_id: str,
        metrics: MetricsLog,
        tab: Tab,
        input_tokens: Callable[[], int],
        finish: Callable[[], Awaitable[None]],
    ) -> None:
        self.response_id = new_id()
        self._finish = finish
        self._target = target
        self._tab = tab
        self._input_tokens = input_tokens
        self._produced_chars = 0
        self._last_usage: Usage | None = None
        self._failed = False
        self._metrics = metrics
        self._started = time.monotonic()
        self.request_id = request_id
        self.route = _route(target, failed_backends)
        self.created_at = time.time()
        self._primed = primed
        self._model: ModelInfo = target.model
        self._prices = prices
        self._cost: Cost | None = None
        self._closed = False
        self.on_close: Callable[[_Session], None] | None = None

    @property
    def cost(self) -> Cost | None:
        return self._cost

    def interrupt(self) -> None:
        """Close the upstream under the relay: iteration then fails with
        ``STREAM_INTERRUPTED`` (an operator switched the backend away)."""
        self._primed.upstream.abort()

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._relay()

    async def _relay(self) -> AsyncIterator[StreamEvent]:
        try:
            for event in self._primed.buffered:
                if isinstance(event, StreamEnd):
                    yield await self._ended(event)
                    return
                self._observe(event)
                yield event
            self._primed.buffered = []
            async for event in self._primed.upstream:
                kind = type(event)
                if kind is TextDelta:
                    self._produced_chars += len(event.text)  # type: ignore[union-attr]
                elif kind is StreamEnd:
                    event = await self._ended(event)  # type: ignore[arg-type]
                else:
                    self._observe(event)
                yield event
        except Exception:
            self._failed = True
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

    def _unfinished(self) -> None:
        """Bill a stream that ended without the upstream's terminal event:
        cancelled by the caller, or cut (truncated). What was produced is billed:
        the provider's last cumulative usage when it sent one, else an estimate."""
        status = AttemptStatus.TRUNCATED if self._failed else AttemptStatus.CANCELLED
        produced = -(-self._produced_chars // 4)
        usage = self._last_usage
        if usage is None or usage.output_tokens < produced:
            input_tokens = usage.input_tokens if usage else self._input_tokens()
            usage = Usage(input_tokens=input_tokens, output_tokens=produced)
        self._tab.add(
            self._target,
            status,
            self._primed.started,
            usage,
            self._prices.cost(self._model, usage, estimated=True),
            estimated=True,
            upstream_key_id=self._primed.key_id,
        )

    async def _ended(self, end: StreamEnd) -> StreamEnd:
        """Bill the finished stream; returns its end event, with estimated usage
        when the upstream reported none for a non-empty answer."""
        usage, estimated = _usage_or_estimate(end.usage, self._produced_chars, self._input_tokens)
        if estimated:
            end = dataclasses.replace(end, usage=usage)
        self._cost = self._prices.cost(self._model, usage, estimated=estimated)
        self._tab.add(
            self._target,
            AttemptStatus.OK,
            self._primed.started,
            usage,
            self._cost,
            estimated=estimated,
            upstream_key_id=self._primed.key_id,
        )
        await self._tab.close()
        self._metrics.settled(
            self._model.backend,
            self._model.id,
            end.usage.output_tokens,
            time.monotonic() - self._started,
            self._cost.total_nanos,
            streamed=True,
        )
        if self._primed.on_end is not None:
            await self._primed.on_end(end.usage)
        return end

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            if self.on_close is not None:
                self.on_close(self)
            try:
                await self._primed.upstream.aclose()
            finally:
                try:
                    if not self._tab.closed:
                        self._unfinished()
                        await self._tab.close()
                finally:
                    await asyncio.shield(self._finish())


def _usage_or_estimate(
    usage: Usage, produced_chars: int, input_tokens: Callable[[], int]
) -> tuple[Usage, bool]:
    """The provider's usage, or, when it reported no tokens at all for an
    answer that has text (some OpenAI-compatible servers omit usage on
    streams), an estimate: never a silent zero cost. Returns (usage, estimated)."""
    if usage.input_tokens or usage.output_tokens or not produced_chars:
        return usage, False
    estimate = Usage(input_tokens=input_tokens(), output_tokens=-(-produced_chars // 4))
    return estimate, True


def _bill_failure(
    tab: Tab, target: Target, started: float, error: BaseException, input_tokens: Callable[[], int]
) -> None:
    """A failed attempt's row: nothing produced (zero cost), or, when the caller
    cancelled mid-call, the prompt the upstream already received (estimated)."""
    if isinstance(error, asyncio.CancelledError):
        usage = Usage(input_tokens=input_tokens())
        tab.add(target, AttemptStatus.CANCELLED, started, usage, estimated=True)
    else:
        tab.add(target, AttemptStatus.ERROR, started)


def _route(target: Target, failed_backends: tuple[str, ...] = ()) -> RouteInfo:
    return RouteInfo(
        alias=target.alias,
        model=target.model.id,
        backend=target.backend,
        failed_backends=failed_backends,
    )


__all__ = ["Gateway"]
