"""The routing plan as a step: ``ctx.targets`` from ``pipeline.plan.Planner``.

First in every chain, so a call no target can serve fails
(``NoEligibleBackendError``) before it consumes a rate limit or a reservation.
"""

from __future__ import annotations

from llmgw.domain.models import ModelType
from llmgw.domain.requests import ChatRequest
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
        output = (
            (request.generation.max_output_tokens or 0) if isinstance(request, ChatRequest) else 0
        )
        query = PlanQuery(
            request.model,
            request.routing,
            self._kind,
            output,
            ctx.input_tokens,
            ctx.attribution if self._budget_aware else None,
        )
        ctx.targets = self._planner.plan(query)

    async def after(self, ctx: CallContext) -> None:
        return None


__all__ = ["PlanStep"]
