"""Caller rate limits: RPM, input TPM and output TPM per key, tenant and end user,
and caps on concurrent streams.

Three scopes, each with its own sliding-window counters (``limits`` library,
the same storage as the upstream key pools: in memory for one replica, Redis
when ``LLMGW_REDIS_URL`` is set, so a limit holds across replicas instead of
multiplying by them):

* the API key (``Principal.rpm/input_tpm/output_tpm``, from the key record);
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

Fast path: a principal with no limits configured for any of its scopes costs
no I/O at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from llmgw.domain.clock import Clock
from llmgw.domain.errors import RateLimitedError
from llmgw.domain.principal import Principal
from llmgw.pipeline.stream_slots import LocalSlots, StreamSlots

_STREAM_RETRY_SECONDS = 1.0  # a slot frees when some stream ends: unknown, so a short hint
_MIN_RETRY_SECONDS = 0.01


@dataclass(frozen=True, slots=True)
class LimitSet:
    """Requests and tokens per minute; 0 = unlimited."""

    rpm: int = 0
    input_tpm: int = 0
    output_tpm: int = 0

    @property
    def any(self) -> bool:
        return bool(self.rpm or self.input_tpm or self.output_tpm)


@dataclass(frozen=True, slots=True)
class CallerDefaults:
    """Limits from configuration (the key's own come from the ``Principal``)."""

    tenant: LimitSet = LimitSet()
    user: LimitSet = LimitSet()
    tenants: Mapping[str, LimitSet] = field(default_factory=dict)
    max_concurrent_streams: int = 0  # per tenant; 0 = no cap


@dataclass(frozen=True, slots=True)
class _Scope:
    subject: str  # "apiKeys/k", "tenants/t", "tenants/t/users/u"
    limits: LimitSet


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
        self._limiter = SlidingWindowCounterRateLimiter(storage or MemoryStorage())
        self._clock = clock
        # The ``limits`` library keys its windows by wall-clock epoch seconds
        # (reset times too); ``epoch`` is that clock here, injected for tests.
        self._epoch = epoch
        self._defaults = defaults
        self._slots: StreamSlots = slots or LocalSlots()
        self._prefix = prefix
        self._items: dict[int, RateLimitItem] = {}
        self._idle = True
        self.set_defaults(defaults)

    @property
    def defaults(self) -> CallerDefaults:
        return self._defaults

    def set_defaults(self, defaults: CallerDefaults) -> None:
        """Replace the configured limits (configuration reload). Counters are
        kept: a caller's requests in the current window still count."""
        self._defaults = defaults
        # No configured rate limit: only a principal's own can apply.
        self._idle = not (
            defaults.tenant.any
            or defaults.user.any
            or any(s.any for s in defaults.tenants.values())
        )

    def _scopes(self, principal: Principal, end_user: str) -> list[_Scope]:
        if self._idle and not (principal.rpm or principal.input_tpm or principal.output_tpm):
            return []
        scopes: list[_Scope] = []
        key = LimitSet(principal.rpm, principal.input_tpm, principal.output_tpm)
        if key.any:
            scopes.append(_Scope(f"apiKeys/{principal.key_id or principal.subject}", key))
        tenant = self._defaults.tenants.get(principal.tenant, self._defaults.tenant)
        if tenant.any:
            scopes.append(_Scope(f"tenants/{principal.tenant}", tenant))
        if end_user and self._defaults.user.any:
            scopes.append(
                _Scope(f"tenants/{principal.tenant}/users/{end_user}", self._defaults.user)
            )
        return scopes

    def _item(self, amount: int) -> RateLimitItem:
        item = self._items.get(amount)
        if item is None:
            item = self._items[amount] = RateLimitItemPerMinute(amount)
        return item

    def applies(self, principal: Principal, end_user: str) -> bool:
        """Whether any rate limit or stream cap can apply (else skip, no I/O)."""
        return bool(
            principal.max_concurrent_streams
            or self._defaults.max_concurrent_streams
            or self._scopes(principal, end_user)
        )

    async def admit(self, principal: Principal, end_user: str, input_tokens: int) -> None:
        """Count one request and its input tokens, or raise ``RateLimitedError``.

        Every applicable limit is tested before any is hit: a refusal consumes
        nothing. The error names the limit that needs the longest wait
        (``"tenants/t:input_tpm"``) and ``retry_after`` is that wait.
        """
        scopes = self._scopes(principal, end_user)
        if not scopes:
            return
        tokens = max(1, input_tokens)
        planned: list[tuple[RateLimitItem, tuple[str, ...], int, str]] = []
        for scope in scopes:
            for dimension, amount, cost in (
                ("rpm", scope.limits.rpm, 1),
                ("input_tpm", scope.limits.input_tpm, tokens),
                # Output tokens are counted after the answer; one more must fit.
                ("output_tpm", scope.limits.output_tpm, 0),
            ):
                if amount:
                    ids: tuple[str, ...] = (self._prefix, scope.subject, dimension)
                    planned.append((self._item(amount), ids, cost, f"{scope.subject}:{dimension}"))
        worst: tuple[float, str] | None = None
        for item, ids, cost, subject in planned:
            if not await self._limiter.test(item, *ids, cost=max(1, cost)):
                wait = await self._wait(item, ids)
                if worst is None or wait > worst[0]:
                    worst = (wait, subject)
        if worst is not None:
            raise _limited(worst[1], worst[0])
        for item, ids, cost, subject in planned:
            # Each hit is an atomic check-and-add: a replica that won the race
            # meanwhile makes it fail, and the request is refused after all.
            if cost and not await self._limiter.hit(item, *ids, cost=cost):
                raise _limited(subject, await self._wait(item, ids))

    async def record_output(self, principal: Principal, end_user: str, output_tokens: int) -> None:
        """Count the output tokens an answer used against every output TPM.

        A counter cannot go past its limit in the ``limits`` library, so an
        answer bigger than what is left fills the window (the caller is then
        refused until it slides); the excess is not carried into later windows.
        """
        if output_tokens <= 0:
            return
        for scope in self._scopes(principal, end_user):
            if scope.limits.output_tpm:
                item = self._item(scope.limits.output_tpm)
                ids = (self._prefix, scope.subject, "output_tpm")
                for _ in range(3):  # another replica may take capacity in between
                    remaining = (await self._limiter.get_window_stats(item, *ids)).remaining
                    cost = min(output_tokens, remaining)
                    if cost <= 0 or await self._limiter.hit(item, *ids, cost=cost):
                        break

    async def acquire_stream_slot(self, principal: Principal) -> StreamSlot:
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

    async def _wait(self, item: RateLimitItem, ids: tuple[str, ...]) -> float:
        stats = await self._limiter.get_window_stats(item, *ids)
        return max(_MIN_RETRY_SECONDS, stats.reset_time - self._epoch())


def _limited(subject: str, retry_after: float) -> RateLimitedError:
    scope, _, dimension = subject.rpartition(":")
    what = {
        "rpm": "requests per minute",
        "input_tpm": "input tokens per minute",
        "output_tpm": "output tokens per minute",
        "concurrent_streams": "concurrent streams",
    }[dimension]
    return RateLimitedError(
        f"Rate limit of {scope} exceeded ({what}); retry after {retry_after:.1f} s.",
        retry_after=retry_after,
        subject=subject,
        metadata={"limit": dimension, "subject": scope, "retryAfterSeconds": f"{retry_after:.3f}"},
    )


__all__ = ["CallerDefaults", "CallerLimits", "LimitSet", "StreamSlot"]
