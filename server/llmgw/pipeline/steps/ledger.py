"""Budget reservation and the ledger tab, settled at the end.

``before`` opens the call's ``Tab`` (``pipeline.settlement``): when budgets
exist, it reserves the plan's upper bound first (raising
``BudgetExhaustedError`` on a spent hard budget). Attempts add their ledger
rows to it; ``ctx.labels`` added by earlier steps join the attribution's
labels on those rows. ``after`` closes it exactly once: the rows are committed and the
reservation settles to the actual charge, on success, failure or cancel.
With tracing on, both do I/O under a span of their own (``llmgw.budget.reserve``,
``llmgw.ledger.commit``).
"""

from __future__ import annotations

import dataclasses
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from llmgw.domain.requests import ChatRequest
from llmgw.observability.tracing import Tracing
from llmgw.pipeline.context import CallContext
from llmgw.pipeline.settlement import Accountant


class LedgerStep:
    name = "budget"

    def __init__(self, accountant: Accountant, tracing: Tracing | None = None) -> None:
        self._accountant = accountant
        self._tracing = tracing

    def _span(self, name: str) -> AbstractContextManager[Any]:
        return nullcontext() if self._tracing is None else self._tracing.span(name)

    async def before(self, ctx: CallContext) -> None:
        accountant = self._accountant
        bound = 0
        if accountant.budgets is not None and accountant.budgets.active:
            request = ctx.request
            max_output = (
                request.generation.max_output_tokens if isinstance(request, ChatRequest) else 0
            )
            bound = accountant.upper_bound(ctx.targets, ctx.input_tokens(), max_output)
        if ctx.labels:  # labels earlier steps added reach the ledger rows
            attribution = ctx.attribution
            labels = attribution.labels + tuple(ctx.labels.items())
            ctx.attribution = dataclasses.replace(attribution, labels=labels)
        with self._span("llmgw.budget.reserve"):
            ctx.tab = await accountant.open(ctx.request_id, ctx.attribution, bound)

    async def after(self, ctx: CallContext) -> None:
        if ctx.tab is not None:
            with self._span("llmgw.ledger.commit"):
                await ctx.tab.close()


__all__ = ["LedgerStep"]
