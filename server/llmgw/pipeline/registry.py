"""What is running now, per backend: in-flight counts, abortable attempts, open streams.

``track`` wraps one upstream attempt: it counts it in flight (routing reads the
counts), registers its task so ``abort`` can end it (``SwitchBackend``
IMMEDIATE), and records its latency (to the first token for streams) or its
failure class. An aborted attempt fails with ``GatewayOverloadedError``
(retryable, so the attempt loop moves on); a caller's own cancellation
propagates untouched. Open stream sessions register here too: ``abort``
interrupts them (they end with ``UPSTREAM_STREAM_INTERRUPTED``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from llmgw.domain.clock import Clock
from llmgw.domain.errors import GatewayOverloadedError, UpstreamError
from llmgw.domain.models import Target
from llmgw.observability.metrics import Instruments
from llmgw.pipeline.latency import LatencyBoard


class Interruptible(Protocol):
    def interrupt(self) -> None: ...


class Registry:
    """In-flight attempts and open streams of every backend."""

    def __init__(self, clock: Clock, metrics: Instruments, latency: LatencyBoard) -> None:
        self._clock = clock
        self._metrics = metrics
        self._latency = latency
        self.in_flight_counts: dict[str, int] = {}
        self._running: dict[tuple[str, str], set[asyncio.Task[Any]]] = {}
        self._aborting: set[asyncio.Task[Any]] = set()
        self._sessions: dict[tuple[str, str], set[Interruptible]] = {}

    def in_flight(self, backend: str) -> int:
        return self.in_flight_counts.get(backend, 0)

    def add_session(self, target: Target, session: Interruptible) -> set[Interruptible]:
        """Register an open stream; returns the set to ``discard`` it from."""
        sessions = self._sessions.setdefault((target.backend, target.alias), set())
        sessions.add(session)
        return sessions

    def abort(self, backend: str, alias: str) -> int:
        """End what ``alias`` is running on ``backend`` now: attempts fail with
        ``UNAVAILABLE`` (retryable), started streams end with
        ``UPSTREAM_STREAM_INTERRUPTED``. Returns how many."""
        tasks = list(self._running.get((backend, alias), ()))
        for task in tasks:
            self._aborting.add(task)
            task.cancel()
        sessions = list(self._sessions.get((backend, alias), ()))
        for session in sessions:
            session.interrupt()
        return len(tasks) + len(sessions)

    def track(self, target: Target, first_token: bool = False) -> Tracked:
        """Count the attempt in flight; record its latency (to the first token
        for streams) or its failure class (``async with registry.track(t):``)."""
        return Tracked(self, target)

    def _aborted(self, task: asyncio.Task[Any] | None) -> bool:
        """Whether ``abort`` cancelled ``task`` (then it is uncancelled here)."""
        if task is None or task not in self._aborting:
            return False
        self._aborting.discard(task)
        task.uncancel()
        return True


class Tracked:
    """One attempt under ``Registry.track``: a plain class rather than an
    ``asynccontextmanager`` (no generator, no extra awaits per attempt)."""

    __slots__ = ("_backend", "_registry", "_running", "_started", "_target", "_task")

    def __init__(self, registry: Registry, target: Target) -> None:
        self._registry = registry
        self._target = target

    async def __aenter__(self) -> None:
        registry, target = self._registry, self._target
        backend = self._backend = target.backend
        counts = registry.in_flight_counts
        counts[backend] = counts.get(backend, 0) + 1
        task = self._task = asyncio.current_task()
        running = registry._running.get((backend, target.alias))
        if running is None:
            running = registry._running[(backend, target.alias)] = set()
        self._running = running
        if task is not None:
            running.add(task)
        self._started = registry._clock.now()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: Any
    ) -> None:
        registry, backend, task = self._registry, self._backend, self._task
        registry.in_flight_counts[backend] -= 1
        if task is not None:
            self._running.discard(task)
        model = self._target.model.id
        if error is None:
            seconds = registry._clock.now() - self._started
            registry._latency.observe(backend, model, seconds)
            registry._metrics.attempt(backend, model, "")
        elif isinstance(error, UpstreamError):
            registry._metrics.attempt(backend, model, error.failure.value)
        elif isinstance(error, asyncio.CancelledError) and registry._aborted(task):
            raise GatewayOverloadedError(
                f"Backend {backend} was switched away from; retry.", retry_after=0.0
            ) from None


__all__ = ["Registry", "Tracked"]
