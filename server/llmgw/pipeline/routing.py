"""Routing strategies: which targets are eligible, and in which order to try them.

Pure functions over ``Candidate`` facts (price, observed latency, health,
load); no I/O, no clock, randomness passed in. The order they return is the
fallback order of the attempt loop.

Eligibility first, for every strategy: a target must have every
``required_capabilities``, a context window that holds the request's estimated
input plus its output budget (and at least ``min_context_tokens``), and, when
the caller set ``max_cost``, an estimated cost under it (an unpriced model
cannot prove that). If none remains: ``NoEligibleBackendError`` whose
violations say why each target was dropped (``FAILED_PRECONDITION`` +
``PreconditionFailure``).

Strategies (``RoutingHints.strategy``; the alias's configured default
otherwise; ``""`` keeps the configured chain order):

* ``cost``: cheapest estimated request cost first (free, then priced, then
  unpriced);
* ``latency``: lowest observed EWMA first; unobserved targets are tried early
  so they get measured, and with probability ``exploration`` a random other
  target goes first so stale estimates refresh;
* ``quality``: highest ``quality_tier`` first;
* ``balanced``: lowest weighted blend of normalised cost, latency and
  (inverted) quality;
* ``local_first``: self-hosted targets (vLLM, Ollama) while healthy and under
  their concurrency cap, then the rest in chain order;
* ``capability``: eligibility only, chain order.

Unhealthy targets (open breaker) keep their place relative to each other but
move behind healthy ones, so a request does not wait on a known-bad backend.

``assess`` is the whole decision with every candidate's verdict, estimated
cost and strategy score (the sort key: lower goes first); ``plan`` is
``assess`` reduced to the targets. The route explanation (``AdminService.
ExplainRoute``) reports ``assess`` itself: one code path, never a copy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from llmgw.domain.errors import (
    ContextLengthExceededError,
    FieldViolation,
    NoEligibleBackendError,
)
from llmgw.domain.models import Target
from llmgw.domain.money import ModelPrice, decimal_to_nanos
from llmgw.domain.requests import RoutingHints

_MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What routing knows about one target at decision time."""

    target: Target
    price: ModelPrice | None
    free: bool = False
    latency: float | None = None  # EWMA seconds, None = never observed
    healthy: bool = True
    local: bool = False
    in_flight: int = 0
    max_in_flight: int = 0  # 0 = no cap


@dataclass(frozen=True, slots=True)
class Weights:
    """Blend of the balanced strategy (each term normalised to [0, 1])."""

    cost: float = 0.4
    latency: float = 0.4
    quality: float = 0.2


DEFAULT_OUTPUT_ESTIMATE = 1024
# Input tokens are estimated (~4 characters per token), never counted with the
# model's tokenizer: a prompt is dropped only when even 90 % of the estimate
# would not fit, so an estimate that runs high does not refuse a prompt that fits.
ESTIMATE_TOLERANCE = 0.9


def estimated_cost_nanos(candidate: Candidate, input_tokens: int, output_tokens: int) -> int | None:
    """Upper-bound cost of the request on this target; ``None`` when unpriced.

    ``output_tokens`` is the caller's ``max_output_tokens`` (0 when unset: the
    model's output limit, else 1024, stands in for it).
    """
    if candidate.free:
        return 0
    price = candidate.price
    if price is None:
        return None
    model = candidate.target.model
    output = output_tokens or model.max_output_tokens or DEFAULT_OUTPUT_ESTIMATE
    amount = (input_tokens * price.input_per_mtok + output * price.output_per_mtok) / _MILLION
    return decimal_to_nanos(amount)


def fastest(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Lowest observed latency first; never-measured targets first of all."""
    return sorted(candidates, key=lambda c: -1.0 if c.latency is None else c.latency)


@dataclass(frozen=True, slots=True)
class Assessment:
    """Every candidate's verdict: the eligible ones in the order to try them
    (healthy first), the dropped ones with the check they failed, and for the
    eligible ones their estimated cost (``None`` = unpriced) and the
    strategy's score, keyed by ``id(candidate)``."""

    ordered: list[Candidate]
    dropped: list[tuple[Candidate, FieldViolation]]
    costs: dict[int, int | None]
    scores: dict[int, float]


def assess(
    candidates: Sequence[Candidate],
    hints: RoutingHints,
    strategy: str,
    *,
    input_tokens: int,
    output_tokens: int,
    draw: float = 1.0,
    exploration: float = 0.05,
    weights: Weights = Weights(),
) -> Assessment:
    """The decision (see the module docstring), every verdict kept.

    ``draw`` is a uniform random number in [0, 1) (exploration and tie-breaking).
    """
    eligible, dropped = _eligible(candidates, hints, input_tokens, output_tokens)
    costs = {id(c): estimated_cost_nanos(c, input_tokens, output_tokens) for c in eligible}
    scores = _scores(eligible, strategy, costs, weights)
    ordered = _order(eligible, strategy, scores, draw, exploration)
    healthy = [c for c in ordered if c.healthy]
    return Assessment(healthy + [c for c in ordered if not c.healthy], dropped, costs, scores)


def plan(
    name: str,
    candidates: Sequence[Candidate],
    hints: RoutingHints,
    strategy: str,
    *,
    input_tokens: int,
    output_tokens: int,
    draw: float = 1.0,
    exploration: float = 0.05,
    weights: Weights = Weights(),
) -> list[Target]:
    """Eligible targets in the order to try them; ``NoEligibleBackendError``
    (or ``ContextLengthExceededError``) when none is."""
    assessment = assess(
        candidates,
        hints,
        strategy,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        draw=draw,
        exploration=exploration,
        weights=weights,
    )
    if not assessment.ordered:
        raise no_eligible(name, candidates, assessment, input_tokens + output_tokens)
    return [c.target for c in assessment.ordered]


def no_eligible(
    name: str, candidates: Sequence[Candidate], assessment: Assessment, needed_tokens: int
) -> NoEligibleBackendError | ContextLengthExceededError:
    """Why nothing is eligible: every target too small for the prompt is the
    caller's prompt (``CONTEXT_LENGTH_EXCEEDED``), otherwise each violation."""
    violations = [v for _, v in assessment.dropped]
    if violations and all(v.reason == "CONTEXT_WINDOW" for v in violations):
        largest = max(c.target.model.context_window for c in candidates)
        return ContextLengthExceededError(name, largest, needed_tokens)
    return NoEligibleBackendError(name, tuple(violations))


def _eligible(
    candidates: Sequence[Candidate], hints: RoutingHints, input_tokens: int, output_tokens: int
) -> tuple[list[Candidate], list[tuple[Candidate, FieldViolation]]]:
    eligible: list[Candidate] = []
    violations: list[tuple[Candidate, FieldViolation]] = []
    for candidate in candidates:
        violation = _violation(candidate, hints, input_tokens, output_tokens)
        if violation is None:
            eligible.append(candidate)
        else:
            violations.append((candidate, violation))
    return eligible, violations


def _violation(
    candidate: Candidate, hints: RoutingHints, input_tokens: int, output_tokens: int
) -> FieldViolation | None:
    """The first check ``candidate`` fails (capability, context window, cost cap)."""
    model = candidate.target.model
    where = f"{model.backend}/{model.id}"
    missing = sorted(str(c) for c in hints.required_capabilities - model.capabilities)
    if missing:
        return FieldViolation(
            "routing.required_capabilities", f"{where} lacks {', '.join(missing)}", "CAPABILITY"
        )
    window = model.context_window
    if window and (
        int(input_tokens * ESTIMATE_TOLERANCE) + output_tokens > window
        or (hints.min_context_tokens is not None and window < hints.min_context_tokens)
    ):
        needs = max(input_tokens + output_tokens, hints.min_context_tokens or 0)
        return FieldViolation(
            "chat.messages",
            f"{where} has a {window}-token context; the request needs {needs}",
            "CONTEXT_WINDOW",
        )
    if hints.max_cost_nanos is not None:
        cost = estimated_cost_nanos(candidate, input_tokens, output_tokens)
        if cost is None or cost > hints.max_cost_nanos:
            shown = "unpriced" if cost is None else f"estimated {cost} nanos"
            return FieldViolation(
                "routing.max_cost",
                f"{where} is {shown}, over the cap of {hints.max_cost_nanos} nanos",
                "COST_CAP",
            )
    return None


def _scores(
    eligible: list[Candidate], strategy: str, costs: dict[int, int | None], weights: Weights
) -> dict[int, float]:
    """The strategy's sort key per candidate (lower first; ties keep chain order)."""
    if strategy == "cost":  # free, then priced by cost, then unpriced
        return {id(c): _cost_score(costs[id(c)]) for c in eligible}
    if strategy == "quality":
        return {id(c): float(-c.target.model.quality_tier) for c in eligible}
    if strategy == "latency":  # never measured: first, so it gets measured
        return {id(c): -1.0 if c.latency is None else c.latency for c in eligible}
    if strategy == "balanced":
        return _balanced(eligible, costs, weights)
    if strategy == "local_first":
        return {id(c): 0.0 if _local_with_room(c) else 1.0 for c in eligible}
    return {id(c): float(index) for index, c in enumerate(eligible)}  # chain order


def _local_with_room(c: Candidate) -> bool:
    """A healthy self-hosted target below its concurrency cap (local_first)."""
    return c.local and c.healthy and (not c.max_in_flight or c.in_flight < c.max_in_flight)


def _cost_score(cost: int | None) -> float:
    return math.inf if cost is None else float(cost)


def _order(
    eligible: list[Candidate],
    strategy: str,
    scores: dict[int, float],
    draw: float,
    exploration: float,
) -> list[Candidate]:
    ordered = sorted(eligible, key=lambda c: scores[id(c)])
    if strategy == "latency" and len(ordered) > 1 and draw < exploration:
        pick = 1 + int(draw / exploration * (len(ordered) - 1))
        ordered.insert(0, ordered.pop(min(pick, len(ordered) - 1)))
    return ordered


def _balanced(
    eligible: list[Candidate], costs: dict[int, int | None], weights: Weights
) -> dict[int, float]:
    known_costs = [c for c in costs.values() if c is not None]
    top_cost = max(known_costs, default=0) or 1
    latencies = [c.latency for c in eligible if c.latency is not None]
    top_latency = max(latencies, default=0.0) or 1.0
    top_quality = max((c.target.model.quality_tier for c in eligible), default=0) or 1

    def score(candidate: Candidate) -> float:
        cost = costs[id(candidate)]
        cost_term = 1.0 if cost is None else cost / top_cost
        latency = candidate.latency
        latency_term = 0.5 if latency is None else latency / top_latency
        quality_term = 1.0 - candidate.target.model.quality_tier / top_quality
        value = (
            weights.cost * cost_term
            + weights.latency * latency_term
            + weights.quality * quality_term
        )
        return value if math.isfinite(value) else math.inf

    return {id(c): score(c) for c in eligible}


__all__ = [
    "DEFAULT_OUTPUT_ESTIMATE",
    "ESTIMATE_TOLERANCE",
    "Assessment",
    "Candidate",
    "Weights",
    "assess",
    "estimated_cost_nanos",
    "fastest",
    "no_eligible",
    "plan",
]
