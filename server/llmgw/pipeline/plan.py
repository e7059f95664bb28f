"""The routing plan of one call: which targets, in which order.

Decision table (first matching row decides; ``routing.py`` orders candidates):

============================================  ===========================================
situation                                     plan
============================================  ===========================================
alias + ``fallback_models`` (unless           candidates, de-duplicated by (backend, model),
``fallback_mode: none``)                      only served backends, only the operation's type
``pinned_backend`` set                        only that backend's targets
``fallback_mode: same_model``                 only the first target's model
nothing left                                  ``NoEligibleBackendError`` before any call
one target, no strategy/price/capability      that target (the common path: no scoring)
or context constraint
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
from llmgw.pipeline.breaker import BreakerBoard
from llmgw.pipeline.catalog import Catalog
from llmgw.pipeline.latency import LatencyBoard
from llmgw.pipeline.routing import Candidate
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


class Planner:
    """``plan(query) -> [Target]`` following the decision table above."""

    def __init__(self, inputs: PlanInputs, settings: RoutingSettings) -> None:
        self._in = inputs
        self.settings = settings
        self._random = random.Random()

    def plan(self, query: PlanQuery) -> list[Target]:
        resolved = self._in.catalog.resolve(query.name)
        targets = _narrow(self._candidates(resolved.targets, query), query.routing)
        if not targets:
            raise _no_target(query)
        strategy = query.routing.strategy or self.settings.strategies.get(resolved.alias, "")
        if self._downgrades(query, resolved.alias, len(targets)):
            strategy = "cost"  # a soft budget is running out: cheapest eligible first
        if len(targets) == 1 and _trivial(query.routing, strategy, targets[0]):
            return targets  # the common single-target request: nothing to decide
        ordered = routing_plan(
            query.name,
            [self._candidate(t) for t in targets],
            query.routing,
            strategy,
            input_tokens=query.input_tokens(),
            output_tokens=query.output_tokens,
            draw=self._random.random(),
            exploration=self.settings.exploration,
        )
        return ordered[:1] if query.routing.fallback_mode == "none" else ordered

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


def _narrow(targets: list[Target], routing: RoutingHints) -> list[Target]:
    if routing.pinned_backend:
        targets = [t for t in targets if t.backend == routing.pinned_backend]
    if routing.fallback_mode == "same_model" and targets:
        targets = [t for t in targets if t.model.id == targets[0].model.id]
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


__all__ = ["PlanInputs", "PlanQuery", "Planner", "RoutingSettings"]
