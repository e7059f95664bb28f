"""PriceBook: token prices from genai-prices (offline, pinned) plus overrides.

Prices are looked up once per model when the book is built, never on the request
path. Cost is computed here, centrally, from the domain ``Usage`` (adapters never
price anything): ``Decimal`` arithmetic, rounded half-even to integer nanos.

Hot path: when a model's price is flat and each rate is a whole number of nanos
per token (``$0.15``/MTok = 150 nanos/token), cost is integer multiplication,
exact by construction (the Decimal result would be that integer, no rounding).
A catalogue price takes that path only if the linear formula reproduces
genai-prices on probe usages when the book is built (tiered or otherwise
special prices keep going through the catalogue); a rate that is not a whole
number of nanos keeps the Decimal path.

Three kinds of model:

* priced: genai-prices knows it, or config overrides it;
* free per token: self-hosted engines (vLLM, Ollama) and the simulated demo
  backend; vLLM's real cost is GPU uptime, reported separately;
* unpriced: nobody knows the price. Its cost is reported with ``priced=False``
  (and ``estimated=True``), never silently as zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from importlib.metadata import version
from typing import Any

from genai_prices import Usage as PriceUsage
from genai_prices import calc_price
from genai_prices.types import TieredPrices

from llmgw.domain.generation import Usage
from llmgw.domain.models import ModelInfo
from llmgw.domain.money import Cost, ModelPrice, decimal_to_nanos

PRICES_VERSION = f"genai-prices-{version('genai-prices')}"
_MILLION = Decimal(1_000_000)
_ZERO = Decimal(0)


class PriceBook:
    """Map (backend, model id) -> how to price that model.

    ``provider_ids`` maps backend name -> genai-prices provider id; a backend
    absent from it and from ``free_backends`` is looked up without a provider.
    ``overrides`` keys are ``"backend/model"`` or ``"model"`` (backend-specific
    wins) and replace the catalogue price entirely.

    It changes only through ``add_models`` (a backend created at run time) and
    ``reprice`` (new overrides on a configuration reload); each swaps in a new
    entry map, so a request prices against one consistent version.
    """

    def __init__(
        self,
        models: Iterable[ModelInfo],
        *,
        provider_ids: Mapping[str, str],
        free_backends: Iterable[str] = (),
        overrides: Mapping[str, ModelPrice] | None = None,
    ) -> None:
        free = set(free_backends)
        self._overrides: Mapping[str, ModelPrice] = dict(overrides or {})
        # Price without overrides, per model: what ``reprice`` falls back to.
        self._base: dict[tuple[str, str], _Entry] = {}
        for model in models:
            if model.backend in free or model.simulated:
                zero = ModelPrice(_ZERO, _ZERO, _ZERO, version="self-hosted")
                self._base[(model.backend, model.id)] = _Entry(zero, None)
            else:
                entry = _catalogue_entry(model, provider_ids.get(model.backend))
                self._base[(model.backend, model.id)] = entry
        self._entries = self._priced(self._overrides)

    def _priced(self, overrides: Mapping[str, ModelPrice]) -> dict[tuple[str, str], _Entry]:
        entries: dict[tuple[str, str], _Entry] = {}
        for (backend, model_id), base in self._base.items():
            override = overrides.get(f"{backend}/{model_id}") or overrides.get(model_id)
            entries[(backend, model_id)] = _Entry(override, None) if override is not None else base
        return entries

    def add_models(self, models: Iterable[ModelInfo]) -> None:
        """Price models added at run time (``AdminService.CreateBackend``): a
        configured override that names them applies, otherwise they are
        unpriced. The catalogue is not consulted: the endpoint is whatever the
        operator said, so a list price would be a guess."""
        for model in models:
            self._base.setdefault((model.backend, model.id), _Entry(None, None))
        self._entries = self._priced(self._overrides)

    def reprice(self, overrides: Mapping[str, ModelPrice]) -> tuple[list[str], list[str]]:
        """Replace the overrides (configuration reload), for known models only.

        Returns ``(changed, ignored)``: ``backend/model`` refs whose price
        changed, and override keys that name no known model (not applied).
        """
        known = {f"{b}/{m}" for b, m in self._base} | {m for _, m in self._base}
        ignored = sorted(k for k in overrides if k not in known)
        entries = self._priced(overrides)
        changed = sorted(
            f"{b}/{m}"
            for (b, m), entry in entries.items()
            if entry.price != self._entries[(b, m)].price
        )
        self._overrides = dict(overrides)
        self._entries = entries
        return changed, ignored

    def price(self, model: ModelInfo) -> ModelPrice | None:
        """The model's list price, or ``None`` when it is unpriced."""
        entry = self._entries.get((model.backend, model.id))
        return entry.price if entry else None

    def cost(self, model: ModelInfo, usage: Usage, *, estimated: bool = False) -> Cost:
        """Cost of ``usage`` on ``model`` in integer nanos."""
        entry = self._entries.get((model.backend, model.id))
        if entry is None or entry.price is None:
            return Cost(estimated=True, priced=False, pricing_version=PRICES_VERSION)
        if entry.per_token is not None:
            input_rate, cached_rate, output_rate = entry.per_token
            cached = usage.cached_input_tokens
            return Cost(
                input_nanos=max(0, usage.input_tokens - cached) * input_rate + cached * cached_rate,
                output_nanos=usage.output_tokens * output_rate,
                currency=entry.price.currency,
                estimated=estimated,
                pricing_version=entry.price.version,
            )
        if entry.catalogue is not None:
            parts = entry.catalogue.calc_price(
                PriceUsage(
                    input_tokens=usage.input_tokens,
                    cache_read_tokens=usage.cached_input_tokens,
                    output_tokens=usage.output_tokens,
                )
            )
            input_amount, output_amount = parts["input_price"], parts["output_price"]
        else:
            input_amount, output_amount = _linear(entry.price, usage)
        return Cost(
            input_nanos=decimal_to_nanos(input_amount),
            output_nanos=decimal_to_nanos(output_amount),
            currency=entry.price.currency,
            estimated=estimated,
            pricing_version=entry.price.version,
        )


class _Entry:
    __slots__ = ("catalogue", "per_token", "price")

    def __init__(self, price: ModelPrice | None, catalogue: Any) -> None:
        self.price = price
        self.catalogue = catalogue  # genai_prices ModelPrice: handles tiered prices
        # (input, cached input, output) integer nanos per token, when exact.
        self.per_token = _nanos_per_token(price, catalogue)


# Usages on which a catalogue price must match the linear formula exactly.
_PROBES = (
    Usage(input_tokens=1_000, output_tokens=500),
    Usage(input_tokens=1_000, cached_input_tokens=300, output_tokens=7),
    Usage(input_tokens=123_457, cached_input_tokens=99_999, output_tokens=65_537),
    # Past every long-context tier threshold (tiers are priced per request).
    Usage(input_tokens=10_000_019, cached_input_tokens=3_000_017, output_tokens=1_000_003),
    Usage(input_tokens=10_000_019, output_tokens=1_000_003),
)


def _nanos_per_token(price: ModelPrice | None, catalogue: Any) -> tuple[int, int, int] | None:
    if price is None:
        return None
    cached = price.cached_input_per_mtok
    rates = (price.input_per_mtok, price.input_per_mtok if cached is None else cached)
    nanos = [Decimal(rate) * 1000 for rate in (*rates, price.output_per_mtok)]  # nanos/token
    if any(n != n.to_integral_value() for n in nanos):
        return None
    if catalogue is not None and (
        _tiered(catalogue) or not all(_linear_matches(price, catalogue, u) for u in _PROBES)
    ):
        return None
    return int(nanos[0]), int(nanos[1]), int(nanos[2])


def _tiered(catalogue: Any) -> bool:
    fields = getattr(catalogue, "__dict__", {})
    return any(isinstance(value, TieredPrices) for value in fields.values())


def _linear_matches(price: ModelPrice, catalogue: Any, usage: Usage) -> bool:
    try:
        parts = catalogue.calc_price(
            PriceUsage(
                input_tokens=usage.input_tokens,
                cache_read_tokens=usage.cached_input_tokens,
                output_tokens=usage.output_tokens,
            )
        )
    except Exception:  # a price genai-prices itself cannot apply: keep its path
        return False
    return (parts["input_price"], parts["output_price"]) == _linear(price, usage)


def _catalogue_entry(model: ModelInfo, provider_id: str | None) -> _Entry:
    try:
        found = calc_price(PriceUsage(input_tokens=0), model.upstream_id, provider_id=provider_id)
    except LookupError:
        return _Entry(None, None)
    catalogue = found.model_price
    price = ModelPrice(
        input_per_mtok=_base(catalogue.input_mtok),
        output_per_mtok=_base(catalogue.output_mtok),
        cached_input_per_mtok=_base(catalogue.cache_read_mtok)
        if catalogue.cache_read_mtok is not None
        else None,
        version=PRICES_VERSION,
    )
    return _Entry(price, catalogue)


def _base(value: Any) -> Decimal:
    """Flat price, or the base tier of a tiered (long-context) price."""
    if value is None:
        return _ZERO
    return value if isinstance(value, Decimal) else Decimal(value.base)


def _linear(price: ModelPrice, usage: Usage) -> tuple[Decimal, Decimal]:
    cached_rate = (
        price.cached_input_per_mtok
        if price.cached_input_per_mtok is not None
        else price.input_per_mtok
    )
    uncached = max(0, usage.input_tokens - usage.cached_input_tokens)
    input_amount = uncached * price.input_per_mtok + usage.cached_input_tokens * cached_rate
    return input_amount / _MILLION, usage.output_tokens * price.output_per_mtok / _MILLION
