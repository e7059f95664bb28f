"""Caller rate limits: requests, input and output tokens per minute, hour and
day, and a burst allowance, per key, tenant and end user; caps on concurrent
streams.

Three scopes, each with its own sliding-window counters (``limits`` library,
the same storage as the upstream key pools: in memory for one replica, Redis
when ``LLMGW_REDIS_URL`` is set, so a limit holds across replicas instead of
multiplying by them); which windows a ``LimitSet`` means is
``pipeline.limit_windows``:

* the API key (config ``rate_limits.keys[id]``, else ``rate_limits.key``; the
  key record's own ``rpm/input_tpm/output_tpm`` replace the per-minute ones);
* the tenant (config ``rate_limits.tenants[t]``, else ``rate_limits.tenant``);
* the end user within the tenant (config ``rate_limits.user``), when the
  request names one.

``admit`` runs before any upstream call: it *tests* every limit first and
*hits* them only when all pass, so a request refused by one limit consumes
nothing from the others. Output tokens are known only after the answer, so
``record_output`` counts them then; admission tests the output TPM for one
more token, so a caller over its output TPM is refused on its next request.

Race across replicas: test-then-hit is two steps, not one atomic script.
Requests admitted in the same instant (on any replica) can all pass the
tests before any hits. It stays bounded because each ``hit`` is itself an
atomic check-and-add in the ``limits`` storage (a Lua script on Redis): a
hit that would push its counter past the limit fails, and the request is
refused then. So no RPM/input-TPM counter ever exceeds its limit; what the
race costs is the other way round: a request refused at its second hit has
already consumed its first scope's capacity (at most one request's cost per
racing request, gone when the window slides). Output tokens are counted
after the answer, so output TPM can be exceeded by the answers in flight
when it fills (the next requests are then refused).

Counter store unreachable (Redis down): by default admission fails
*closed*: ``GatewayOverloadedError`` (``UNAVAILABLE`` + ``RetryInfo``), the
same answer as the budget counters give; with ``rate_limits.fail_open`` the
request is admitted unlimited instead. Either way the failure is logged
(``rate_limit_store_unavailable``, the exception type only) and counted
(``store_failures``). Counting output tokens after an answer always fails
open (the answer has been produced; refusing it would not undo the spend).

Fast path: a principal with no limits configured for any of its scopes costs
no I/O at all. A caller's windows and their storage keys are planned once
and cached (bounded; cleared on a configuration reload). With one replica the
counters are ``pipeline.window_counters.LocalWindowStorage``: the library's
sliding windows counted synchronously on the loop (no lock, no task per
call). When only one window applies, admission is its hit alone: the hit is
the atomic check-and-add, so a refusal still consumes nothing.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from llmgw.domain.clock import Clock
from llmgw.domain.errors import GatewayOverloadedError, RateLimitedError
from llmgw.domain.principal import Principal
from llmgw.observability.logging import get_logger
from llmgw.pipeline.limit_windows import DESCRIPTIONS, Counts, LimitSet, windows
from llmgw.pipeline.stream_slots import LocalSlots, StreamSlots

if TYPE_CHECKING:  # the ``limits`` library loads with the first limit that applies
    from limits import RateLimitItem
    from limits.aio.storage import Storage

    from llmgw.pipeline.window_counters import Counter, WindowCounters

_STREAM_RETRY_SECONDS = 1.0  # a slot frees when some stream ends: unknown, so a short hint
_MIN_RETRY_SECONDS = 0.01
_STORE_RETRY_SECONDS = 1.0
_MAX_PLANS = 4096  # cached callers' plans (end users are unbounded: cleared when full)
_log = get_logger("llmgw.ratelimit")


@dataclass(frozen=True, slots=True)
class CallerDefaults:
    """Limits from configuration (a key record's per-minute ones come from
    the ``Principal`` and replace ``key``'s)."""

    tenant: LimitSet = field(default_factory=LimitSet)
    user: LimitSet = field(default_factory=LimitSet)
    tenants: Mapping[str, LimitSet] = field(default_factory=dict)
    max_concurrent_streams: int = 0  # per tenant; 0 = no cap
    fail_open: bool = False  # counter store unreachable: admit (True) or UNAVAILABLE
    key: LimitSet = field(default_factory=LimitSet)
    keys: Mapping[str, LimitSet] = field(default_factory=dict)  # by key id


@dataclass(frozen=True, slots=True)
class _Scope:
    subject: str  # "apiKeys/k", "tenants/t", "tenants/t/users/u"
    limits: LimitSet


@dataclass(frozen=True, slots=True)
class _Planned:
    """One window of one scope as admission counts it."""

    counter: Counter
    counts: Counts
    subject: str  # "tenants/t:rpm" (errors)


@dataclass(frozen=True, slots=True)
class _Plan:
    """A caller's windows (``windows`` in scope order), cached per caller."""

    windows: tuple[_Planned, ...]
    output: tuple[_Planned, ...]  # the output-token windows among them


class StreamSlot:
    """One held stream slot (or several scopes' slots); ``release`` is idempotent."""

    def __init__(self, slots: StreamSlots, held: list[tuple[str, str]]) -> None:
        self._slots = slots
        self._held = held

    async def release(self) -> None:
        held, self._held = self._held, []
        for scope, token in held:
            await self._slots.release(scope, token)


class CallerLimits:
    """Admission by caller limits (see the module docstring for the contract)."""

    def __init__(
        self,
        storage: Storage | None,
        clock: Clock,
        defaults: CallerDefaults,
        slots: StreamSlots | None = None,
        prefix: str = "caller",
        epoch: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self._clock = clock
        # The ``limits`` library keys its windows by wall-clock epoch seconds
        # (reset times too); ``epoch`` is that clock here, injected for tests.
        self._epoch = epoch
        self._defaults = defaults
        self._slots: StreamSlots = slots or LocalSlots()
        self._prefix = prefix
        self._idle = True
        self._plans: dict[tuple[str, str, int, int, int, str], _Plan] = {}
        self._per_user = False
        self.store_failures = 0  # counter-store failures seen (either policy)
        self.set_defaults(defaults)

    @functools.cached_property
    def _limiter(self) -> WindowCounters:
        """The counters, built on first use: a gateway where no limit ever
        applies never imports the ``limits`` library (~2.4 MiB resident).
        One replica (no shared storage): counters kept synchronously on the loop."""
        from llmgw.pipeline.window_counters import LocalWindowStorage, WindowCounters

        return WindowCounters(self._storage or LocalWindowStorage())

    @property
    def defaults(self) -> CallerDefaults:
        return self._defaults

    def set_defaults(self, defaults: CallerDefaults) -> None:
        """Replace the configured limits (configuration reload). Counters are
        kept: a caller's requests in the current window still count."""
        self._defaults = defaults
        self._plans = {}
        self._per_user = defaults.user.any
        # No configured rate limit: only a principal's own can apply.
        self._idle = not (
            defaults.tenant.any
            or defaults.user.any
            or defaults.key.any
            or any(s.any for s in (*defaults.tenants.values(), *defaults.keys.values()))
        )

    def _key_limits(self, principal: Principal, key_id: str) -> LimitSet:
        """The key's configured limits with its record's per-minute ones on top."""
        limits = self._defaults.keys.get(key_id, self._defaults.key)
        own = {
            name: value
            for name, value in (
                ("rpm", principal.rpm),
                ("input_tpm", principal.input_tpm),
                ("output_tpm", principal.output_tpm),
            )
            if value
        }
        return replace(limits, **own) if own else limits

    def _scopes(self, principal: Principal, end_user: str) -> list[_Scope]:
        scopes: list[_Scope] = []
        key_id = principal.key_id or principal.subject
        key = self._key_limits(principal, key_id)
        if key.any:
            scopes.append(_Scope(f"apiKeys/{key_id}", key))
        tenant = self._defaults.tenants.get(principal.tenant, self._defaults.tenant)
        if tenant.any:
            scopes.append(_Scope(f"tenants/{principal.tenant}", tenant))
        if end_user and self._defaults.user.any:
            scopes.append(
                _Scope(f"tenants/{principal.tenant}/users/{end_user}", self._defaults.user)
            )
        return scopes

    def _plan(self, principal: Principal, end_user: str) -> _Plan | None:
        """The caller's windows and their storage keys, built once per caller
        (limits change only with the configuration or the key record, both in
        the cache key); ``None`` when no rate limit applies."""
        if self._idle and not (principal.rpm or principal.input_tpm or principal.output_tpm):
            return None
        user = end_user if self._per_user else ""  # the plan depends on it only then
        cache_key = (
            principal.key_id or principal.subject,
            principal.tenant,
            principal.rpm,
            principal.input_tpm,
            principal.output_tpm,
            user,
        )
        plan = self._plans.get(cache_key)
        if plan is None:
            planned = tuple(
                _Planned(
                    _counter(window.item, self._prefix, scope.subject, window.dimension),
                    window.counts,
                    f"{scope.subject}:{window.dimension}",
                )
                for scope in self._scopes(principal, user)
                for window in windows(scope.limits)
            )
            plan = _Plan(planned, tuple(w for w in planned if w.counts == "output"))
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()
            self._plans[cache_key] = plan
        return plan if plan.windows else None

    def applies(self, principal: Principal, end_user: str) -> bool:
        """Whether any rate limit or stream cap can apply (else skip, no I/O)."""
        return bool(
            principal.max_concurrent_streams
            or self._defaults.max_concurrent_streams
            or self._plan(principal, end_user)
        )

    def _store_failed(self, exc: Exception, fail_open: bool) -> None:
        """Log and count a counter-store failure; raise unless failing open."""
        self.store_failures += 1
        _log.warning("rate_limit_store_unavailable", error=type(exc).__name__, fail_open=fail_open)
        if not fail_open:
            raise GatewayOverloadedError(
                "Rate-limit counters are unavailable; retry shortly.",
                retry_after=_STORE_RETRY_SECONDS,
            ) from None

    async def admit(self, principal: Principal, end_user: str, input_tokens: int) -> bool:
        """``_admit`` under the store-failure policy (module docstring).
        Returns whether the caller's limits count output tokens: only then
        must ``record_output`` be given the answer's (else it has nothing to do)."""
        try:
            return await self._admit(principal, end_user, input_tokens)
        except RateLimitedError:
            raise
        except Exception as exc:
            self._store_failed(exc, self._defaults.fail_open)
            return True  # admitted open: still try to count the output

    async def _admit(self, principal: Principal, end_user: str, input_tokens: int) -> bool:
        """Count one request and its input tokens, or raise ``RateLimitedError``;
        returns whether any of the caller's windows counts output tokens.

        Every applicable limit is tested before any is hit: a refusal consumes
        nothing. The error names the limit that needs the longest wait
        (``"tenants/t:input_tph"``) and ``retry_after`` is that wait. With one
        window the hit is the test: it is an atomic check-and-add that counts
        nothing when it refuses.
        """
        plan = self._plan(principal, end_user)
        if plan is None:
            return False
        # Output tokens are counted after the answer: one more must fit (cost 0 here).
        tokens = max(1, input_tokens)
        if len(plan.windows) == 1:
            only = plan.windows[0]
            cost = _cost(only.counts, tokens)
            fits = await (
                self._limiter.hit(only.counter, cost)
                if cost
                else self._limiter.test(only.counter, 1)
            )
            if not fits:
                raise _limited(only.subject, await self._wait(only.counter))
            return bool(plan.output)
        worst: tuple[float, str] | None = None
        for window in plan.windows:
            if not await self._limiter.test(window.counter, max(1, _cost(window.counts, tokens))):
                wait = await self._wait(window.counter)
                if worst is None or wait > worst[0]:
                    worst = (wait, window.subject)
        if worst is not None:
            raise _limited(worst[1], worst[0])
        for window in plan.windows:
            # Each hit is an atomic check-and-add: a replica that won the race
            # meanwhile makes it fail, and the request is refused after all.
            cost = _cost(window.counts, tokens)
            if cost and not await self._limiter.hit(window.counter, cost):
                raise _limited(window.subject, await self._wait(window.counter))
        return bool(plan.output)

    async def record_output(self, principal: Principal, end_user: str, output_tokens: int) -> None:
        """``_record_output``, failing open on a store failure (module docstring)."""
        try:
            await self._record_output(principal, end_user, output_tokens)
        except Exception as exc:
            self._store_failed(exc, True)

    async def _record_output(self, principal: Principal, end_user: str, output_tokens: int) -> None:
        """Count the output tokens an answer used against every output TPM.

        A counter cannot go past its limit in the ``limits`` library, so an
        answer bigger than what is left fills the window (the caller is then
        refused until it slides); the excess is not carried into later windows.
        """
        if output_tokens <= 0:
            return
        plan = self._plan(principal, end_user)
        if plan is not None:
            for window in plan.output:
                await self._count_output(window.counter, output_tokens)

    async def _count_output(self, counter: Counter, tokens: int) -> None:
        for _ in range(3):  # another replica may take capacity in between
            remaining = (await self._limiter.get_window_stats(counter)).remaining
            cost = min(tokens, remaining)
            if cost <= 0 or await self._limiter.hit(counter, cost):
                return

    async def acquire_stream_slot(self, principal: Principal) -> StreamSlot:
        """``_acquire_stream_slot`` under the store-failure policy (failing
        open holds no slot)."""
        try:
            return await self._acquire_stream_slot(principal)
        except RateLimitedError:
            raise
        except Exception as exc:
            self._store_failed(exc, self._defaults.fail_open)
            return StreamSlot(self._slots, [])

    async def _acquire_stream_slot(self, principal: Principal) -> StreamSlot:
        """Take a slot of the tenant's (and the key's) concurrent-stream cap, or
        raise ``RateLimitedError``; the caller must ``release`` it when the
        stream ends, however it ends."""
        caps: list[tuple[str, int]] = []
        if principal.max_concurrent_streams:
            key = principal.key_id or principal.subject
            caps.append((f"apiKeys/{key}", principal.max_concurrent_streams))
        if self._defaults.max_concurrent_streams:
            caps.append((f"tenants/{principal.tenant}", self._defaults.max_concurrent_streams))
        slot = StreamSlot(self._slots, [])
        for scope, cap in caps:
            token = await self._slots.acquire(scope, cap)
            if token is None:
                await slot.release()
                raise _limited(f"{scope}:concurrent_streams", _STREAM_RETRY_SECONDS)
            slot._held.append((scope, token))
        return slot

    async def _wait(self, counter: Counter) -> float:
        stats = await self._limiter.get_window_stats(counter)
        return max(_MIN_RETRY_SECONDS, stats.reset_time - self._epoch())


def _cost(counts: Counts, input_tokens: int) -> int:
    """What one admission adds to a window counting ``counts``."""
    return 1 if counts == "requests" else input_tokens if counts == "input" else 0


def _limited(subject: str, retry_after: float) -> RateLimitedError:
    scope, _, dimension = subject.rpartition(":")
    what = DESCRIPTIONS[dimension]
    return RateLimitedError(
        f"Rate limit of {scope} exceeded ({what}); retry after {retry_after:.1f} s.",
        retry_after=retry_after,
        subject=subject,
        metadata={"limit": dimension, "subject": scope, "retryAfterSeconds": f"{retry_after:.3f}"},
    )


def _counter(item: RateLimitItem, *ids: str) -> Counter:
    from llmgw.pipeline.window_counters import Counter

    return Counter.of(item, *ids)


__all__ = ["CallerDefaults", "CallerLimits", "LimitSet", "StreamSlot"]
