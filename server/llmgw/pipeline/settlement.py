"""Per-request accounting: reserve at admission, a ledger row per attempt, settle once.

The contract (ARCHITECTURE "Cost, budgets and nothing lost"):

* ``Accountant.open`` reserves an upper bound on every budget scope that
  applies (estimated input tokens x input price + max output tokens x output
  price, the dearest target of the plan), atomically, before any upstream
  call; a hard budget at 100 % raises ``BudgetExhaustedError`` there;
* each upstream attempt adds one ``LedgerRow`` to the ``Tab``: successes with
  the provider's usage and the central ``PriceBook`` cost, failures with zero
  tokens, cancelled or truncated streams with what was produced;
* ``Tab.close`` runs exactly once (success, error, cancellation, end of
  stream): it commits the rows to the ledger (durable locally before the
  caller sees the final status) and settles the reservation to the actual
  charge. It is shielded from a second cancellation so a caller that goes
  away cannot skip the bill.

An unpriced model's attempt is charged its share of the reservation (its
true cost is unknown; it is never silently free).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Generator, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from llmgw.accounting.ledger.port import Ledger
from llmgw.accounting.pricing import PriceBook
from llmgw.domain.budgets import BudgetScope, scopes_of
from llmgw.domain.clock import Clock, SystemClock
from llmgw.domain.generation import Usage
from llmgw.domain.ids import new_id
from llmgw.domain.ledger import AttemptStatus, LedgerRow, UsageSource
from llmgw.domain.models import ModelInfo, Target
from llmgw.domain.money import Cost, decimal_to_nanos
from llmgw.domain.requests import Attribution
from llmgw.pipeline.fingerprint import current_fingerprint

_MILLION = Decimal(1_000_000)
_MAX_SCOPE_SETS = 4096


class BudgetPort(Protocol):
    """What the accountant needs of the budget guard (``pipeline.budget``)."""

    async def reserve(self, scopes: Sequence[BudgetScope], amount_nanos: int) -> Any: ...

    async def settle(self, reservation: Any, actual_nanos: int) -> None: ...

    def pressure(self, scopes: Iterable[BudgetScope]) -> float: ...

    @property
    def active(self) -> bool:
        """Whether any budget exists (else the request path skips reserving)."""


@dataclass(frozen=True, slots=True)
class AccountingSettings:
    """Upper-bound inputs: output tokens assumed when neither the request nor
    the model caps them, and the reservation of an unpriced model."""

    default_max_output_tokens: int = 4096
    unpriced_reservation_nanos: int = 10_000_000  # 0.01 USD


class Accountant:
    """Opens a ``Tab`` per request; holds the ledger and the budget guard."""

    def __init__(
        self,
        prices: PriceBook,
        ledger: Ledger | None = None,
        budgets: BudgetPort | None = None,
        settings: AccountingSettings | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._prices = prices
        self.clock: Clock = clock or SystemClock()  # attempts' latency (same clock as theirs)
        self.ledger = ledger
        self.budgets = budgets
        self._settings = settings or AccountingSettings()
        # (tenant, project, end user, key id) -> its budget scopes: one tuple
        # per caller shape, so the budget plans find it by identity (no hashing
        # of scopes per call). Bounded: cleared at ``_MAX_SCOPE_SETS``.
        self._scope_sets: dict[tuple[str, str, str, str], tuple[BudgetScope, ...]] = {}

    def upper_bound(
        self, targets: Sequence[Target], input_tokens: int, max_output_tokens: int | None
    ) -> int:
        """Nanos the dearest target could cost for this request."""
        worst = 0
        for target in targets:
            worst = max(worst, self._bound(target.model, input_tokens, max_output_tokens))
        return worst

    def _bound(self, model: ModelInfo, input_tokens: int, max_output_tokens: int | None) -> int:
        price = self._prices.price(model)
        if price is None:
            return self._settings.unpriced_reservation_nanos
        output = max_output_tokens or model.max_output_tokens
        output = output or self._settings.default_max_output_tokens
        amount = (input_tokens * price.input_per_mtok + output * price.output_per_mtok) / _MILLION
        return decimal_to_nanos(amount)

    @property
    def default_max_output_tokens(self) -> int:
        """Output tokens a reservation assumes when neither request nor model caps them."""
        return self._settings.default_max_output_tokens

    def pressure(self, attribution: Attribution) -> float:
        """Highest percent used of the soft budgets this request counts toward."""
        if self.budgets is None:
            return 0.0
        return self.budgets.pressure(self._scopes(attribution))

    def _scopes(self, attribution: Attribution) -> tuple[BudgetScope, ...]:
        """Every budget scope of ``attribution`` (``domain.budgets.scopes_of``),
        the same tuple for the same caller."""
        a = attribution
        key = (a.tenant, a.project, a.end_user_id, a.key_id)
        scopes = self._scope_sets.get(key)
        if scopes is None:
            if len(self._scope_sets) >= _MAX_SCOPE_SETS:
                self._scope_sets.clear()
            scopes = self._scope_sets[key] = scopes_of(*key)
        return scopes

    async def open(self, request_id: str, attribution: Attribution, reserve_nanos: int) -> Tab:
        """Reserve ``reserve_nanos`` on every scope (raises when a hard budget
        is spent) and return the request's tab."""
        reservation = None
        if self.budgets is not None and self.budgets.active:
            reservation = await self.budgets.reserve(self._scopes(attribution), reserve_nanos)
        return Tab(self, request_id, attribution, reservation, reserve_nanos)

    def cost(self, model: ModelInfo, usage: Usage, estimated: bool = False) -> Cost:
        return self._prices.cost(model, usage, estimated=estimated)


class Tab:
    """One request's attempts and reservation; ``close`` bills them once."""

    __slots__ = (
        "_accountant",
        "_attribution",
        "_closed",
        "_reservation",
        "_reserved",
        "request_id",
        "rows",
    )

    def __init__(
        self,
        accountant: Accountant,
        request_id: str,
        attribution: Attribution,
        reservation: object,
        reserved: int,
    ) -> None:
        self._accountant = accountant
        self.request_id = request_id
        self._attribution = attribution
        self._reservation = reservation
        self._reserved = reserved
        self._closed = False
        self.rows: list[LedgerRow] = []

    def add(
        self,
        target: Target,
        status: AttemptStatus,
        started: float,
        usage: Usage | None = None,
        cost: Cost | None = None,
        *,
        estimated: bool = False,
        upstream_key_id: str = "",
    ) -> LedgerRow:
        """Record one attempt (``started`` is the accountant clock's ``now()`` at its start)."""
        usage = usage or Usage()
        if cost is None:
            cost = self._accountant.cost(target.model, usage, estimated)
        charged = cost.total_nanos if cost.priced else self._reserved
        if not cost.priced and status is AttemptStatus.ERROR:
            charged = 0  # nothing was produced by a failed attempt
        a = self._attribution
        row = LedgerRow(
            attempt_id=new_id(),
            request_id=self.request_id,
            created_at=time.time(),
            tenant=a.tenant,
            project=a.project,
            end_user=a.end_user_id,
            alias=target.alias,
            backend=target.backend,
            model=target.model.id,
            status=status,
            principal=a.principal,
            key_id=a.key_id,
            upstream_key_id=upstream_key_id,
            labels=a.labels,
            input_tokens=usage.input_tokens,
            cached_input_tokens=usage.cached_input_tokens,
            output_tokens=usage.output_tokens,
            cost_nanos=cost.total_nanos,
            charged_nanos=charged,
            currency=cost.currency,
            priced=cost.priced,
            price_version=cost.pricing_version,
            usage_source=UsageSource.ESTIMATED if estimated else UsageSource.PROVIDER,
            latency_ms=int((self._accountant.clock.now() - started) * 1000),
            fingerprint=current_fingerprint(),
        )
        self.rows.append(row)
        return row

    @property
    def output_tokens(self) -> int:
        """Output tokens of every attempt so far (what output rate limits count)."""
        return sum(row.output_tokens for row in self.rows)

    @property
    def reserving(self) -> bool:
        """Whether a budget reservation backs this call (its output cap is sent)."""
        return self._reservation is not None

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Commit the rows and settle the reservation; once, even if cancelled.

        The bill runs in place up to its first wait: with the journal ledger
        and in-process budget counters it has none, so it is done before a
        cancellation could reach it, and costs no task. From a wait on it
        carries on in a shielded task, so a caller that goes away cannot
        interrupt it."""
        if self._closed:
            return
        self._closed = True
        if self._accountant.ledger is None and self._reservation is None:
            return
        rest = run_until_waiting(self._bill())
        if rest is not None:
            await asyncio.shield(rest)

    async def _bill(self) -> None:
        accountant = self._accountant
        try:
            if accountant.ledger is not None:
                for row in self.rows:
                    await accountant.ledger.record(row)
        finally:
            if accountant.budgets is not None and self._reservation is not None:
                actual = sum(row.charged_nanos for row in self.rows)
                await accountant.budgets.settle(self._reservation, actual)


def run_until_waiting(coro: Coroutine[Any, Any, None]) -> asyncio.Future[None] | None:
    """Run ``coro`` now, up to its first suspension: ``None`` when it finished
    without one; else a task that carries it on from that suspension (with
    its result or exception), as Python 3.12's eager tasks do."""
    try:
        waiting = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_Resumed(coro, waiting).finish())


class _Resumed:
    """A coroutine suspended on ``waiting``, driven on by the task awaiting
    this: what the task yields and throws goes to the coroutine, as a task's
    own step would pass it."""

    __slots__ = ("_coro", "_waiting")

    def __init__(self, coro: Coroutine[Any, Any, None], waiting: Any) -> None:
        self._coro = coro
        self._waiting = waiting

    async def finish(self) -> None:
        await self

    def __await__(self) -> Generator[Any, Any, None]:
        coro, waiting = self._coro, self._waiting
        while True:
            try:
                try:
                    sent = yield waiting
                except BaseException as exc:  # thrown into the task (cancelled)
                    waiting = coro.throw(exc)
                else:
                    waiting = coro.send(sent)
            except StopIteration:
                return


def usage_or_estimate(
    usage: Usage, produced_chars: int, input_tokens: Callable[[], int]
) -> tuple[Usage, bool]:
    """The provider's usage, or, when it reported no tokens at all for an
    answer that has text (some OpenAI-compatible servers omit usage on
    streams), an estimate: never a silent zero cost. Returns (usage, estimated)."""
    if usage.input_tokens or usage.output_tokens or not produced_chars:
        return usage, False
    estimate = Usage(input_tokens=input_tokens(), output_tokens=-(-produced_chars // 4))
    return estimate, True


__all__ = ["Accountant", "AccountingSettings", "BudgetPort", "Tab", "usage_or_estimate"]
