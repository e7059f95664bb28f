"""The accounting sub-system: price book, accountant, ledger, budget guard and
vLLM uptime (``llmgw.app`` wires them into the pipeline and the admin plane)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from typing import Any

from llmgw.accounting.budget_counters import BudgetCounters, MemoryCounters, RedisCounters
from llmgw.accounting.catalogue import CatalogueError, CatalogueRef, Listing, look_up_isolated
from llmgw.accounting.fixed_costs import FixedCostCounters, FixedCosts
from llmgw.accounting.ledger.journal import local_ledger
from llmgw.accounting.ledger.port import Ledger
from llmgw.accounting.ledger.relay import RelayedLedger
from llmgw.accounting.pricing import PriceBook
from llmgw.accounting.uptime import UptimeLog
from llmgw.api.admin.costs import CostPlane, FixedCost
from llmgw.config import (
    DEMO_BACKEND,
    Settings,
    budget_definitions,
    price_overrides,
    state_database_url,
)
from llmgw.domain.backends import BackendSpec
from llmgw.domain.clock import Clock
from llmgw.domain.models import ModelInfo
from llmgw.domain.money import decimal_to_nanos
from llmgw.observability.logging import get_logger
from llmgw.outbound.webhook import AlertWebhook
from llmgw.pipeline.budget import BudgetGuard
from llmgw.pipeline.settlement import Accountant, AccountingSettings
from llmgw.storage.budgets import BudgetStore
from llmgw.storage.database import Database, open_database

# genai-prices provider ids per backend preset; self-hosted engines are free per
# token (their cost is GPU uptime, accounted separately).
_PROVIDER_IDS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "mistral": "mistral",
    "together": "together",
    "openrouter": "openrouter",
}
_SELF_HOSTED = ("vllm", "ollama", DEMO_BACKEND)


def price_book(
    settings: Settings,
    specs: Sequence[BackendSpec],
    models: Sequence[ModelInfo],
    listed: Mapping[CatalogueRef, Listing] | None = None,
) -> PriceBook:
    """List prices by each backend's preset (self-hosted ones are free per
    token), under the file's per-backend overrides; catalogue prices from
    ``listed`` (``list_prices``), else looked up in this process."""
    provider_ids, free = _pricing(specs)
    return PriceBook(
        models,
        provider_ids=provider_ids,
        free_backends=free,
        overrides=price_overrides(settings),
        listed=listed,
    )


async def list_prices(specs: Sequence[BackendSpec]) -> dict[CatalogueRef, Listing]:
    """The catalogue prices ``price_book`` needs for ``specs``, listed in a
    child process so the gateway never imports genai-prices (~10 MiB resident
    for good). If the child fails, nothing: the book looks them up itself."""
    provider_ids, free = _pricing(specs)
    models = [m for spec in specs for m in spec.models]
    refs = PriceBook.catalogue_refs(models, provider_ids, free).values()
    try:
        return await look_up_isolated(list(dict.fromkeys(refs)))
    except (OSError, CatalogueError, TimeoutError) as exc:
        get_logger("llmgw").warning("price_catalogue_child_failed", error=str(exc)[-500:])
        return {}


def listing_prices(
    specs: Sequence[BackendSpec], stack: AsyncExitStack
) -> asyncio.Task[dict[CatalogueRef, Listing]]:
    """``list_prices`` as a task, so start-up I/O goes on while the child runs;
    ``stack`` cancels it (and kills the child) if start-up fails first."""
    task = asyncio.create_task(list_prices(specs))
    stack.push_async_callback(_settled, task)
    return task


async def _settled(task: asyncio.Task[Any]) -> None:
    task.cancel()  # no-op once done
    await asyncio.gather(task, return_exceptions=True)


def _pricing(specs: Sequence[BackendSpec]) -> tuple[dict[str, str], list[str]]:
    """genai-prices provider id per backend, and the backends free per token."""
    presets = {spec.name: spec.preset or spec.name for spec in specs}
    provider_ids = {n: _PROVIDER_IDS[p] for n, p in presets.items() if p in _PROVIDER_IDS}
    return provider_ids, [n for n, p in presets.items() if p in _SELF_HOSTED]


def accountant(
    settings: Settings, prices: PriceBook, costs: CostPlane | None, clock: Clock
) -> Accountant:
    """Prices only without ``costs``; else billing to its ledger and guard."""
    if costs is None:
        return Accountant(prices, clock=clock)
    budgets = settings.budgets
    return Accountant(
        prices,
        costs.ledger,
        costs.guard,
        AccountingSettings(
            default_max_output_tokens=budgets.default_max_output_tokens,
            unpriced_reservation_nanos=decimal_to_nanos(budgets.unpriced_reservation),
        ),
        clock,
    )


async def cost_plane(
    settings: Settings, state_db: Database, vllm: list[str], stack: AsyncExitStack
) -> CostPlane:
    """Ledger (SQLite, or outbox + relay to PostgreSQL), budget guard, vLLM
    uptime; each closed by ``stack`` after the servers have stopped (so the
    last rows of in-flight requests are flushed)."""
    ledger = await _ledger(settings, state_db, stack)
    await ledger.start()
    stack.push_async_callback(ledger.close)
    budgets = settings.budgets
    notify: AlertWebhook | None = None
    if budgets.webhook_url:
        notify = AlertWebhook(budgets.webhook_url)
        stack.push_async_callback(notify.aclose)
    uptime = UptimeLog(state_db, vllm)
    await uptime.start()
    stack.push_async_callback(uptime.close)
    guard = BudgetGuard(
        BudgetStore(state_db),
        _budget_counters(settings, uptime, vllm, stack),
        ledger.spent,
        notify,
        config_budgets=budget_definitions(settings),
        refresh_seconds=budgets.refresh_seconds,
    )
    await guard.start()
    stack.push_async_callback(guard.close)
    fixed = [FixedCost(name, budgets.vllm_hourly_rate) for name in vllm]
    return CostPlane(ledger, guard, uptime, fixed)


async def _ledger(settings: Settings, state_db: Database, stack: AsyncExitStack) -> Ledger:
    """A PostgreSQL ``ledger.database_url``: a local SQLite outbox relayed
    there; otherwise the ledger is a table of the state database."""
    url = settings.ledger.database_url
    if not url.startswith(("postgres://", "postgresql://")):
        path = state_database_url(settings).removeprefix("sqlite:///")
        return local_ledger(state_db, settings.ledger.sqlite_synchronous, path)
    outbox = await open_database(f"sqlite:///{settings.ledger.outbox_path}")
    stack.push_async_callback(outbox.close)
    return RelayedLedger(
        outbox,
        url,
        settings.ledger.relay_batch_size,
        settings.ledger.relay_interval_seconds,
        synchronous=settings.ledger.sqlite_synchronous,
    )


def _budget_counters(
    settings: Settings, uptime: UptimeLog, vllm: list[str], stack: AsyncExitStack
) -> BudgetCounters:
    """Redis counters shared by every replica when ``redis_url`` is set, else
    this process's; with the vLLM hours added to the budgets that cover them
    (``budgets.fixed_cost_budgets``)."""
    counters: BudgetCounters = MemoryCounters()
    if settings.redis_url:
        # A blocking pool waits for a free connection under load (the default
        # pool raises "Too many connections"). Imported here: redis costs ~6 MiB
        # of memory in a gateway that does not use it.
        from redis.asyncio import BlockingConnectionPool, Redis

        client = Redis(
            connection_pool=BlockingConnectionPool.from_url(
                settings.redis_url, max_connections=64
            )
        )
        stack.push_async_callback(client.aclose)
        counters = RedisCounters(client, settings.redis_prefix)
    budgets = settings.budgets
    if vllm and budgets.fixed_cost_budgets:
        costs = FixedCosts(uptime, dict.fromkeys(vllm, budgets.vllm_hourly_rate))
        counters = FixedCostCounters(counters, costs, frozenset(budgets.fixed_cost_budgets))
    return counters


__all__ = [
    "accountant",
    "cost_plane",
    "price_book",
]
