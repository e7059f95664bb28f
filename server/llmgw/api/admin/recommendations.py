"""``ListRecommendations``: proto <-> ``accounting.recommendations``.

Reads the ledger of the last ``lookback_days`` (rollups grouped by backend
and model, the fingerprint groups, the uptime log) and the model catalogue
with list prices, then reports each saving with its figures and a one-line
summary generated from those figures. Self-hosted backends (billed by
uptime) and simulated demo models are never proposed as alternatives.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal

from llmgateway.v1 import admin_service_pb2

from llmgw.accounting.ledger.port import CostGroup, CostQuery
from llmgw.accounting.recommendations import (
    Kind,
    PricedModel,
    Recommendation,
    SelfHosted,
    break_even,
    cheaper_models,
    response_cache,
)
from llmgw.accounting.uptime import UptimeLog
from llmgw.api import convert
from llmgw.api.admin.costs import CostPlane, FixedCost
from llmgw.domain.errors import FieldViolation, InvalidRequestError, UnimplementedError
from llmgw.domain.models import ModelInfo
from llmgw.pipeline.results import ModelListing

_pb = admin_service_pb2
_DAY = 86400.0
_KINDS = {
    Kind.CHEAPER_MODEL: _pb.RECOMMENDATION_KIND_CHEAPER_MODEL,
    Kind.RESPONSE_CACHE: _pb.RECOMMENDATION_KIND_RESPONSE_CACHE,
    Kind.SELF_HOSTED_BREAK_EVEN: _pb.RECOMMENDATION_KIND_SELF_HOSTED_BREAK_EVEN,
}


async def list_recommendations(
    request: admin_service_pb2.ListRecommendationsRequest,
    costs: CostPlane | None,
    listings: Sequence[ModelListing],
    now: float | None = None,
) -> admin_service_pb2.ListRecommendationsResponse:
    if costs is None or costs.ledger is None:
        raise UnimplementedError("AdminService.ListRecommendations without a ledger")
    days = request.lookback_days or 7
    if not 1 <= days <= 90:
        raise InvalidRequestError(
            (FieldViolation("lookback_days", "must be between 1 and 90", "VALUE_OUT_OF_RANGE"),)
        )
    end = time.time() if now is None else now
    start = end - days * _DAY
    ledger = costs.ledger
    await ledger.flush()
    usage = (await ledger.report(CostQuery(start, end, group_by=("backend", "model")))).groups
    models = [listing.info for listing in listings]
    catalogue = _catalogue(listings, {line.backend for line in costs.fixed})
    found: list[Recommendation] = cheaper_models(usage, models, catalogue)
    cache = response_cache(await ledger.repeats(start, end))
    found += [cache] if cache else []
    if costs.uptime is not None and costs.fixed:
        found += await _break_evens(
            costs.uptime, costs.fixed, (start, end), usage, models, catalogue
        )
    response = _pb.ListRecommendationsResponse(recommendations=[_message(r) for r in found])
    response.start_time.FromNanoseconds(int(start * 1e9))
    response.end_time.FromNanoseconds(int(end * 1e9))
    return response


def _catalogue(listings: Sequence[ModelListing], self_hosted: set[str]) -> list[PricedModel]:
    """The priced alternatives: not self-hosted (those cost uptime), not the demo."""
    return [
        PricedModel(listing.info, listing.price)
        for listing in listings
        if listing.price is not None
        and listing.info.backend not in self_hosted
        and not listing.info.simulated
    ]


async def _break_evens(
    uptime: UptimeLog,
    fixed: Sequence[FixedCost],
    window: tuple[float, float],
    usage: Sequence[CostGroup],
    models: Sequence[ModelInfo],
    catalogue: Sequence[PricedModel],
) -> list[Recommendation]:
    """One self-hosted break-even per fixed-cost backend (its uptime in the
    window against the same tokens on the cheapest capable priced model)."""
    await uptime.touch()
    found: list[Recommendation] = []
    for line in fixed:
        seconds = await uptime.uptime(line.backend, *window)
        sidecar = SelfHosted(line.backend, seconds, line.hourly_rate, line.currency)
        even = break_even(sidecar, usage, models, catalogue)
        found += [even] if even else []
    return found


def _money_text(nanos: int, currency: str) -> str:
    return f"{format((Decimal(nanos) / Decimal(10**9)).normalize(), 'f')} {currency}"


def _summary(r: Recommendation) -> str:
    def m(nanos: int) -> str:
        return _money_text(nanos, r.currency)

    if r.kind is Kind.CHEAPER_MODEL:
        return (
            f"{r.backend}/{r.model} cost {m(r.observed_nanos)} for {r.mix.requests} requests "
            f"({r.mix.input_tokens} input, {r.mix.output_tokens} output tokens); "
            f"{r.alternative_backend}/{r.alternative_model} has its capabilities and would "
            f"have cost {m(r.alternative_nanos)}, saving {m(r.savings_nanos)}"
        )
    if r.kind is Kind.RESPONSE_CACHE:
        share = r.repeat_requests / r.mix.requests if r.mix.requests else 0.0
        return (
            f"{r.repeat_requests} of {r.mix.requests} requests ({share:.1%}) repeated an earlier "
            f"identical request; a response cache would have saved {m(r.savings_nanos)} "
            f"of {m(r.observed_nanos)}"
        )
    hours = f"{r.uptime_seconds / 3600:.4g}"
    return (
        f"{r.backend} ran {hours} h at {m(r.hourly_rate_nanos)}/h = {m(r.observed_nanos)}; "
        f"its {r.mix.tokens} tokens on {r.alternative_backend}/{r.alternative_model} would "
        f"have cost {m(r.alternative_nanos)}; break-even at "
        f"{r.break_even_tokens_per_hour} tokens/hour"
    )


def _message(r: Recommendation) -> admin_service_pb2.Recommendation:
    out = _pb.Recommendation(
        kind=_KINDS[r.kind],
        summary=_summary(r),
        observed_cost=convert.money(r.observed_nanos, r.currency),
        alternative_cost=convert.money(r.alternative_nanos, r.currency),
        savings=convert.money(r.savings_nanos, r.currency),
        backend=f"backends/{r.backend}" if r.backend else "",
        model=r.model,
        alternative_backend=f"backends/{r.alternative_backend}" if r.alternative_backend else "",
        alternative_model=r.alternative_model,
        request_count=r.mix.requests,
        repeat_request_count=r.repeat_requests,
        repeat_share=r.repeat_requests / r.mix.requests if r.mix.requests else 0.0,
        break_even_tokens_per_hour=r.break_even_tokens_per_hour,
    )
    out.usage.input_token_count = r.mix.input_tokens
    out.usage.cached_input_token_count = r.mix.cached_input_tokens
    out.usage.output_token_count = r.mix.output_tokens
    if r.kind is Kind.SELF_HOSTED_BREAK_EVEN:
        out.uptime.FromNanoseconds(int(r.uptime_seconds * 1e9))
        out.hourly_rate.CopyFrom(convert.money(r.hourly_rate_nanos, r.currency))
    return out
