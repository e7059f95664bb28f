"""Active health: zero-token probes of every backend, in the background.

Each backend is probed every ``interval`` seconds with its cheapest honest
check (vLLM ``/health``, else the model list): never a completion, so a probe
costs nothing. Results feed ``AdminService.GetHealth`` beside the passive
signal (breakers fed by live traffic) and the health check of
``SwitchBackend``. A probe failure does not trip a breaker: live traffic
decides routing, probes inform operators.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from llmgw.domain.clock import Clock, SystemClock
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import UpstreamError
from llmgw.providers.base import Provider


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The last probe of one backend."""

    ok: bool
    checked_at: float  # epoch seconds
    latency: float  # seconds
    consecutive_failures: int
    error: UpstreamError | None = None


class Prober:
    """Probes backends on demand and periodically; keeps the latest results."""

    def __init__(
        self,
        providers: Mapping[str, Provider],
        interval: float = 30.0,
        timeout: float = 5.0,
        clock: Clock | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._clock: Clock = clock or SystemClock()  # latency and the probe period
        self._wall = wall  # checked_at (epoch seconds, shown to operators)
        self._providers = providers
        self._interval = interval
        self._timeout = timeout
        self.results: dict[str, ProbeResult] = {}
        self._task: asyncio.Task[None] | None = None

    async def probe(self, backend: str, provider: Provider | None = None) -> ProbeResult:
        """Probe one backend now (``provider`` overrides the registered one,
        e.g. a candidate endpoint under validation; its result is not kept)."""
        target = provider or self._providers[backend]
        started = self._clock.now()
        error: UpstreamError | None = None
        try:
            await target.probe(Deadline.after(self._timeout))
        except UpstreamError as exc:
            error = exc
        previous = self.results.get(backend)
        failures = 0 if error is None else (previous.consecutive_failures + 1 if previous else 1)
        latency = self._clock.now() - started
        result = ProbeResult(error is None, self._wall(), latency, failures, error)
        if provider is None:
            self.results[backend] = result
        return result

    async def _loop(self) -> None:
        while True:
            await asyncio.gather(
                *(self.probe(name) for name in list(self._providers)), return_exceptions=True
            )
            await self._clock.sleep(self._interval)

    def start(self) -> None:
        if self._task is None and self._interval > 0:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="probes")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


__all__ = ["ProbeResult", "Prober"]
