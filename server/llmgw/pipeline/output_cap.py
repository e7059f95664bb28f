"""The output cap sent upstream: the one the reservation assumed, tightened by ``max_cost``.

A budget reservation assumes the request cannot produce more than a number of
output tokens; an upstream that is sent no cap uses its own default, so that
assumption must travel with the request. Per attempt (the target's model):

=================================  =============================================
request                            ``max_output_tokens`` sent
=================================  =============================================
caller set a cap                   the caller's cap (the reservation used it)
no cap, a reservation was made     the model's configured cap, else
                                   ``budgets.default_max_output_tokens`` (what
                                   ``Accountant.upper_bound`` assumed)
no cap, no budgets                 none (unchanged: the upstream's default)
``routing.max_cost`` set, priced   the smaller of the above and the output
                                   tokens the cap affords after the input
=================================  =============================================

``cost_limited`` is true when ``max_cost`` decided the cap: an answer that
stops at that cap ends with ``FinishReason.COST_CAP`` (the proto's promise),
and a stream that runs past it is stopped by the gateway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from llmgw.accounting.pricing import PriceBook
from llmgw.domain.generation import GenerationConfig
from llmgw.domain.models import ModelInfo
from llmgw.domain.requests import ChatRequest


@dataclasses.dataclass(slots=True)
class Capped:
    request: ChatRequest
    cost_limited: bool = False
    cost_limit_tokens: int = 0  # output tokens ``max_cost`` affords (0: no such limit)


class OutputCaps:
    """Computes the per-attempt request (see the module docstring)."""

    def __init__(self, prices: PriceBook, default_max_output_tokens: int) -> None:
        self._prices = prices
        self._default = default_max_output_tokens
        # cap -> (a generation, that generation capped): see ``_with_cap``
        self._generations: dict[int, tuple[GenerationConfig, GenerationConfig]] = {}

    def apply(
        self,
        request: ChatRequest,
        model: ModelInfo,
        input_tokens: Callable[[], int],
        reserving: bool,
    ) -> Capped:
        asked = request.generation.max_output_tokens
        max_cost = request.routing.max_cost_nanos
        if not reserving and max_cost is None:
            return Capped(request)  # the common path: nothing to change
        cap = asked or (model.max_output_tokens or self._default if reserving else 0)
        affordable = self.affordable(model, input_tokens, max_cost)
        limited = affordable > 0 and (not cap or affordable < cap)
        if limited:
            cap = affordable
        if cap == asked:
            return Capped(request, limited, affordable)
        return Capped(self._with_cap(request, cap, cached=not limited), limited, affordable)

    def _with_cap(self, request: ChatRequest, cap: int, cached: bool) -> ChatRequest:
        """``request`` with ``generation.max_output_tokens = cap``: what two
        ``dataclasses.replace`` calls build, without their per-field checks
        (this runs on every attempt a reservation backs). A cap that is not
        ``max_cost``'s (so one of a few configured values) keeps the capped
        generation of the last generation object it was applied to: callers
        that set no generation share one object (``api.convert``), so the
        common case copies only the request. Held by reference, so an
        identity match is exact."""
        generation = request.generation
        kept = self._generations.get(cap) if cached else None
        if kept is not None and kept[0] is generation:
            capped = kept[1]
        else:
            capped = _copy_with(generation, _GENERATION_FIELDS, "max_output_tokens", cap)
            if cached:
                self._generations[cap] = (generation, capped)
        return _copy_with(request, _REQUEST_FIELDS, "generation", capped)

    def affordable(
        self, model: ModelInfo, input_tokens: Callable[[], int], max_cost: int | None
    ) -> int:
        """Output tokens ``max_cost`` pays for after the input (at least 1);
        0 when there is no cap or the model's output is unpriced or free."""
        if max_cost is None:
            return 0
        price = self._prices.price(model)
        if price is None or price.output_per_mtok <= 0:
            return 0
        input_nanos = input_tokens() * price.input_per_mtok * 1000  # nanos (per-million x 1e9/1e6)
        left = Decimal(max_cost) - input_nanos
        per_token = price.output_per_mtok * 1000  # nanos per output token
        return max(1, int(left / per_token))


_REQUEST_FIELDS = tuple(f.name for f in dataclasses.fields(ChatRequest))
_GENERATION_FIELDS = tuple(f.name for f in dataclasses.fields(GenerationConfig))
_T = TypeVar("_T")


def _copy_with(value: _T, fields: tuple[str, ...], name: str, new: object) -> _T:
    """A copy of the frozen dataclass ``value`` with field ``name`` set to ``new``
    (neither type has ``__post_init__`` or ``InitVar`` fields, which this skips)."""
    copy = object.__new__(type(value))
    for field_name in fields:
        object.__setattr__(copy, field_name, getattr(value, field_name))
    object.__setattr__(copy, name, new)
    return copy


__all__ = ["Capped", "OutputCaps"]
