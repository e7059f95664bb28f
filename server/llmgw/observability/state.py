"""Gauges of state that lives elsewhere, sampled off the request path.

Breakers, budgets, the ledger outbox and probes already keep their state;
copying it into gauges on every change would put work on the hot path (and
hooks into five modules). A ``StateSampler`` instead asks each source every
``interval`` seconds, in one background task on the event loop (sources may do
I/O: budget counters live in Redis, the outbox in SQLite), and sets the
gauges. Each source returns plain tuples, so this module knows no pipeline
type. A source that fails leaves its gauges as they were (logged once per
failure streak, never raised).

``interval`` also ticks ``observability.window``'s snapshots (``GetMetrics``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Gauge

from llmgw.observability.logging import get_logger
from llmgw.observability.metrics import Instruments

_log = get_logger("llmgw.telemetry")

BREAKER_STATES = ("closed", "open", "half_open")


@dataclass(frozen=True, slots=True)
class BreakerRow:
    backend: str
    model: str
    state: str  # one of BREAKER_STATES
    transitions: int
    trips: int


@dataclass(frozen=True, slots=True)
class BudgetRow:
    budget: str
    spent_nanos: int
    limit_nanos: int


@dataclass(frozen=True, slots=True)
class LedgerRowState:
    outbox_depth: int
    lag_seconds: float
    consecutive_failures: int
    failures_total: int


@dataclass(frozen=True, slots=True)
class ProbeRow:
    backend: str
    ok: bool
    latency: float
    consecutive_failures: int


@dataclass(slots=True)
class StateSources:
    """Where each family's values come from (``None``: not served here)."""

    breakers: Callable[[], Iterable[BreakerRow]] | None = None
    budgets: Callable[[], Awaitable[Iterable[BudgetRow]]] | None = None
    ledger: Callable[[], Awaitable[LedgerRowState]] | None = None
    probes: Callable[[], Iterable[ProbeRow]] | None = None


# (attribute, Prometheus name, help, labels). "Monotonic" gauges mirror a
# counter another module keeps: query them with increase().
_GAUGES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("breaker_state", "llmgw_circuit_breaker_state",
     "1 for the state each (backend, model) breaker is in, 0 for the others.",
     ("backend", "model", "state")),
    ("breaker_transitions", "llmgw_circuit_breaker_transitions",
     "State changes of each breaker since start (monotonic).", ("backend", "model")),
    ("breaker_trips", "llmgw_circuit_breaker_trips",
     "Times each breaker opened since start (monotonic).", ("backend", "model")),
    ("budget_ratio", "llmgw_budget_spend_ratio", "Spent / limit of each budget's period.",
     ("budget",)),
    ("budget_remaining", "llmgw_budget_remaining_nanos",
     "What each budget has left (currency nano-units).", ("budget",)),
    ("outbox_depth", "llmgw_ledger_outbox_depth",
     "Ledger rows not yet relayed to PostgreSQL.", ()),
    ("relay_lag", "llmgw_ledger_relay_lag_seconds",
     "Age of the oldest row still in the outbox.", ()),
    ("relay_failing", "llmgw_ledger_relay_consecutive_failures",
     "Relay failures since the last success.", ()),
    ("relay_failures", "llmgw_ledger_relay_failures",
     "Relay failures since start (monotonic).", ()),
    ("probe_up", "llmgw_probe_up", "1 when the backend's last probe succeeded.", ("backend",)),
    ("probe_latency", "llmgw_probe_latency_seconds", "Latency of the backend's last probe.",
     ("backend",)),
    ("probe_failing", "llmgw_probe_consecutive_failures", "Failed probes in a row.",
     ("backend",)),
)  # fmt: skip


class StateGauges:
    """The sampled families, registered on the ``Instruments`` registry."""

    breaker_state: Gauge
    breaker_transitions: Gauge
    breaker_trips: Gauge
    budget_ratio: Gauge
    budget_remaining: Gauge
    outbox_depth: Gauge
    relay_lag: Gauge
    relay_failing: Gauge
    relay_failures: Gauge
    probe_up: Gauge
    probe_latency: Gauge
    probe_failing: Gauge

    def __init__(self, instruments: Instruments) -> None:
        for attr, name, doc, labels in _GAUGES:
            setattr(self, attr, Gauge(name, doc, labels, registry=instruments.registry))

    def breakers(self, rows: Iterable[BreakerRow]) -> None:
        for row in rows:
            for state in BREAKER_STATES:
                value = 1.0 if state == row.state else 0.0
                self.breaker_state.labels(row.backend, row.model, state).set(value)
            self.breaker_transitions.labels(row.backend, row.model).set(row.transitions)
            self.breaker_trips.labels(row.backend, row.model).set(row.trips)

    def budgets(self, rows: Iterable[BudgetRow]) -> None:
        for row in rows:
            ratio = row.spent_nanos / row.limit_nanos if row.limit_nanos else 0.0
            self.budget_ratio.labels(row.budget).set(ratio)
            self.budget_remaining.labels(row.budget).set(max(0, row.limit_nanos - row.spent_nanos))

    def ledger(self, state: LedgerRowState) -> None:
        self.outbox_depth.set(state.outbox_depth)
        self.relay_lag.set(state.lag_seconds)
        self.relay_failing.set(state.consecutive_failures)
        self.relay_failures.set(state.failures_total)

    def probes(self, rows: Iterable[ProbeRow]) -> None:
        for row in rows:
            self.probe_up.labels(row.backend).set(1.0 if row.ok else 0.0)
            self.probe_latency.labels(row.backend).set(row.latency)
            self.probe_failing.labels(row.backend).set(row.consecutive_failures)


class StateSampler:
    """Samples ``sources`` into ``gauges`` every ``interval`` seconds, and
    calls ``tick`` (window snapshots) after each round."""

    def __init__(
        self,
        gauges: StateGauges,
        sources: StateSources,
        interval: float = 5.0,
        tick: Callable[[], None] | None = None,
    ) -> None:
        self._gauges = gauges
        self._sources = sources
        self._interval = interval
        self._tick = tick
        self._task: asyncio.Task[None] | None = None
        self._failing: set[str] = set()

    async def sample(self) -> None:
        """One round: every source, then ``tick``."""
        s, g = self._sources, self._gauges
        if s.breakers is not None:
            self._guard("breakers", lambda: g.breakers(s.breakers() if s.breakers else ()))
        if s.probes is not None:
            self._guard("probes", lambda: g.probes(s.probes() if s.probes else ()))
        if s.budgets is not None:
            await self._guard_async("budgets", s.budgets, g.budgets)
        if s.ledger is not None:
            await self._guard_async("ledger", s.ledger, g.ledger)
        if self._tick is not None:
            self._tick()

    def _guard(self, name: str, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception as error:
            self._failed(name, error)
        else:
            self._failing.discard(name)

    async def _guard_async(
        self, name: str, read: Callable[[], Awaitable[Any]], apply: Callable[[Any], None]
    ) -> None:
        try:
            apply(await read())
        except Exception as error:
            self._failed(name, error)
        else:
            self._failing.discard(name)

    def _failed(self, name: str, error: Exception) -> None:
        if name not in self._failing:
            self._failing.add(name)
            _log.warning("telemetry_source_failed", source=name, error=type(error).__name__)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="telemetry")

    async def _run(self) -> None:
        while True:
            await self.sample()
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


__all__ = [
    "BreakerRow",
    "BudgetRow",
    "LedgerRowState",
    "ProbeRow",
    "StateGauges",
    "StateSampler",
    "StateSources",
]
