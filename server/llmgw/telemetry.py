"""Composition of the telemetry (beside ``app``): what ``app`` wires in one call each.

* ``telemetry_for``: the ``Telemetry`` the chain's first step writes to
  (instruments, the outcome log line, tracing, the status table's code names);
* ``monitoring``: while the gateway serves, the ``/metrics`` listener and the
  sampler that copies breakers, probes, budgets and the ledger outbox into
  gauges and takes GetMetrics' window snapshots.

It reads no file and no environment (``app`` and ``config`` do).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from llmgw.accounting.ledger.port import Ledger
from llmgw.accounting.ledger.relay import RelayedLedger
from llmgw.api.edge import code_name
from llmgw.config.schema import ObservabilityConfig
from llmgw.control.probes import Prober
from llmgw.observability.exposition import serve_metrics
from llmgw.observability.metrics import Instruments
from llmgw.observability.request_log import RequestLog
from llmgw.observability.state import (
    BreakerRow,
    BudgetRow,
    LedgerRowState,
    ProbeRow,
    StateGauges,
    StateSampler,
    StateSources,
)
from llmgw.observability.tracing import Tracing
from llmgw.pipeline.budget import BudgetGuard
from llmgw.pipeline.gateway import Gateway
from llmgw.pipeline.steps.telemetry import Telemetry


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("llmgw")
    except PackageNotFoundError:
        return "0"


def telemetry_for(
    config: ObservabilityConfig, presets: Mapping[str, str], tracing: Tracing | None
) -> Telemetry:
    """``presets`` maps each backend to its preset (the GenAI provider name)."""
    return Telemetry(
        Instruments(config.tenant_labels, version()),
        RequestLog(config.success_log_sample, config.log_content),
        tracing,
        code_name,
        dict(presets),
    )


@dataclass(frozen=True, slots=True)
class Watched:
    """What the sampler reads."""

    gateway: Gateway
    prober: Prober
    guard: BudgetGuard | None
    ledger: Ledger | None


@asynccontextmanager
async def monitoring(config: ObservabilityConfig, watched: Watched) -> AsyncIterator[str]:
    """Serve ``/metrics`` (when ``metrics_listen`` is set) and sample state
    while the block runs; yields the listener's address (``""`` when off)."""
    instruments = watched.gateway.telemetry.instruments
    sampler = StateSampler(
        StateGauges(instruments),
        sources(watched),
        config.sample_interval_seconds,
        tick=watched.gateway.metrics.snapshot,
    )
    listen = config.metrics_listen
    listener = serve_metrics(instruments.registry, listen) if listen else None
    sampler.start()
    try:
        host = listen.rpartition(":")[0]
        yield f"{host}:{listener.port}" if listener else ""
    finally:
        await sampler.stop()
        if listener is not None:
            listener.stop()


def sources(watched: Watched) -> StateSources:
    gateway, guard, ledger, prober = watched.gateway, watched.guard, watched.ledger, watched.prober

    def breakers() -> list[BreakerRow]:
        snapshots = gateway.attempts.breakers.snapshots().items()
        return [BreakerRow(b, m, s.state.value, s.transitions, s.trips) for (b, m), s in snapshots]

    def probes() -> list[ProbeRow]:
        results = prober.results.items()
        return [ProbeRow(b, r.ok, r.latency, r.consecutive_failures) for b, r in results]

    async def budgets() -> list[BudgetRow]:
        assert guard is not None
        statuses = await guard.statuses()
        return [BudgetRow(s.budget.name, s.spent_nanos, s.limit_nanos) for s in statuses]

    async def outbox() -> LedgerRowState:
        assert isinstance(ledger, RelayedLedger)
        oldest = await ledger.oldest_pending_at()
        lag = max(0.0, time.time() - oldest) if oldest is not None else 0.0
        depth = await ledger.pending()
        return LedgerRowState(depth, lag, ledger.consecutive_failures, ledger.failures_total)

    return StateSources(
        breakers,
        budgets if guard is not None else None,
        outbox if isinstance(ledger, RelayedLedger) else None,
        probes,
    )


__all__ = ["Watched", "monitoring", "telemetry_for", "version"]
