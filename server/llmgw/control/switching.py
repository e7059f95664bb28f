"""Route switches (``AdminService.SwitchBackend``) on domain types.

``RouteSwitcher.switch(order)`` decides, in this order, and raises the
domain error of the first check that fails (the servicer maps it through the
status table):

=====================================  ==============================
check                                  error
=====================================  ==============================
the alias exists                       ``RouteNotFoundError``
the backend exists                     ``BackendNotFoundError``
``etag`` (when given) is current       ``EtagMismatchError``
the backend serves the model           ``NoEligibleBackendError`` (CAPABILITY)
its health probe passes (unless        ``NoEligibleBackendError`` (HEALTH_CHECK)
``skip_health_check``)
=====================================  ==============================

Then a dry run (``validate_only``) returns what would change and changes
nothing; otherwise the override goes first on the alias's chain
(``Catalog.switch``) with ``expires_at = wall() + ttl`` (no ttl = sticky; the
catalogue drops it when its wall clock passes that instant, so the route
reverts by itself), and an ``immediate`` switch cancels the attempts still
running on the old first backend for this alias (they answer
``UNAVAILABLE``; ``drain`` lets them finish).

Time: ``wall`` (epoch seconds, injected) stamps and expires overrides; it is
the catalogue's own clock, so a test drives the TTL without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from llmgw.control.probes import Prober
from llmgw.domain.backends import BackendSpec
from llmgw.domain.errors import (
    BackendNotFoundError,
    EtagMismatchError,
    FieldViolation,
    NoEligibleBackendError,
    RouteNotFoundError,
)
from llmgw.domain.models import ModelInfo, Target
from llmgw.pipeline.catalog import RouteOverride
from llmgw.pipeline.gateway import Gateway

Wall = Callable[[], float]


@dataclass(frozen=True, slots=True)
class SwitchOrder:
    """An operator's switch, already validated field by field by the caller."""

    alias: str
    backend: str
    model_id: str = ""  # empty: the model of the alias's current first target
    etag: str = ""
    reason: str = ""
    actor: str = ""
    ttl_seconds: float = 0.0  # 0: sticky
    immediate: bool = False
    skip_health_check: bool = False
    validate_only: bool = False


@dataclass(frozen=True, slots=True)
class SwitchOutcome:
    previous: Target  # the alias's first target before the switch
    target: Target  # the switched-to target (applied unless a dry run)
    aborted: int  # attempts cancelled by an immediate switch


class RouteSwitcher:
    """Applies ``SwitchOrder``s to the running catalogue (module docstring)."""

    def __init__(
        self,
        gateway: Gateway,
        specs: Mapping[str, BackendSpec],
        prober: Prober | None,
        wall: Wall,
    ) -> None:
        self._gateway = gateway
        self._specs = specs  # live view: backends created at run time appear here
        self._prober = prober
        self._wall = wall

    async def switch(self, order: SwitchOrder) -> SwitchOutcome:
        catalog = self._gateway.catalog
        if order.alias not in catalog.aliases:
            raise RouteNotFoundError(f"routes/{order.alias}")
        if order.backend not in self._specs:
            raise BackendNotFoundError(f"backends/{order.backend}")
        if order.etag and order.etag != catalog.etag(order.alias):
            raise EtagMismatchError(catalog.etag(order.alias))
        current = catalog.route(order.alias)[0]
        model = self._served(order, order.model_id or current.model.id)
        if not order.skip_health_check:
            await self._check_health(order)
        target = Target(model, order.alias)
        if order.validate_only:
            return SwitchOutcome(current, target, 0)
        now = self._wall()
        catalog.switch(
            order.alias,
            RouteOverride(
                target=target,
                reason=order.reason,
                actor=order.actor,
                created_at=now,
                expires_at=now + order.ttl_seconds if order.ttl_seconds > 0 else None,
            ),
        )
        aborted = 0
        if order.immediate and current.backend != order.backend:
            aborted = self._gateway.abort(current.backend, order.alias)
        return SwitchOutcome(current, target, aborted)

    def _served(self, order: SwitchOrder, model_id: str) -> ModelInfo:
        model = self._gateway.catalog.find(order.backend, model_id)
        if model is None:
            why = f"backend {order.backend!r} does not serve {model_id!r}"
            raise NoEligibleBackendError(
                order.alias, (FieldViolation("model_id", why, "CAPABILITY"),)
            )
        return model

    async def _check_health(self, order: SwitchOrder) -> None:
        if self._prober is None:
            return
        probe = await self._prober.probe(order.backend)
        if not probe.ok:
            why = (
                f"backend {order.backend!r} failed its health check; "
                "set skip_health_check to switch anyway"
            )
            raise NoEligibleBackendError(
                order.alias, (FieldViolation("backend", why, "HEALTH_CHECK"),)
            )


__all__ = ["RouteSwitcher", "SwitchOrder", "SwitchOutcome"]
