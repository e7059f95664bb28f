"""Catalogue prices as plain rates, listed in a child interpreter.

The gateway never imports genai-prices: ``look_up_isolated`` lists the
configured models' prices in a child process as ``Rates`` (base rate and
long-context tiers). These tests pin that the child answers what an
in-process ``look_up`` answers, that tiered prices are held as rates and cost
what genai-prices says on both sides of a tier, that a price only genai-prices
can apply still goes through it, and that a failing child leaves the book to
look the prices up itself. (Every catalogue model against genai-prices:
``test_pricing_per_token.py``.)
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from decimal import Decimal

import pytest
from genai_prices import Usage as PriceUsage
from genai_prices import calc_price
from llmgw.accounting.catalogue import (
    CATALOGUE_ONLY,
    CatalogueError,
    Rate,
    Rates,
    decode,
    encode,
    look_up,
    look_up_isolated,
)
from llmgw.accounting.pricing import PriceBook
from llmgw.compose import accounting as compose_accounting
from llmgw.domain.backends import BackendSpec
from llmgw.domain.generation import Usage
from llmgw.domain.models import ModelInfo
from llmgw.domain.money import decimal_to_nanos

TIERED = ("claude-sonnet-4-5", "anthropic")
REFS = [("gpt-4o-mini", None), ("gpt-4o-mini", "openai"), TIERED, ("no-such-model-xyz", None)]


def _genai(model: str, provider: str | None, usage: Usage) -> tuple[int, int]:
    found = calc_price(PriceUsage(input_tokens=0), model, provider_id=provider)
    parts = found.model_price.calc_price(
        PriceUsage(
            input_tokens=usage.input_tokens,
            cache_read_tokens=usage.cached_input_tokens,
            output_tokens=usage.output_tokens,
        )
    )
    return decimal_to_nanos(parts["input_price"]), decimal_to_nanos(parts["output_price"])


async def test_the_child_lists_what_an_in_process_lookup_lists() -> None:
    isolated = await look_up_isolated(REFS)
    assert isolated == look_up(REFS)
    assert isolated[("no-such-model-xyz", None)] is None
    assert isolated[("gpt-4o-mini", "openai")] == Rates(
        Rate(Decimal("0.15")), Rate(Decimal("0.6")), Rate(Decimal("0.075"))
    )


async def test_nothing_to_list_starts_no_child() -> None:
    assert await look_up_isolated([]) == {}


def test_listings_survive_the_json_between_the_processes() -> None:
    tiered = Rates(
        Rate(Decimal("3"), ((200_000, Decimal("6")),)),
        Rate(Decimal("15"), ((200_000, Decimal("22.5")),)),
        None,
    )
    for listing in (None, CATALOGUE_ONLY, tiered):
        assert decode(encode(listing)) == listing
    with pytest.raises(CatalogueError):
        decode([None, None, None])


def test_a_tier_applies_above_its_start_only() -> None:
    rate = Rate(Decimal("3"), ((200_000, Decimal("6")), (1_000_000, Decimal("9"))))
    assert [rate.at(n) for n in (0, 200_000, 200_001, 1_000_000, 1_000_001)] == [
        Decimal("3"),
        Decimal("3"),
        Decimal("6"),
        Decimal("6"),
        Decimal("9"),
    ]


def test_a_tiered_price_is_held_as_rates_and_costs_what_genai_prices_says() -> None:
    model = ModelInfo(id="sonnet", backend="anthropic", upstream_id=TIERED[0])
    book = PriceBook([model], provider_ids={"anthropic": "anthropic"})
    entry = book._entries[("anthropic", "sonnet")]  # how it is held is the point
    assert entry.catalogue is None and entry.rates is not None and entry.rates.input.tiers
    assert entry.per_token is None  # tiered: the Decimal path
    start = entry.rates.input.tiers[0][0]
    for total in (1_000, start, start + 1, 3 * start):
        usage = Usage(input_tokens=total, cached_input_tokens=total // 4, output_tokens=777)
        cost = book.cost(model, usage)
        assert (cost.input_nanos, cost.output_nanos) == _genai(*TIERED, usage), total


def test_a_price_only_genai_prices_can_apply_goes_through_it() -> None:
    model = ModelInfo(id="sonnet", backend="anthropic", upstream_id=TIERED[0])
    book = PriceBook(
        [model], provider_ids={"anthropic": "anthropic"}, listed={TIERED: CATALOGUE_ONLY}
    )
    entry = book._entries[("anthropic", "sonnet")]
    assert entry.rates is None and entry.catalogue is not None
    assert book.price(model) == look_up([TIERED])[TIERED].model_price()  # type: ignore[union-attr]
    usage = Usage(input_tokens=250_000, cached_input_tokens=1_000, output_tokens=5)
    cost = book.cost(model, usage)
    assert (cost.input_nanos, cost.output_nanos) == _genai(*TIERED, usage)


def test_listed_prices_are_used_without_a_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(refs: object) -> None:
        raise AssertionError(f"looked up {refs}")

    monkeypatch.setattr("llmgw.accounting.pricing.look_up", refuse)
    model = ModelInfo(id="m", backend="b", upstream_id="up")
    rates = Rates(Rate(Decimal("1")), Rate(Decimal("2")))
    book = PriceBook([model], provider_ids={}, listed={("up", None): rates})
    assert book.cost(model, Usage(input_tokens=3, output_tokens=5)).total_nanos == 3_000 + 10_000


async def test_a_failing_child_leaves_the_lookup_to_the_book(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(refs: object) -> None:
        raise CatalogueError("child exited 1")

    monkeypatch.setattr(compose_accounting, "look_up_isolated", broken)
    spec = BackendSpec(
        name="fake",
        kind="openai_compatible",
        base_url="http://127.0.0.1:9/v1",
        models=(ModelInfo(id="m", backend="fake", upstream_id="gpt-4o-mini"),),
    )
    async with AsyncExitStack() as stack:
        listed = await compose_accounting.listing_prices([spec], stack)
    assert listed == {}
    book = PriceBook(spec.models, provider_ids={}, listed=listed)
    assert book.price(spec.models[0]) is not None  # looked up in this process

