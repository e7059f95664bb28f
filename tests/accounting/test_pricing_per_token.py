"""PriceBook's integer per-token path agrees with genai-prices to the nano.

For every model of every provider in the pinned catalogue, the cost the book
computes (integer nanos per token where that is exact, else the catalogue or
Decimal path) must equal what genai-prices computes for the same usage,
rounded half-even to nanos, on seeded random usages. The fast path must also
really be taken for an ordinary flat price, and refused for a price that is
not a whole number of nanos per token or not flat.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from genai_prices import Usage as PriceUsage
from genai_prices import calc_price, data
from llmgw.accounting.pricing import PriceBook
from llmgw.domain.generation import Usage
from llmgw.domain.models import ModelInfo
from llmgw.domain.money import ModelPrice, decimal_to_nanos


def _usages(seed: int, count: int) -> list[Usage]:
    rng = random.Random(seed)
    usages = [Usage(), Usage(input_tokens=1), Usage(output_tokens=1)]
    for _ in range(count):
        total = rng.choice((rng.randrange(1, 50), rng.randrange(1, 300_000)))
        cached = rng.choice((0, rng.randrange(0, total + 1)))
        usages.append(
            Usage(
                input_tokens=total,
                cached_input_tokens=cached,
                output_tokens=rng.randrange(0, 70_000),
            )
        )
    return usages


@pytest.mark.parametrize("provider", [p.id for p in data.providers])
def test_every_catalogue_model_costs_what_genai_prices_says(provider: str) -> None:
    models = [
        ModelInfo(id=m.id, backend=provider, upstream_id=m.id)
        for m in next(p for p in data.providers if p.id == provider).models
    ]
    book = PriceBook(models, provider_ids={provider: provider})
    usages = _usages(seed=hash(provider) % 1000, count=6)
    for model in models:
        try:
            found = calc_price(PriceUsage(input_tokens=0), model.upstream_id, provider_id=provider)
        except LookupError:
            assert book.price(model) is None
            continue
        for usage in usages:
            try:
                parts = found.model_price.calc_price(
                    PriceUsage(
                        input_tokens=usage.input_tokens,
                        cache_read_tokens=usage.cached_input_tokens,
                        output_tokens=usage.output_tokens,
                    )
                )
            except Exception:
                continue  # genai-prices refuses this usage for this model
            cost = book.cost(model, usage)
            expected = (
                decimal_to_nanos(parts["input_price"]),
                decimal_to_nanos(parts["output_price"]),
            )
            assert (cost.input_nanos, cost.output_nanos) == expected, (model.id, usage)


def test_a_flat_whole_nano_price_is_integer_math_and_others_are_not() -> None:
    flat = ModelInfo(id="gpt-4o-mini", backend="openai", upstream_id="gpt-4o-mini")
    odd = ModelInfo(id="odd", backend="self", upstream_id="odd")
    book = PriceBook(
        [flat, odd],
        provider_ids={"openai": "openai"},
        overrides={"odd": ModelPrice(Decimal("0.0375"), Decimal("0.15"))},
    )
    entries = book._entries  # the per-token rates are the point of this test
    assert entries[("openai", "gpt-4o-mini")].per_token == (150, 75, 600)
    assert entries[("self", "odd")].per_token is None  # 37.5 nanos per token
    usage = Usage(input_tokens=3, output_tokens=2)
    assert book.cost(odd, usage).input_nanos == 112  # 112.5 rounds half-even
    assert book.cost(flat, usage).total_nanos == 3 * 150 + 2 * 600
