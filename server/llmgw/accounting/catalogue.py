"""List prices of the configured models from genai-prices, as plain rates.

genai-prices prices a usage through pydantic types, a unit registry and its
whole catalogue. Importing it costs a process ~10 MiB resident for its whole
life (the pydantic schemas of its types, the httpx2 client of its price
updater, the catalogue data: a Python process does not give imported modules
back), while the gateway needs the rates of its configured models only, read
once at start.

``look_up`` turns each catalogue price into ``Rates``: per-million-token rates
for input, cached input and output, each a base rate and the long-context
tiers above it (a tier prices the whole request when its total input tokens
exceed the tier's start, as genai-prices does). A price becomes ``Rates`` only
if that formula reproduces genai-prices exactly on probe usages below and
above every tier start; any other price is ``CATALOGUE_ONLY`` and the book
prices that model through genai-prices itself (``catalogue_model``), imported
in the gateway then, as before.

``look_up_isolated`` runs ``look_up`` in a short-lived child interpreter
(~0.3 s of CPU once at start, on another core), so a gateway whose models all
have plain rates never imports genai-prices. The child gets the parent's
``sys.path`` and answers in JSON on stdout; a failure raises ``CatalogueError``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import version
from typing import Any, Final, Literal

from llmgw.domain.generation import Usage
from llmgw.domain.money import ModelPrice

PRICES_VERSION = f"genai-prices-{version('genai-prices')}"
_MILLION = Decimal(1_000_000)
_ZERO = Decimal(0)

# (upstream model id, genai-prices provider id or None to match any provider)
CatalogueRef = tuple[str, str | None]
CATALOGUE_ONLY: Final = "catalogue-only"


class CatalogueError(RuntimeError):
    """The child interpreter could not list the prices."""


@dataclass(frozen=True, slots=True)
class Rate:
    """Price per million tokens: ``base``, or the rate of the last tier in
    ``tiers`` (``(start, rate)``) whose start the request's total input tokens
    exceed (genai-prices' ``calc_unit_price``)."""

    base: Decimal
    tiers: tuple[tuple[int, Decimal], ...] = ()

    def at(self, input_tokens: int) -> Decimal:
        for start, rate in reversed(self.tiers):
            if input_tokens > start:
                return rate
        return self.base


@dataclass(frozen=True, slots=True)
class Rates:
    """Input, cached input (``None``: at the input rate) and output rates."""

    input: Rate
    output: Rate
    cached_input: Rate | None = None

    @classmethod
    def flat(cls, price: ModelPrice) -> Rates:
        cached = price.cached_input_per_mtok
        return cls(
            Rate(Decimal(price.input_per_mtok)),
            Rate(Decimal(price.output_per_mtok)),
            None if cached is None else Rate(Decimal(cached)),
        )

    def model_price(self) -> ModelPrice:
        """The base rates (a tiered price is listed at its base tier)."""
        cached = self.cached_input
        return ModelPrice(
            input_per_mtok=self.input.base,
            output_per_mtok=self.output.base,
            cached_input_per_mtok=None if cached is None else cached.base,
            version=PRICES_VERSION,
        )

    def amounts(self, usage: Usage) -> tuple[Decimal, Decimal]:
        """(input, output) cost of ``usage`` in currency units, exact."""
        total, cached = usage.input_tokens, usage.cached_input_tokens
        input_rate = self.input.at(total)
        cached_rate = input_rate if self.cached_input is None else self.cached_input.at(total)
        uncached = max(0, total - cached)
        input_amount = uncached * input_rate + cached * cached_rate
        return input_amount / _MILLION, usage.output_tokens * self.output.at(total) / _MILLION


Listing = Rates | Literal["catalogue-only"] | None  # None: not in the catalogue

# Usages on which ``Rates`` must match genai-prices exactly, besides the ones
# just below and above each tier start of the price at hand.
_PROBES = (
    Usage(input_tokens=1_000, output_tokens=500),
    Usage(input_tokens=1_000, cached_input_tokens=300, output_tokens=7),
    Usage(input_tokens=123_457, cached_input_tokens=99_999, output_tokens=65_537),
    Usage(input_tokens=10_000_019, cached_input_tokens=3_000_017, output_tokens=1_000_003),
    Usage(input_tokens=10_000_019, output_tokens=1_000_003),
)


def look_up(refs: Iterable[CatalogueRef]) -> dict[CatalogueRef, Listing]:
    """Each model's catalogue price at this moment (imports genai-prices)."""
    listed: dict[CatalogueRef, Listing] = {}
    for ref in refs:
        found = catalogue_model(ref)
        if found is None:
            listed[ref] = None
            continue
        rates = _rates(found)
        exact = rates is not None and all(
            _matches(rates, found, usage) for usage in (*_PROBES, *_tier_probes(rates))
        )
        listed[ref] = rates if exact and rates is not None else CATALOGUE_ONLY
    return listed


def catalogue_model(ref: CatalogueRef) -> Any:
    """genai-prices' price object for ``ref`` (``None``: not listed)."""
    from genai_prices import Usage as PriceUsage
    from genai_prices import calc_price

    model_id, provider_id = ref
    try:
        found = calc_price(PriceUsage(input_tokens=0), model_id, provider_id=provider_id)
    except LookupError:
        return None
    return found.model_price


def catalogue_amounts(catalogue: Any, usage: Usage) -> tuple[Decimal, Decimal]:
    """(input, output) cost of ``usage`` computed by genai-prices itself."""
    from genai_prices import Usage as PriceUsage

    parts = catalogue.calc_price(
        PriceUsage(
            input_tokens=usage.input_tokens,
            cache_read_tokens=usage.cached_input_tokens,
            output_tokens=usage.output_tokens,
        )
    )
    return parts["input_price"], parts["output_price"]


def listed_price(catalogue: Any) -> ModelPrice:
    """The list price of a genai-prices price object (base tier when tiered)."""
    cached = catalogue.cache_read_mtok
    return ModelPrice(
        input_per_mtok=_rate(catalogue.input_mtok).base,
        output_per_mtok=_rate(catalogue.output_mtok).base,
        cached_input_per_mtok=None if cached is None else _rate(cached).base,
        version=PRICES_VERSION,
    )


def _rates(catalogue: Any) -> Rates | None:
    """The three token rates, or ``None`` for a shape ``Rate`` cannot hold."""
    try:
        cached = catalogue.cache_read_mtok
        return Rates(
            _rate(catalogue.input_mtok),
            _rate(catalogue.output_mtok),
            None if cached is None else _rate(cached),
        )
    except (AttributeError, TypeError, ValueError, ArithmeticError):
        return None


def _rate(value: Any) -> Rate:
    if value is None:
        return Rate(_ZERO)
    if isinstance(value, Decimal):
        return Rate(value)
    tiers = tuple((int(tier.start), Decimal(tier.price)) for tier in value.tiers)
    return Rate(Decimal(value.base), tiers)


def _tier_probes(rates: Rates) -> list[Usage]:
    present = [r for r in (rates.input, rates.output, rates.cached_input) if r is not None]
    starts = {start for rate in present for start, _ in rate.tiers}
    return [
        Usage(input_tokens=total, cached_input_tokens=total // 3, output_tokens=4_099)
        for start in sorted(starts)
        for total in (start, start + 1)
    ]


def _matches(rates: Rates, catalogue: Any, usage: Usage) -> bool:
    try:
        expected = catalogue_amounts(catalogue, usage)
    except Exception:  # a price genai-prices itself cannot apply: keep its path
        return False
    return rates.amounts(usage) == expected


# --- the child interpreter ---------------------------------------------------

CHILD_TIMEOUT = 60.0  # seconds; the lookup takes ~0.5 s
_CHILD = (
    "import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
    "from llmgw.accounting.catalogue import child_main; child_main()"
)


async def look_up_isolated(refs: Sequence[CatalogueRef]) -> dict[CatalogueRef, Listing]:
    """``look_up`` in a child interpreter: this process never imports genai-prices.
    ``TimeoutError`` after ``CHILD_TIMEOUT`` seconds (the child is killed)."""
    if not refs:
        return {}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _CHILD,
        json.dumps(sys.path),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(CHILD_TIMEOUT):
            out, err = await process.communicate(json.dumps(refs).encode())
    except BaseException:  # timeout or cancellation: leave no child behind
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        raise CatalogueError(err.decode(errors="replace")[-2000:])
    listings = [decode(item) for item in json.loads(out)]
    return dict(zip(refs, listings, strict=True))


def child_main() -> None:
    """Read ``[[model, provider], ...]`` on stdin; write their listings as JSON."""
    refs = [(str(model), provider) for model, provider in json.load(sys.stdin)]
    listed = look_up(refs)
    json.dump([encode(listed[ref]) for ref in refs], sys.stdout)


def encode(listing: Listing) -> object:
    if listing is None or isinstance(listing, str):
        return listing
    rates = (listing.input, listing.output, listing.cached_input)
    return [None if r is None else [str(r.base), [[s, str(v)] for s, v in r.tiers]] for r in rates]


def decode(value: Any) -> Listing:
    if value is None:
        return None
    if value == CATALOGUE_ONLY:
        return CATALOGUE_ONLY
    rates = [
        None if r is None else Rate(Decimal(r[0]), tuple((int(s), Decimal(v)) for s, v in r[1]))
        for r in value
    ]
    if rates[0] is None or rates[1] is None:
        raise CatalogueError(f"malformed listing: {value!r}")
    return Rates(rates[0], rates[1], rates[2])
