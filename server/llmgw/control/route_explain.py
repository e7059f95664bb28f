"""Route explanation: what a chat request would try, without calling anything.

``RouteExplainer.explain`` asks the planner the request's own routing
question (``pipeline.steps.plan.plan_query``, the plan step's) and reports
``Planner.explain``: the same decision, never a second copy of routing. Per
target, in the order the attempt loop would try them, then the ineligible
ones:

==============  ==============================================================
check           verdict
==============  ==============================================================
CAPABILITY      every ``required_capabilities`` supported (plan-time)
CONTEXT_WINDOW  the window holds the estimated prompt + output (plan-time)
COST_CAP        the estimated cost is under ``max_cost`` (plan-time)
FALLBACK_MODE   ``fallback_mode`` left it out: NONE keeps only the first,
                SAME_MODEL its model, EQUIVALENT its tier (plan-time)
PINNED          ``pinned_backend`` names another backend (plan-time)
CIRCUIT         the breaker is not open (call-time: an open one is skipped)
KEY_CAPACITY    some upstream key has room now (call-time: else the next)
==============  ==============================================================

A target dropped at plan time shows the checks it passed and the one it
failed. Nothing is counted: no rate limit, reservation or key window moves.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from llmgw.domain.errors import FieldViolation
from llmgw.domain.models import ModelType, Target
from llmgw.domain.requests import ChatRequest
from llmgw.pipeline.breaker import BreakerBoard, BreakerState
from llmgw.pipeline.keys import KeyPool
from llmgw.pipeline.plan import Planner
from llmgw.pipeline.routing import Candidate
from llmgw.pipeline.steps.plan import plan_query
from llmgw.pipeline.tokens import estimate_input_tokens

_PLAN_CHECKS = ("CAPABILITY", "CONTEXT_WINDOW", "COST_CAP")


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TargetVerdict:
    """One target: eligible at plan time (``position`` 1-based, 0 when not),
    its checks, estimated cost (``None`` = unpriced or not assessed) and score."""

    target: Target
    eligible: bool
    position: int
    checks: tuple[Check, ...]
    cost_nanos: int | None
    score: float | None
    circuit: BreakerState


@dataclass(frozen=True, slots=True)
class RouteExplanation:
    alias: str
    strategy: str
    input_tokens: int
    targets: tuple[TargetVerdict, ...]


class RouteExplainer:
    """Explains routes over the running planner, breakers and key pools."""

    def __init__(
        self, planner: Planner, breakers: BreakerBoard, pools: Mapping[str, KeyPool]
    ) -> None:
        self._planner = planner
        self._breakers = breakers
        self._pools = pools

    async def explain(self, request: ChatRequest) -> RouteExplanation:
        tokens = functools.cache(lambda: estimate_input_tokens(request))
        query = plan_query(request, ModelType.CHAT, tokens, request.attribution)
        found = self._planner.explain(query)
        assessment = found.assessment
        verdicts: list[TargetVerdict] = []
        for position, candidate in enumerate(assessment.ordered, start=1):
            key = id(candidate)
            checks = (
                *(Check(name, True) for name in _PLAN_CHECKS),
                self._circuit(candidate),
                await self._keys(candidate, found.input_tokens),
            )
            verdicts.append(
                TargetVerdict(
                    candidate.target,
                    True,
                    position,
                    checks,
                    assessment.costs[key],
                    assessment.scores[key],
                    self._state(candidate.target),
                )
            )
        for candidate, violation in assessment.dropped:
            verdicts.append(
                TargetVerdict(
                    candidate.target,
                    False,
                    0,
                    _failed_at(violation),
                    None,
                    None,
                    self._state(candidate.target),
                )
            )
        return RouteExplanation(found.alias, found.strategy, found.input_tokens, tuple(verdicts))

    def _state(self, target: Target) -> BreakerState:
        snapshot = self._breakers.snapshots().get((target.backend, target.model.id))
        return snapshot.state if snapshot is not None else BreakerState.CLOSED

    def _circuit(self, candidate: Candidate) -> Check:
        state = self._state(candidate.target)
        return Check("CIRCUIT", state is not BreakerState.OPEN, state.value)

    async def _keys(self, candidate: Candidate, input_tokens: int) -> Check:
        target = candidate.target
        pool = self._pools.get(target.backend)
        if pool is None or pool.trivial:
            return Check("KEY_CAPACITY", True, "no per-key limits")
        room = await pool.has_capacity(target.model.id, input_tokens)
        return Check("KEY_CAPACITY", room, "" if room else "no key has room now")


def _failed_at(violation: FieldViolation) -> tuple[Check, ...]:
    """The plan-time checks passed before the one ``violation`` failed, then it."""
    reason = violation.reason
    passed = _PLAN_CHECKS[: _PLAN_CHECKS.index(reason)] if reason in _PLAN_CHECKS else ()
    return (
        *(Check(name, True) for name in passed),
        Check(reason, False, violation.description),
    )


__all__ = ["Check", "RouteExplainer", "RouteExplanation", "TargetVerdict"]
