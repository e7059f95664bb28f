"""Ledger rows of answers that made no upstream call: cache hits and
coalesced single-flight followers. Zero cost; the tokens of the answer they
received; ``saved_nanos`` = what that answer cost when it was made."""

from __future__ import annotations

from llmgw.domain.generation import Usage
from llmgw.domain.ids import new_id
from llmgw.domain.ledger import AttemptStatus, LedgerRow
from llmgw.domain.money import Cost
from llmgw.pipeline.context import CallContext
from llmgw.pipeline.results import RouteInfo


def free_row(
    ctx: CallContext,
    status: AttemptStatus,
    route: RouteInfo,
    usage: Usage,
    original: Cost,
    now: float,
) -> LedgerRow:
    a = ctx.attribution
    return LedgerRow(
        attempt_id=new_id(),
        request_id=ctx.request_id,
        created_at=now,
        tenant=a.tenant,
        project=a.project,
        end_user=a.end_user_id,
        alias=route.alias,
        backend=route.backend,
        model=route.model,
        status=status,
        principal=a.principal,
        key_id=a.key_id,
        labels=a.labels + tuple(ctx.labels.items()),
        input_tokens=usage.input_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        output_tokens=usage.output_tokens,
        currency=original.currency,
        priced=original.priced,
        price_version=original.pricing_version,
        saved_nanos=original.total_nanos,
    )


def zero(cost: Cost) -> Cost:
    """What a free answer costs: nothing, in the original's currency."""
    return Cost(currency=cost.currency, priced=cost.priced, pricing_version=cost.pricing_version)


__all__ = ["free_row", "zero"]
