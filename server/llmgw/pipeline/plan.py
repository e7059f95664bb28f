"""The routing plan of one call: which targets, in which order.

Decision table (first matching row decides; ``routing.py`` orders candidates):

============================================  ===========================================
situation                                     plan
============================================  ===========================================
alias + ``fallback_models`` (unless           candidates, de-duplicated by (backend, model),
``fallback_mode: none``)                      only served backends, only the operation's type
``pinned_backend`` set                        only that backend's targets
``fallback_mode: same_model``                 only the first target's model
``fallback_mode: equivalent``                 only targets whose ``tier`` (equivalence
                                              group) is the first target's; a first
                                              target without a tier: its model only
nothing left                                  ``NoEligibleBackendError`` before any call
one target, no strategy/price/capability      that target (the common path: no scoring)
or context constraint
``prompt_cache_key`` set, a model on          each model's replicas in the key's
several backends                              rendezvous order (``affinity.sticky``)
soft budget past ``downgrade_at_percent``     strategy ``cost`` (when the alias or the
and the alias may downgrade                   request allows downgrading)
otherwise                                     ``routing.plan`` over the candidates; only
                                              the first one with ``fallback_mode: none``
============================================  ===========================================
"""

from __future__ import annotations

import random
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field

from llmgw.accounting.pricing import PriceBook
from llmgw.domain.errors import FieldViolation, NoEligibleBackendError
from llmgw.domain.models import Capability, ModelType, Target
from llmgw.domain.requests import Attribution, RoutingHints
from llmgw.pipeline.affinity import sticky
from llmgw.pipeline.breaker import BreakerBoard
from llmgw.pipeline.catalog import Catalog
from llmgw.pipeline.latency import LatencyBoard
from llmgw.pipeline.routing import Assessment, Candidate, assess
from llmgw.pipeline.routing import plan as routing_plan


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


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """What the planner reads of the running gateway (shared, live views)."""

    catalog: Catalog
    served: Container[str]  # backends with an adapter
    prices: PriceBook
    latency: LatencyBoard
    breakers: BreakerBoard
    in_flight: Mapping[str, int]
    pressure: Callable[[Attribution], float]  # soft-budget pressure, percent


@dataclass(slots=True)  # not frozen: built per call, cheaper to construct
class PlanQuery:
    """One call's routing question."""

    name: str
    routing: RoutingHints
    kind: ModelType
    output_tokens: int
    input_tokens: Callable[[], int]
    attribution: Attribution | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    """``Planner.explain``: the plan's own decision with every verdict."""

    alias: str
    strategy: str
    input_tokens: int
    assessment: Assessment


class Planner:
    """``plan(query) -> [Target]`` following the decision table above;
    ``explain(query)`` is the same decision with every verdict kept.

    The common row (one target, nothing to score) depends only on the name,
    the operation's type, the catalogue and the settings when the request has
    no routing hints: that decision is kept per (name, type) until the
    catalogue's version moves (models added, aliases reloaded, an override set
    or expired) or the settings are replaced; while an override is active
    (it may expire at any time) nothing is kept."""

    def __init__(self, inputs: PlanInputs, settings: RoutingSettings) -> None:
        self._in = inputs
        self._settings = settings
        self._random = random.Random()
        # name, kind -> (catalogue version, target): the lone-target plans of
        # requests without routing hints (bounded: only names that resolve).
        self._lone: dict[tuple[str, ModelType], tuple[int, Target]] = {}

    @property
    def settings(self) -> RoutingSettings:
        return self._settings

    @settings.setter
    def settings(self, settings: RoutingSettings) -> None:
        self._settings = settings
        self._lone = {}  # a strategy may now apply where none did

    def plan(self, query: PlanQuery) -> list[Target]:
        catalog = self._in.catalog
        plain = query.routing == _NO_HINTS and not catalog.overridden  # overrides expire
        if plain:
            hit = self._lone.get((query.name, query.kind))
            if hit is not None and hit[0] == catalog.version:
                return [hit[1]]  # the same decision as below, made once per catalogue version
        version = catalog.version
        targets, strategy = self._prepare(query)
        if len(targets) == 1 and _trivial(query.routing, strategy, targets[0]):
            if plain:
                self._lone[(query.name, query.kind)] = (version, targets[0])
            return targets  # the common single-target request: nothing to decide
        ordered = self._sticky(
            query,
            routing_plan(
                query.name,
                [self._candidate(t) for t in targets],
                query.routing,
                strategy,
                input_tokens=query.input_tokens(),
                output_tokens=query.output_tokens,
                draw=self._random.random(),
                exploration=self.settings.exploration,
            ),
        )
        return ordered[:1] if query.routing.fallback_mode == "none" else ordered

    def explain(self, query: PlanQuery) -> Explanation:
        """What ``plan`` decides for ``query``, with each candidate's verdict,
        estimated cost and score (no exploration draw: the latency strategy's
        random 5 % detour is left out). Raises what ``plan`` raises when no
        target of the right type is served; ineligible targets are reported,
        not raised."""
        targets, strategy = self._prepare(query)
        tokens = query.input_tokens()
        candidates = [self._candidate(t) for t in targets]
        assessment = assess(
            candidates,
            query.routing,
            strategy,
            input_tokens=tokens,
            output_tokens=query.output_tokens,
        )
        if query.routing.prompt_cache_key:
            by_target = {id(c.target): c for c in assessment.ordered}
            ordered = self._sticky(query, [c.target for c in assessment.ordered])
            assessment.ordered[:] = [by_target[id(t)] for t in ordered]
        if query.routing.fallback_mode == "none" and len(assessment.ordered) > 1:
            why = FieldViolation("routing.fallback_mode", "fallback_mode NONE", "FALLBACK_MODE")
            assessment.dropped.extend((c, why) for c in assessment.ordered[1:])
            del assessment.ordered[1:]
        assessment.dropped.extend(self._narrowed_out(query, targets))
        return Explanation(self.alias(query.name), strategy, tokens, assessment)

    def _narrowed_out(
        self, query: PlanQuery, kept: list[Target]
    ) -> list[tuple[Candidate, FieldViolation]]:
        """Targets ``pinned_backend`` or the fallback mode left out (explain only)."""
        routing = query.routing
        every = self._candidates(self._in.catalog.resolve(query.name).targets, query)
        found: list[tuple[Candidate, FieldViolation]] = []
        for target in every:
            if target in kept:
                continue
            if routing.pinned_backend and target.backend != routing.pinned_backend:
                why = FieldViolation(
                    "routing.pinned_backend", f"pinned to {routing.pinned_backend}", "PINNED"
                )
            else:
                first = kept[0].model
                group = f"tier {first.tier!r}" if first.tier else f"model {first.id!r}"
                why = FieldViolation(
                    "routing.fallback_mode",
                    f"fallback_mode {routing.fallback_mode.upper()} keeps to {group}",
                    "FALLBACK_MODE",
                )
            found.append((self._candidate(target), why))
        return found

    def _sticky(self, query: PlanQuery, ordered: list[Target]) -> list[Target]:
        """The key's replica of each model first (``pipeline.affinity``)."""
        key = query.routing.prompt_cache_key
        if not key:
            return ordered
        breakers = self._in.breakers
        return sticky(ordered, key, lambda t: not breakers.is_open(t.backend, t.model.id))

    def _prepare(self, query: PlanQuery) -> tuple[list[Target], str]:
        """The candidate targets (narrowed) and the strategy to order them by."""
        resolved = self._in.catalog.resolve(query.name)
        targets = _narrow(self._candidates(resolved.targets, query), query.routing)
        if not targets:
            raise _no_target(query)
        strategy = query.routing.strategy or self.settings.strategies.get(resolved.alias, "")
        if self._downgrades(query, resolved.alias, len(targets)):
            strategy = "cost"  # a soft budget is running out: cheapest eligible first
        return targets, strategy

    def alias(self, name: str) -> str:
        """``name`` when it names an alias (what ``RouteInfo.alias`` reports),
        else ``""``: a fallback's alias never replaces what the caller asked."""
        return name if name in self._in.catalog.aliases else ""

    def _candidates(self, first: tuple[Target, ...], query: PlanQuery) -> list[Target]:
        """The alias's targets then the fallback models', de-duplicated, served
        and of the operation's type."""
        candidates = list(first)
        if query.routing.fallback_mode != "none":
            for ref in query.routing.fallback_models:
                candidates.extend(self._in.catalog.resolve(ref).targets)
        seen: set[tuple[str, str]] = set()
        targets: list[Target] = []
        served = self._in.served
        for target in candidates:
            key = (target.backend, target.model.id)
            if key in seen or target.backend not in served:
                continue
            seen.add(key)
            if target.model.type is query.kind:
                targets.append(target)
        return targets

    def _downgrades(self, query: PlanQuery, alias: str, count: int) -> bool:
        if query.attribution is None or count < 2:
            return False
        allowed = query.routing.allow_downgrade
        if allowed is None:
            allowed = alias in self.settings.allow_downgrade
        if not allowed:
            return False
        return self._in.pressure(query.attribution) >= self.settings.downgrade_at_percent

    def _candidate(self, target: Target) -> Candidate:
        backend, model = target.backend, target.model
        return Candidate(
            target=target,
            price=self._in.prices.price(model),
            latency=self._in.latency.get(backend, model.id),
            healthy=not self._in.breakers.is_open(backend, model.id),
            local=backend in self.settings.local_backends,
            in_flight=self._in.in_flight.get(backend, 0),
            max_in_flight=self.settings.max_in_flight.get(backend, 0),
        )


_NO_HINTS = RoutingHints()


def _narrow(targets: list[Target], routing: RoutingHints) -> list[Target]:
    if routing.pinned_backend:
        targets = [t for t in targets if t.backend == routing.pinned_backend]
    if not targets:
        return targets
    first = targets[0].model
    if routing.fallback_mode == "same_model" or (
        routing.fallback_mode == "equivalent" and not first.tier
    ):
        targets = [t for t in targets if t.model.id == first.id]
    elif routing.fallback_mode == "equivalent":
        targets = [t for t in targets if t.model.tier == first.tier]
    return targets


def _trivial(routing: RoutingHints, strategy: str, target: Target) -> bool:
    """Nothing to score or check for a lone target."""
    return (
        strategy in ("", "capability")
        and routing.max_cost_nanos is None
        and not routing.required_capabilities
        and routing.min_context_tokens is None
        and not target.model.context_window
    )


def _no_target(query: PlanQuery) -> NoEligibleBackendError:
    name, routing = query.name, query.routing
    need = Capability.EMBEDDINGS.value if query.kind is ModelType.EMBEDDING else "chat"
    where = f" on backend {routing.pinned_backend!r}" if routing.pinned_backend else ""
    violation = FieldViolation(
        "model", f"no target of {name!r} supports {need}{where}", "CAPABILITY"
    )
    return NoEligibleBackendError(name, (violation,))


__all__ = ["Explanation", "PlanInputs", "PlanQuery", "Planner", "RoutingSettings"]
