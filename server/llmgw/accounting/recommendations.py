"""Savings the ledger shows, with their figures (``ListRecommendations``).

Pure functions over ledger query results and list prices; every figure in a
recommendation is computed from the ledger of the look-back window:

* ``cheaper_model``: for each (backend, model) the ledger billed, the
  cheapest priced chat model whose capabilities include all of its
  capabilities (and whose context window is no smaller) priced for the same
  observed token mix (input, cached input, output) at list price. Observed
  cost is what the ledger charged; savings = observed - alternative.
* ``response_cache``: requests whose fingerprint (model, messages, tools,
  generation settings) repeats an earlier one in the window. A cache would
  have served all but the first of each group; their cost is the group's
  cost x (n - 1) / n (the average request of the group), floored to a nanos.
* ``self_hosted_break_even``: per self-hosted backend billed by uptime,
  uptime x hourly rate against what its tokens would have cost on the
  cheapest priced API model with its capabilities; the break-even throughput
  is the tokens per hour at which both cost the same, at the observed mix.

Money is integer nanos; prices are ``Decimal`` per million tokens, rounded
half-even once per figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from llmgw.accounting.ledger.port import CostGroup, RepeatGroup
from llmgw.domain.models import ModelInfo, ModelType
from llmgw.domain.money import ModelPrice, decimal_to_nanos

_MILLION = Decimal(1_000_000)
_HOUR = Decimal(3600)


class Kind(StrEnum):
    CHEAPER_MODEL = "cheaper_model"
    RESPONSE_CACHE = "response_cache"
    SELF_HOSTED_BREAK_EVEN = "self_hosted_break_even"


@dataclass(frozen=True, slots=True)
class PricedModel:
    info: ModelInfo
    price: ModelPrice


@dataclass(frozen=True, slots=True)
class TokenMix:
    requests: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class SelfHosted:
    """A backend billed by uptime in the window."""

    backend: str
    uptime_seconds: float
    hourly_rate: Decimal
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class Recommendation:
    kind: Kind
    observed_nanos: int  # what the ledger charged (or the sidecar's uptime cost)
    alternative_nanos: int  # what the alternative would have cost
    currency: str
    backend: str = ""
    model: str = ""
    alternative_backend: str = ""
    alternative_model: str = ""
    mix: TokenMix = TokenMix()
    repeat_requests: int = 0
    uptime_seconds: float = 0.0
    hourly_rate_nanos: int = 0
    break_even_tokens_per_hour: int = 0

    @property
    def savings_nanos(self) -> int:
        return self.observed_nanos - self.alternative_nanos


def list_cost(price: ModelPrice, mix: TokenMix) -> int:
    """``mix`` at list price, in nanos (cached input at its own rate when set)."""
    cached_rate = (
        price.cached_input_per_mtok
        if price.cached_input_per_mtok is not None
        else price.input_per_mtok
    )
    uncached = max(0, mix.input_tokens - mix.cached_input_tokens)
    amount = (
        uncached * price.input_per_mtok
        + mix.cached_input_tokens * cached_rate
        + mix.output_tokens * price.output_per_mtok
    )
    return decimal_to_nanos(amount / _MILLION)


def _mix(group: CostGroup) -> TokenMix:
    return TokenMix(
        group.attempts, group.input_tokens, group.cached_input_tokens, group.output_tokens
    )


def _substitutes(model: ModelInfo, catalogue: Iterable[PricedModel]) -> list[PricedModel]:
    return [
        c
        for c in catalogue
        if c.info.type is ModelType.CHAT
        and (c.info.backend, c.info.id) != (model.backend, model.id)
        and model.capabilities <= c.info.capabilities
        and (not model.context_window or c.info.context_window >= model.context_window)
    ]


def _cheapest(
    mix: TokenMix, model: ModelInfo, catalogue: Sequence[PricedModel], currency: str
) -> tuple[PricedModel, int] | None:
    priced = [
        (c, list_cost(c.price, mix))
        for c in _substitutes(model, catalogue)
        if c.price.currency == currency
    ]
    return min(priced, key=lambda pair: (pair[1], pair[0].info.id)) if priced else None


def cheaper_models(
    usage: Sequence[CostGroup],
    models: Sequence[ModelInfo],
    catalogue: Sequence[PricedModel],
    currency: str = "USD",
) -> list[Recommendation]:
    """One recommendation per billed (backend, model) a cheaper substitute beats."""
    known = {(m.backend, m.id): m for m in models}
    found = []
    for group in usage:
        model = known.get((group.dimensions.get("backend", ""), group.dimensions.get("model", "")))
        if model is None or model.type is not ModelType.CHAT or group.cost_nanos <= 0:
            continue
        mix = _mix(group)
        best = _cheapest(mix, model, catalogue, currency)
        if best is None or best[1] >= group.cost_nanos:
            continue
        found.append(
            Recommendation(
                Kind.CHEAPER_MODEL, group.cost_nanos, best[1], currency,
                backend=model.backend, model=model.id, alternative_backend=best[0].info.backend,
                alternative_model=best[0].info.id, mix=mix,
            )
        )  # fmt: skip
    return sorted(found, key=lambda r: -r.savings_nanos)


def response_cache(groups: Sequence[RepeatGroup], currency: str = "USD") -> Recommendation | None:
    """What an exact-match response cache would have served, if anything."""
    requests = sum(g.requests for g in groups)
    repeats = sum(g.requests - 1 for g in groups if g.requests > 1)
    if not repeats:
        return None
    observed = sum(g.cost_nanos for g in groups)
    saved = sum(g.cost_nanos * (g.requests - 1) // g.requests for g in groups if g.requests > 1)
    return Recommendation(
        Kind.RESPONSE_CACHE, observed, observed - saved, currency,
        mix=TokenMix(requests=requests), repeat_requests=repeats,
    )  # fmt: skip


def break_even(
    sidecar: SelfHosted,
    usage: Sequence[CostGroup],
    models: Sequence[ModelInfo],
    catalogue: Sequence[PricedModel],
) -> Recommendation | None:
    """The sidecar's uptime cost against the API cost of the tokens it served."""
    served = [g for g in usage if g.dimensions.get("backend") == sidecar.backend]
    mine = [m for m in models if m.backend == sidecar.backend and m.type is ModelType.CHAT]
    if not served or not mine or sidecar.uptime_seconds <= 0:
        return None
    mix = TokenMix(*(sum(getattr(_mix(g), f) for g in served) for f in TokenMix.__slots__))
    best = _cheapest(mix, mine[0], catalogue, sidecar.currency)
    if best is None or mix.tokens == 0:
        return None
    hours = Decimal(repr(sidecar.uptime_seconds)) / _HOUR
    uptime_cost = decimal_to_nanos(hours * sidecar.hourly_rate)
    rate_nanos = decimal_to_nanos(sidecar.hourly_rate)
    # tokens/hour at which the API bill equals the hourly rate, same mix
    per_token = Decimal(best[1]) / Decimal(mix.tokens) if best[1] else None
    even = int(Decimal(rate_nanos) / per_token) if per_token else 0
    return Recommendation(
        Kind.SELF_HOSTED_BREAK_EVEN, uptime_cost, best[1], sidecar.currency,
        backend=sidecar.backend, model=mine[0].id, alternative_backend=best[0].info.backend,
        alternative_model=best[0].info.id, mix=mix, uptime_seconds=sidecar.uptime_seconds,
        hourly_rate_nanos=rate_nanos, break_even_tokens_per_hour=even,
    )  # fmt: skip
