"""BudgetGuard: what the request pipeline calls to reserve, settle and alert.

Flow per request: ``reserve(scopes, upper_bound)`` before the first upstream
attempt; ``settle(reservation, actual)`` exactly once at the end (also for
cancelled or interrupted requests, billing what was produced); ``release``
= settle with 0 when nothing was produced.

* Reservation is one atomic step over every budget that applies (one Lua
  script on Redis). Cold counters (first use in a period, or after expiry)
  are seeded from the ledger with set-if-absent and the reservation retried;
  concurrent seeds of one counter in one process share one ledger query.
  Counter errors (Redis down) propagate: budgets fail closed.
* A HARD budget at 100 % raises ``BudgetExhaustedError`` naming the scope and
  the reset time. Admission happens while below 100 %, so admitted spend <=
  limit + the largest single reservation in flight. SOFT and DOWNGRADE
  budgets never reject; ``pressure()`` exposes their use to routing.
* After settling, thresholds crossed fire once (``pipeline.budget_alerts``).
* Fast path: when no budget applies to the scopes, no I/O at all. The
  counters a scope set reserves on are planned once per period
  (``pipeline.budget_plans``); in-process counters (no Redis) reserve and
  settle in place, without a task.

Config vs admin rule: config budgets are written to the store at ``start()``
(origin ``config``) unless the stored row of that name has origin ``admin``
(changed by UpdateBudget); admin changes win until that row is deleted, which
lasts until the next start or reload (config is declarative: a reload also
deletes config rows whose name left the file). Budgets are re-read every
``refresh_seconds`` so an UpdateBudget on another replica takes effect here.

Time: ``clock`` (monotonic, ``domain.clock``) paces the refresh loop;
``wall_clock`` (epoch seconds) places requests in calendar periods.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from llmgw.accounting.budget_counters import (
    BudgetCounters,
    CounterKey,
    CounterValue,
    MemoryCounters,
    ReserveOutcome,
)
from llmgw.domain.budgets import Budget, BudgetScope, Enforcement
from llmgw.domain.clock import Clock, SystemClock
from llmgw.domain.errors import BudgetExhaustedError, GatewayOverloadedError
from llmgw.observability.logging import get_logger
from llmgw.pipeline.budget_alerts import ThresholdAlerts
from llmgw.pipeline.budget_plans import BudgetPlan, BudgetPlans, entries_of
from llmgw.pipeline.budget_plans import CounterEntry as _Entry
from llmgw.pipeline.budget_types import (
    BudgetAlert,
    BudgetStatus,
    ConfigBudgetChanges,
    Notify,
    percent,
    rfc3339,
    severity_of,
    units,
)
from llmgw.storage.budgets import ORIGIN_ADMIN, ORIGIN_CONFIG, BudgetStore

_log = get_logger("llmgw.budget")

SpentFromLedger = Callable[[BudgetScope, float, float | None], Awaitable[int]]
_SEED_ATTEMPTS = 3


@dataclass(eq=False, slots=True)
class Reservation:
    """An admitted upper bound on the counters of ``entries``; settle it once."""

    amount_nanos: int
    entries: tuple[_Entry, ...] = ()
    _settling: asyncio.Task[None] | None = field(default=None, repr=False)
    _settled: bool = field(default=False, repr=False)  # settled in place (no task)

    @property
    def settled(self) -> bool:
        return self._settled or self._settling is not None


class BudgetGuard:
    # A counter key lives until its period resets plus this margin (so a
    # late settlement still finds it); a class constant, not a constructor
    # argument: no caller ever set it.
    TTL_MARGIN_SECONDS = 2 * 86400

    def __init__(
        self,
        store: BudgetStore,
        counters: BudgetCounters,
        spent_from_ledger: SpentFromLedger,
        notify: Notify | None = None,
        clock: Clock | None = None,
        config_budgets: Sequence[Budget] = (),
        *,
        wall_clock: Callable[[], float] = time.time,
        refresh_seconds: float = 5.0,
    ) -> None:
        self._store = store
        self._counters = counters
        # In-process counters settle in place: no task, nothing to wait for.
        self._local = counters if isinstance(counters, MemoryCounters) else None
        self._plans = BudgetPlans()
        self._spent_from_ledger = spent_from_ledger
        self._notify = notify
        self._clock = clock or SystemClock()
        self._config = tuple(config_budgets)
        self._wall = wall_clock
        self._refresh_seconds = refresh_seconds
        self._by_scope: dict[BudgetScope, tuple[Budget, ...]] = {}
        self._etags: dict[str, str] = {}
        # budget name -> (period start, reset, last known counter value)
        self._last: dict[str, tuple[int, float | None, CounterValue]] = {}
        self._seeding: dict[CounterKey, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._alerts = ThresholdAlerts(store, notify, self._track)
        self._refresher: asyncio.Task[None] | None = None

    # ----- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Migrate, write config budgets (see the module rule), load, refresh."""
        await self._store.migrate()
        await self._write_config(self._config)
        await self.refresh()
        if self._refresh_seconds > 0:
            self._refresher = asyncio.create_task(self._refresh_loop())

    async def _write_config(self, budgets: Sequence[Budget]) -> ConfigBudgetChanges:
        written: list[str] = []
        kept: list[str] = []
        for budget in budgets:
            stored = await self._store.get(budget.name)
            if stored is not None and stored.origin == ORIGIN_ADMIN:
                _log.info("budget_config_overridden", budget=budget.name)
                kept.append(budget.name)
                continue
            if stored is None or stored.budget != budget:
                await self._store.upsert(budget, origin=ORIGIN_CONFIG)
                written.append(budget.name)
        return ConfigBudgetChanges(written=tuple(written), admin_kept=tuple(kept))

    async def reload_config_budgets(self, budgets: Sequence[Budget]) -> ConfigBudgetChanges:
        """Apply a reloaded configuration's budgets, by the start-up rule.

        New or changed config budgets are written (origin ``config``) unless an
        admin change owns the name; config-origin rows whose name left the
        configuration are deleted (config is declarative); admin rows are never
        touched. Then the definitions are re-read. Counters (spend so far in
        the period) are kept: changing a limit does not forget the spend.
        """
        names = {b.name for b in budgets}
        changes = await self._write_config(budgets)
        removed: list[str] = []
        for row in await self._store.list():
            if row.origin == ORIGIN_CONFIG and row.budget.name not in names:
                await self._store.delete(row.budget.name)
                removed.append(row.budget.name)
        self._config = tuple(budgets)
        await self.refresh()
        return ConfigBudgetChanges(changes.written, tuple(sorted(removed)), changes.admin_kept)

    async def close(self) -> None:
        """Stop refreshing; wait for settlements and notifications in flight."""
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def refresh(self) -> None:
        """Reload every budget definition from the store."""
        stored = await self._store.list()
        by_scope: dict[BudgetScope, list[Budget]] = {}
        for row in stored:
            by_scope.setdefault(row.budget.scope, []).append(row.budget)
        self._by_scope = {scope: tuple(found) for scope, found in by_scope.items()}
        self._plans.load(self._by_scope)
        self._etags = {row.budget.name: row.etag for row in stored}

    async def _refresh_loop(self) -> None:
        while True:
            await self._clock.sleep(self._refresh_seconds)
            try:
                await self.refresh()
                await self.check_alerts()
            except Exception as error:  # keep the last good set; try again later
                _log.warning("budget_refresh_failed", error=repr(error))

    async def check_alerts(self) -> None:
        """Fire thresholds crossed between settlements (vLLM hours accrue; a failed alert)."""
        spent = {s.budget.name: s.spent_nanos for s in await self.statuses()}  # cold: seeded
        entries = entries_of(self._by_scope, list(self._by_scope), self._wall())
        await self._alerts.fire(entries, {e.key: spent.get(e.budget.name, 0) for e in entries})

    # ----- admin -------------------------------------------------------------

    async def upsert(self, budget: Budget, etag: str = "") -> str:
        """Create or replace through the admin plane; returns the new etag."""
        stored = await self._store.upsert(budget, etag=etag, origin=ORIGIN_ADMIN)
        await self.refresh()
        return stored.etag

    async def delete(self, name: str) -> bool:
        deleted = await self._store.delete(name)
        await self.refresh()
        return deleted

    @property
    def active(self) -> bool:
        """Whether any budget exists; the request path skips reserving if not."""
        return bool(self._by_scope)

    def budgets(self) -> list[Budget]:
        return sorted((b for found in self._by_scope.values() for b in found), key=lambda b: b.name)

    # ----- request path ------------------------------------------------------

    async def reserve(self, scopes: Sequence[BudgetScope], amount_nanos: int) -> Reservation:
        """Reserve ``amount_nanos`` on every budget of ``scopes`` atomically, or
        raise ``BudgetExhaustedError`` if a hard one is at 100 %."""
        if not self._by_scope:
            return Reservation(amount_nanos)
        now = self._wall()
        plan = self._plans.plan(scopes, now)
        if plan is None:
            return Reservation(amount_nanos)
        if self._local is not None:  # in place; a cold counter takes the seeding path
            outcome = self._local.reserve_now(plan.items, amount_nanos)
            if not outcome.cold:
                return self._reserved(plan, outcome, amount_nanos)
        for _attempt in range(_SEED_ATTEMPTS):
            try:
                outcome = await self._counters.reserve(plan.items, amount_nanos)
                if outcome.cold:
                    by_key = plan.by_key
                    await asyncio.gather(*(self._seed(by_key[key], now) for key in outcome.cold))
                    continue
            except Exception as exc:  # counters or ledger unreachable: fail closed, retryable
                _log.warning("budget_counters_unavailable", error=type(exc).__name__)
                raise GatewayOverloadedError(
                    "Budget counters are unavailable; retry shortly.", retry_after=1.0
                ) from exc
            return self._reserved(plan, outcome, amount_nanos)
        raise RuntimeError("budget counters stayed cold after seeding")

    def _reserved(
        self, plan: BudgetPlan, outcome: ReserveOutcome, amount_nanos: int
    ) -> Reservation:
        """Remember the counters; the reservation, or the hard budget's refusal."""
        self._remember(plan.by_key, outcome.values)
        if outcome.refused is not None:
            raise self._exhausted(plan.by_key[outcome.refused], outcome.values[outcome.refused])
        return Reservation(amount_nanos, plan.entries)

    async def settle(self, reservation: Reservation, actual_nanos: int) -> None:
        """Replace the reservation by ``actual_nanos`` of spend, once. Shielded:
        a caller cancelled mid-settle does not lose the settlement. In-process
        counters settle in place (no ``await``, so nothing to cancel); a task
        is started only for I/O (Redis counters, a threshold alert to fire)."""
        if not reservation.settled:
            if not reservation.entries:
                reservation._settled = True
                return
            if self._local is not None:
                keys = [e.key for e in reservation.entries]
                spent = self._local.settle_now(keys, reservation.amount_nanos, actual_nanos)
                self._note_spent(reservation, spent)
                reservation._settled = True
                if not self._alerts.due(reservation.entries, spent):
                    return
                reservation._settling = asyncio.create_task(
                    self._alert_safely(reservation.entries, spent)
                )
            else:
                reservation._settling = asyncio.create_task(
                    self._settle(reservation, actual_nanos)
                )
            self._track(reservation._settling)
        if reservation._settling is not None:
            await asyncio.shield(reservation._settling)

    async def release(self, reservation: Reservation) -> None:
        await self.settle(reservation, 0)

    async def _settle(self, reservation: Reservation, actual_nanos: int) -> None:
        keys = [e.key for e in reservation.entries]
        spent = await self._counters.settle(keys, reservation.amount_nanos, actual_nanos)
        self._note_spent(reservation, spent)
        await self._alert_safely(reservation.entries, spent)

    def _note_spent(self, reservation: Reservation, spent: Mapping[CounterKey, int]) -> None:
        """Last known counter values after a settlement (``pressure`` reads them)."""
        for entry in reservation.entries:
            if entry.key in spent:
                last = self._last.get(entry.budget.name)
                reserved = last[2].reserved if last and last[0] == entry.key.period_start else 0
                value = CounterValue(spent[entry.key], max(0, reserved - reservation.amount_nanos))
                self._last[entry.budget.name] = (entry.key.period_start, entry.reset, value)

    async def _alert_safely(
        self, entries: Sequence[_Entry], spent: Mapping[CounterKey, int]
    ) -> None:
        try:
            await self._alerts.fire(entries, spent)
        except Exception as error:  # alerts must never fail a request; retried next time
            _log.warning("budget_alert_failed", error=repr(error))

    def pressure(self, scopes: Iterable[BudgetScope]) -> float:
        """Highest percent used among SOFT/DOWNGRADE budgets of ``scopes``, from
        the last known counter values (no I/O; 0 when unknown)."""
        highest = 0.0
        now = self._wall()
        for scope in scopes:
            for budget in self._by_scope.get(scope, ()):
                if budget.enforcement is Enforcement.HARD:
                    continue
                last = self._last.get(budget.name)
                if last is None or (last[1] is not None and now >= last[1]):
                    continue
                highest = max(highest, percent(last[2].spent, budget.limit_nanos))
        return highest

    async def statuses(self) -> list[BudgetStatus]:
        now = self._wall()
        entries = entries_of(self._by_scope, list(self._by_scope), now)
        values = await self._counters.read([e.key for e in entries])
        cold = [e for e in entries if e.key not in values]
        if cold:
            await asyncio.gather(*(self._seed(e, now) for e in cold))
            values.update(await self._counters.read([e.key for e in cold]))
        result: list[BudgetStatus] = []
        for entry in sorted(entries, key=lambda e: e.budget.name):
            value = values.get(entry.key, CounterValue(0, 0))
            limit = entry.budget.limit_nanos
            alerts = await self._store.alerts(entry.budget.name, entry.key.period_start)
            result.append(
                BudgetStatus(
                    budget=entry.budget,
                    etag=self._etags.get(entry.budget.name, ""),
                    limit_nanos=limit,
                    spent_nanos=value.spent,
                    reserved_nanos=value.reserved,
                    remaining_nanos=max(0, limit - value.spent),
                    percent_used=percent(value.spent, limit),
                    period_start=float(entry.key.period_start),
                    reset_time=entry.reset,
                    alerts=tuple(alerts),
                )
            )
        return result

    # ----- internals ---------------------------------------------------------

    def _remember(
        self, by_key: Mapping[CounterKey, _Entry], values: Mapping[CounterKey, CounterValue]
    ) -> None:
        for key, value in values.items():
            entry = by_key[key]
            self._last[entry.budget.name] = (key.period_start, entry.reset, value)

    def _exhausted(self, entry: _Entry, value: CounterValue) -> BudgetExhaustedError:
        budget = entry.budget
        scope = budget.scope.label
        metadata = {
            "budget": budget.name,
            "limit": units(budget.limit_nanos),
            "spent": units(value.spent),
            "currencyCode": budget.currency,
            "scope": scope,
        }
        until = ""
        if entry.reset is not None:
            metadata["resetTime"] = rfc3339(entry.reset)
            until = f" until {metadata['resetTime']}"
        return BudgetExhaustedError(
            f"Budget {budget.name!r} of {scope} is exhausted{until}.", scope, metadata
        )

    async def _seed(self, entry: _Entry, now: float) -> None:
        """Seed one cold counter from the ledger; one ledger query per key in flight."""
        task = self._seeding.get(entry.key)
        if task is None:
            task = asyncio.create_task(self._seed_once(entry, now))
            self._seeding[entry.key] = task
            task.add_done_callback(lambda done: self._forget_seed(entry.key, done))
        await asyncio.shield(task)

    def _forget_seed(self, key: CounterKey, done: asyncio.Task[None]) -> None:
        if self._seeding.get(key) is done:
            del self._seeding[key]

    async def _seed_once(self, entry: _Entry, now: float) -> None:
        start = float(entry.key.period_start)
        spent = await self._spent_from_ledger(entry.budget.scope, start, entry.reset)
        ttl = 0.0 if entry.reset is None else entry.reset - now + self.TTL_MARGIN_SECONDS
        await self._counters.seed(entry.key, spent, ttl)
        _log.info("budget_counter_seeded", budget=entry.budget.name, spent_nanos=spent)

    def _track(self, task: asyncio.Task[None]) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)


__all__ = [
    "BudgetAlert",
    "BudgetGuard",
    "BudgetStatus",
    "ConfigBudgetChanges",
    "Reservation",
    "percent",
    "rfc3339",
    "severity_of",
    "units",
]
