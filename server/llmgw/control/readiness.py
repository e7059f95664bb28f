"""Readiness: may this replica take traffic? Decided from probes and breakers.

``assess`` is the decision, pure (first matching row wins):

==========================================  =========================================
situation                                   readiness (reason)
==========================================  =========================================
draining (SIGTERM received)                 NOT_SERVING (draining)
a required backend's last probe missing     NOT_SERVING (waiting for required backend)
  or failed (e.g. vLLM still loading)
every target of the ``default`` alias down  NOT_SERVING (every target ... is down)
otherwise                                   SERVING
==========================================  =========================================

A target is down when its backend's last probe failed or its (backend,
model) breaker is open (live traffic). A backend never probed yet is not
down, except a required one, which must have *passed* a probe. Per backend
(``Readiness.backends``): down when its last probe failed or the breakers of
all its models are open. Liveness is not decided here: it reflects only the
process.

``ReadinessWatcher`` re-probes the required backends and re-assesses every
``interval`` seconds (required backends are probed on this faster cadence
so a sidecar that finished loading makes the pod ready within seconds, not
at the next 30 s probe round), and publishes a verdict when it changes
(logged once per change, with the reason, never per tick).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from llmgw.control.probes import Prober, ProbeResult
from llmgw.domain.models import Target
from llmgw.observability.logging import get_logger
from llmgw.pipeline.gateway import Gateway

log = get_logger("llmgw.readiness")

DEFAULT_ROUTE = "default"
BreakerOpen = Callable[[str, str], bool]


@dataclass(frozen=True, slots=True)
class Readiness:
    """A verdict: ``serving`` or not and why; ``backends`` up (True) or down."""

    serving: bool
    reason: str = ""
    backends: Mapping[str, bool] | None = None


def backend_up(name: str, probes: Mapping[str, ProbeResult]) -> bool:
    result = probes.get(name)
    return result is None or result.ok


def assess(
    *,
    draining: bool,
    required: Sequence[str],
    probes: Mapping[str, ProbeResult],
    default_route: Sequence[Target],
    breaker_open: BreakerOpen,
    backends: Mapping[str, Sequence[str]] | None = None,
) -> Readiness:
    """The decision table above, for one instant (``backends``: name -> model ids)."""
    up = {
        name: backend_up(name, probes)
        and not (models and all(breaker_open(name, model) for model in models))
        for name, models in (backends or {}).items()
    }
    if draining:
        return Readiness(False, "draining", up)
    waiting = [n for n in required if n not in probes or not probes[n].ok]
    if waiting:
        return Readiness(False, f"waiting for required backend {', '.join(waiting)}", up)
    if default_route and all(
        not backend_up(t.backend, probes) or breaker_open(t.backend, t.model.id)
        for t in default_route
    ):
        return Readiness(False, "every target of the default route is down", up)
    return Readiness(True, "", up)


@dataclass(frozen=True, slots=True)
class ReadinessSources:
    """Where the watcher reads state (all through public methods)."""

    prober: Prober
    required: tuple[str, ...]
    default_route: Callable[[], Sequence[Target]]
    breaker_open: BreakerOpen
    backends: Callable[[], Mapping[str, Sequence[str]]]


def gateway_sources(
    gateway: Gateway,
    prober: Prober | None,
    required: Sequence[str],
    backends: Mapping[str, Sequence[str]],
) -> ReadinessSources:
    """Sources over a gateway: its ``default`` alias route (operator
    overrides included) and its breaker board; ``prober`` None = no probes
    (only breakers count; a required backend then never becomes ready)."""
    catalog = gateway.catalog

    def default_route() -> Sequence[Target]:
        return catalog.route(DEFAULT_ROUTE) if DEFAULT_ROUTE in catalog.aliases else ()

    return ReadinessSources(
        prober or Prober({}, interval=0),
        tuple(required),
        default_route,
        gateway.attempts.breakers.is_open,
        lambda: backends,
    )


Publish = Callable[[Readiness], Awaitable[None]]


class ReadinessWatcher:
    """Keeps the published readiness current until ``stop``."""

    def __init__(self, sources: ReadinessSources, publish: Publish, interval: float) -> None:
        self._sources = sources
        self._publish = publish
        self._interval = interval
        self._last: Readiness | None = None
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> Readiness:
        """Probe the required backends now, assess, publish when changed."""
        src = self._sources
        await asyncio.gather(
            *(src.prober.probe(name) for name in src.required), return_exceptions=True
        )
        verdict = assess(
            draining=False,
            required=src.required,
            probes=src.prober.results,
            default_route=src.default_route(),
            breaker_open=src.breaker_open,
            backends=src.backends(),
        )
        if verdict != self._last:
            if self._last is None or verdict.serving != self._last.serving:
                log.info("readiness", serving=verdict.serving, reason=verdict.reason)
            self._last = verdict
            await self._publish(verdict)
        return verdict

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            with contextlib.suppress(Exception):  # a failed round is retried next tick
                await self.check()

    async def start(self) -> Readiness:
        """First verdict now (published before returning), then in the background."""
        verdict = await self.check()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="readiness")
        return verdict

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
