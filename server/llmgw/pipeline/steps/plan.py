"""The routing plan as a step: ``ctx.targets`` from ``pipeline.plan.Planner``.

First in every chain, so a call no target can serve fails
(``NoEligibleBackendError``) before it consumes a rate limit or a reservation.
"""

from __future__ import annotations

from collections.abc import Callable

from llmgw.domain.models import ModelType
from llmgw.domain.requests import Attribution, ChatRequest, EmbedRequest
from llmgw.pipeline.context import CallContext
from llmgw.pipeline.plan import Planner, PlanQuery


class PlanStep:
    name = "plan"
    finalizes = False  # ``after`` is a no-op: the chain skips it

    def __init__(self, planner: Planner, kind: ModelType, budget_aware: bool = True) -> None:
        self._planner = planner
        self._kind = kind
        self._budget_aware = budget_aware  # may downgrade under soft-budget pressure

    async def before(self, ctx: CallContext) -> None:
        request = ctx.request
        attribution = ctx.attribution if self._budget_aware else None
        query = plan_query(request, self._kind, ctx.input_tokens, attribution)
        ctx.targets = self._planner.plan(query)
        ctx.alias = self._planner.alias(request.model)

    async def after(self, ctx: CallContext) -> None:
        return None


def plan_query(
    request: ChatRequest | EmbedRequest,
    kind: ModelType,
    input_tokens: Callable[[], int],
    attribution: Attribution | None,
) -> PlanQuery:
    """The routing question of a request: the one way the plan step (and the
    route explanation, ``control.route_explain``) asks it."""
    output = (
        (request.generation.max_output_tokens or 0) if isinstance(request, ChatRequest) else 0
    )
    return PlanQuery(request.model, request.routing, kind, output, input_tokens, attribution)


__all__ = ["PlanStep", "plan_query"]
