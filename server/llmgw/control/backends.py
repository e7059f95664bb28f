"""Backends created and updated at run time (``AdminService.CreateBackend``,
``UpdateBackend``) on domain types and the injected clock.

The servicer converts the request to a ``BackendSpec`` (fields checked, no
I/O) and calls ``create`` or ``update_endpoint``; this module does the rest:

1. the endpoint goes through the SSRF guard (``outbound.endpoint_guard``:
   literal checks, allow/deny lists, DNS resolved once and pinned; no
   redirects);
2. a candidate adapter is built (``rebuild``);
3. a dry run (``validate_only``) probes the candidate, closes it and changes
   nothing (``NoEligibleBackendError`` + HEALTH_CHECK when it does not answer
   healthy);
4. otherwise the change is applied: ``create`` registers adapter, key pool,
   catalogue entries and prices (``Gateway.add_backend``); ``update_endpoint``
   swaps the adapter (``Gateway.replace_provider``) and *retires* the old one:
   it is closed once the attempts still using it can have ended (the
   backend's request timeout, at most ``MAX_DRAIN_SECONDS``), slept on the
   injected ``Clock``.

A created backend lives in this process until it stops: it is not written to
the configuration file or shared with other replicas. ``specs`` is the live
map of backends (configured and created) that the admin plane lists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from llmgw.control.probes import Prober, ProbeResult
from llmgw.domain.backends import BackendSpec
from llmgw.domain.clock import Clock
from llmgw.domain.errors import (
    BackendExistsError,
    BackendNotFoundError,
    FieldViolation,
    NoEligibleBackendError,
    UnimplementedError,
)
from llmgw.outbound.endpoint_guard import EndpointGuard
from llmgw.pipeline.gateway import Gateway
from llmgw.pipeline.keys import KeyPool
from llmgw.providers.base import Provider

MAX_DRAIN_SECONDS = 60.0
_URI_FIELD = "backend.endpoint_uri"


@dataclass(frozen=True, slots=True)
class BackendChange:
    """What ``create``/``update_endpoint`` did (or would do, in a dry run)."""

    before: BackendSpec | None  # None for a create
    after: BackendSpec
    probe: ProbeResult | None  # the dry run's probe of the candidate
    applied: bool


@dataclass(frozen=True, slots=True)
class BackendTools:
    """How backends are built and checked (``None``: not on this server)."""

    endpoints: EndpointGuard
    rebuild: Callable[[BackendSpec], Provider] | None
    prober: Prober | None


class BackendControl:
    """Creates, re-points and retires backends (module docstring)."""

    def __init__(
        self, gateway: Gateway, specs: Iterable[BackendSpec], tools: BackendTools, clock: Clock
    ) -> None:
        self._gateway = gateway
        self.specs: dict[str, BackendSpec] = {spec.name: spec for spec in specs}
        self._tools = tools
        self._clock = clock
        self._retiring: set[asyncio.Task[None]] = set()

    async def create(self, spec: BackendSpec, validate_only: bool) -> BackendChange:
        """Register ``spec`` (``base_url`` not yet checked); ``BackendExistsError``
        when the name is taken (also by a create that won meanwhile)."""
        self.require_free(spec.name)
        spec = await self._pinned(spec, spec.base_url)
        provider = self._build(spec, "CreateBackend")
        if validate_only:
            return BackendChange(
                None, spec, await self._probe_candidate(spec.name, provider), False
            )
        if self._taken(spec.name):
            await provider.aclose()
            raise BackendExistsError(spec.name)
        # One unlimited key at most: the pool is trivial (no counters to share).
        self._gateway.add_backend(spec, provider, KeyPool(spec.name, spec.key_pool(), self._clock))
        self.specs[spec.name] = spec
        return BackendChange(None, spec, None, True)

    async def update_endpoint(self, name: str, uri: str, validate_only: bool) -> BackendChange:
        """Point backend ``name`` at ``uri``; the old adapter is retired."""
        spec = self.specs.get(name)
        if spec is None:
            raise BackendNotFoundError(f"backends/{name}")
        updated = await self._pinned(spec, uri)
        provider = self._build(updated, "UpdateBackend")
        if validate_only:
            return BackendChange(spec, updated, await self._probe_candidate(name, provider), False)
        old = self._gateway.replace_provider(name, provider)
        self.specs[name] = updated
        self._retire(old, spec.request_timeout)
        return BackendChange(spec, updated, None, True)

    async def aclose(self) -> None:
        """Close the adapters still waiting for retirement (at shutdown)."""
        for task in list(self._retiring):
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)

    def _taken(self, name: str) -> bool:
        return name in self.specs or self._gateway.has_backend(name)

    def require_free(self, name: str) -> None:
        if self._taken(name):
            raise BackendExistsError(name)

    async def _pinned(self, spec: BackendSpec, uri: str) -> BackendSpec:
        pinned = await self._tools.endpoints.check(uri, _URI_FIELD)
        return replace(spec, base_url=pinned.url, pinned_addresses=pinned.addresses)

    def _build(self, spec: BackendSpec, method: str) -> Provider:
        if self._tools.rebuild is None or self._tools.prober is None:
            raise UnimplementedError(f"{method} on this server")
        return self._tools.rebuild(spec)

    async def _probe_candidate(self, name: str, provider: Provider) -> ProbeResult:
        """Probe a candidate adapter (closed afterwards); ``FAILED_PRECONDITION``
        when the endpoint does not answer healthy."""
        assert self._tools.prober is not None  # _build checked
        try:
            result = await self._tools.prober.probe(name, provider)
        finally:
            await provider.aclose()
        if not result.ok:
            why = result.error.public_message if result.error else "probe failed"
            raise NoEligibleBackendError(name, (FieldViolation(_URI_FIELD, why, "HEALTH_CHECK"),))
        return result

    def _retire(self, provider: Provider, drain_seconds: float) -> None:
        """Close a replaced adapter once the attempts still using it can have ended."""

        async def close_later() -> None:
            try:
                await self._clock.sleep(min(drain_seconds, MAX_DRAIN_SECONDS))
            finally:
                await provider.aclose()

        task = asyncio.get_running_loop().create_task(close_later())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)


def audit_view(spec: BackendSpec) -> dict[str, Any]:
    """A backend for an audit row: no credential, only whether a key is set."""
    return {
        "type": spec.kind.value,
        "preset": spec.preset or None,
        "endpoint_uri": spec.base_url,
        "pinned_addresses": list(spec.pinned_addresses),
        "models": [
            {"model_id": m.id, "upstream_model": m.upstream_id, "type": m.type.value}
            for m in spec.models
        ],
        "upstream_key_set": bool(spec.api_keys),
    }


__all__ = ["MAX_DRAIN_SECONDS", "BackendChange", "BackendControl", "BackendTools", "audit_view"]
