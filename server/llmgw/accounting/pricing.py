"""PriceBook: token prices from genai-prices (offline, pinned) plus overrides.

Prices are looked up once per model when the book is built, never on the request
path. Cost is computed here, centrally, from the domain ``Usage`` (adapters never
price anything): ``Decimal`` arithmetic, rounded half-even to integer nanos.

The catalogue prices come as plain ``Rates`` (``accounting/catalogue.py``: base
rate and long-context tiers per token kind, checked against genai-prices on
probe usages when they are listed); the gateway lists them in a child process,
so it never imports genai-prices, and passes them as ``listed``. Without
``listed`` the book looks them up in this process. A catalogue price ``Rates``
cannot reproduce is priced by genai-prices itself, imported for it.

Hot path: when a model's price is flat and each rate is a whole number of nanos
per token (``$0.15``/MTok = 150 nanos/token), cost is integer multiplication,
exact by construction (the Decimal result would be that integer, no rounding);
a rate that is not a whole number of nanos, or tiered, keeps the Decimal path.

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
from typing import Any

from llmgw.accounting.catalogue import (
    CATALOGUE_ONLY,
    PRICES_VERSION,
    CatalogueRef,
    Listing,
    Rates,
    catalogue_amounts,
    catalogue_model,
    listed_price,
    look_up,
)
from llmgw.domain.generation import Usage
from llmgw.domain.models import ModelInfo
from llmgw.domain.money import Cost, ModelPrice, decimal_to_nanos

__all__ = ["PRICES_VERSION", "PriceBook"]
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
        listed: Mapping[CatalogueRef, Listing] | None = None,
    ) -> None:
        models = list(models)
        refs = self.catalogue_refs(models, provider_ids, free_backends)
        found = dict(listed or {})
        missing = [ref for ref in dict.fromkeys(refs.values()) if ref not in found]
        if missing:  # not listed by the caller: look them up here
            found.update(look_up(missing))
        self._overrides: Mapping[str, ModelPrice] = dict(overrides or {})
        # Price without overrides, per model: what ``reprice`` falls back to.
        self._base: dict[tuple[str, str], _Entry] = {}
        for model in models:
            key = (model.backend, model.id)
            ref = refs.get(key)
            self._base[key] = _free() if ref is None else _listed(ref, found[ref])
        self._entries = self._priced(self._overrides)

    @staticmethod
    def catalogue_refs(
        models: Iterable[ModelInfo], provider_ids: Mapping[str, str], free_backends: Iterable[str]
    ) -> dict[tuple[str, str], CatalogueRef]:
        """The catalogue lookup each model that is not free needs, by
        ``(backend, model id)``: what ``listed`` must hold (see ``catalogue``)."""
        free = set(free_backends)
        return {
            (m.backend, m.id): (m.upstream_id, provider_ids.get(m.backend))
            for m in models
            if m.backend not in free and not m.simulated
        }

    def _priced(self, overrides: Mapping[str, ModelPrice]) -> dict[tuple[str, str], _Entry]:
        entries: dict[tuple[str, str], _Entry] = {}
        for (backend, model_id), base in self._base.items():
            override = overrides.get(f"{backend}/{model_id}") or overrides.get(model_id)
            entries[(backend, model_id)] = _flat(override) if override is not None else base
        return entries

    def add_models(self, models: Iterable[ModelInfo]) -> None:
        """Price models added at run time (``AdminService.CreateBackend``): a
        configured override that names them applies, otherwise they are
        unpriced. The catalogue is not consulted: the endpoint is whatever the
        operator said, so a list price would be a guess."""
        for model in models:
            self._base.setdefault((model.backend, model.id), _Entry(None))
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
        if entry.rates is not None:
            input_amount, output_amount = entry.rates.amounts(usage)
        else:  # a price only genai-prices can apply
            input_amount, output_amount = catalogue_amounts(entry.catalogue, usage)
        return Cost(
            input_nanos=decimal_to_nanos(input_amount),
            output_nanos=decimal_to_nanos(output_amount),
            currency=entry.price.currency,
            estimated=estimated,
            pricing_version=entry.price.version,
        )


class _Entry:
    __slots__ = ("catalogue", "per_token", "price", "rates")

    def __init__(self, price: ModelPrice | None, rates: Rates | None = None, catalogue: Any = None):
        self.price = price
        self.rates = rates  # None with a price: ``catalogue`` (genai-prices) prices it
        self.catalogue = catalogue
        # (input, cached input, output) integer nanos per token, when exact.
        self.per_token = _nanos_per_token(rates)


def _free() -> _Entry:
    return _flat(ModelPrice(_ZERO, _ZERO, _ZERO, version="self-hosted"))


def _flat(price: ModelPrice) -> _Entry:
    return _Entry(price, Rates.flat(price))


def _listed(ref: CatalogueRef, listing: Listing) -> _Entry:
    if listing is None:
        return _Entry(None)
    if listing == CATALOGUE_ONLY:
        catalogue = catalogue_model(ref)
        return _Entry(listed_price(catalogue), None, catalogue)
    assert isinstance(listing, Rates)
    return _Entry(listing.model_price(), listing)


def _nanos_per_token(rates: Rates | None) -> tuple[int, int, int] | None:
    if rates is None:
        return None
    cached = rates.cached_input or rates.input
    kinds = (rates.input, cached, rates.output)
    if any(rate.tiers for rate in kinds):
        return None
    nanos = [rate.base * 1000 for rate in kinds]  # nanos per token
    if any(n != n.to_integral_value() for n in nanos):
        return None
    return int(nanos[0]), int(nanos[1]), int(nanos[2])
