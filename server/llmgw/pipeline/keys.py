"""Several API keys per backend: spread requests over the keys with capacity.

Each key may carry RPM, input-TPM and output-TPM limits and a model
allow-list. Requests go round-robin over the keys that allow the model, are
not cooling down after an upstream 429 (``retry-after``), are not marked bad
after a 401/403, and have capacity in their sliding windows. When no key
can take the request, ``KeysExhaustedError`` says when the earliest one
frees up, so the caller gets ``RESOURCE_EXHAUSTED`` + ``RetryInfo``.

Counters live in the ``limits`` library's storage: in memory for one
replica, Redis (``LLMGW_REDIS_URL``) for several, so the limits hold across
replicas instead of multiplying by them. Admission is check-then-hit per
limit, not one atomic step: concurrent replicas can overshoot a key's limit
by at most the requests admitted in the same instant; the upstream's own 429
then cools the key down.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from llmgw.domain.backends import ApiKey
from llmgw.domain.clock import Clock
from llmgw.domain.errors import FailureClass, UpstreamError

if TYPE_CHECKING:  # the ``limits`` library loads only when some key has limits
    from limits import RateLimitItem
    from limits.aio.storage import Storage
    from limits.aio.strategies import SlidingWindowCounterRateLimiter

BAD_KEY_SECONDS = 600.0  # a rejected key is left alone this long before a retry


class KeysExhaustedError(UpstreamError):
    """No key of the backend can take the request now (a gateway-side 429)."""

    def __init__(self, backend: str, retry_after: float, detail: str) -> None:
        super().__init__(backend, FailureClass.RATE_LIMIT, retry_after=retry_after, detail=detail)


class KeyPool:
    """The keys of one backend and their counters."""

    def __init__(
        self,
        backend: str,
        keys: Sequence[ApiKey],
        clock: Clock,
        storage: Storage | None = None,
        epoch: Callable[[], float] = time.time,  # the ``limits`` windows' wall clock
    ) -> None:
        self.backend = backend
        self._epoch = epoch
        self._keys = tuple(keys)
        self._clock = clock
        self._storage = storage
        self._next = 0
        self._cooling: dict[str, float] = {}  # key id -> monotonic time it may be used again
        # One unlimited key: nothing to balance, nothing to count (the hot path).
        self.trivial = len(self._keys) <= 1 and not any(k.limited for k in self._keys)

    @functools.cached_property
    def _limiter(self) -> SlidingWindowCounterRateLimiter:
        """Built on first use (a key with limits): a gateway whose keys have
        none never imports the ``limits`` library."""
        from limits.aio.storage import MemoryStorage
        from limits.aio.strategies import SlidingWindowCounterRateLimiter

        return SlidingWindowCounterRateLimiter(self._storage or MemoryStorage())

    @functools.cached_property
    def _items(self) -> dict[str, tuple[RateLimitItem | None, ...]]:
        """Per key: its RPM, input-TPM and output-TPM windows (``None``: unlimited)."""
        from limits import RateLimitItemPerMinute

        def item(amount: int) -> RateLimitItem | None:
            return RateLimitItemPerMinute(amount) if amount else None

        return {k.id: (item(k.rpm), item(k.input_tpm), item(k.output_tpm)) for k in self._keys}

    @property
    def keys(self) -> tuple[ApiKey, ...]:
        return self._keys

    async def acquire(
        self, model: str, input_tokens: int, exclude: frozenset[str] = frozenset()
    ) -> ApiKey | None:
        """A key for one request on ``model`` (its request and input tokens are
        counted); ``None`` when the backend has no keys at all (local engines)."""
        if not self._keys:
            return None
        if self.trivial and not exclude and not self._cooling:
            return self._keys[0]
        now = self._clock.now()
        earliest: float | None = None
        count = len(self._keys)
        for step in range(count):
            key = self._keys[(self._next + step) % count]
            if key.id in exclude or (key.models and model not in key.models):
                continue
            until = self._cooling.get(key.id, 0.0)
            if until > now:
                earliest = until - now if earliest is None else min(earliest, until - now)
                continue
            wait = await self._admit(key, input_tokens)
            if wait is None:
                self._next = (self._next + step + 1) % count
                return key
            earliest = wait if earliest is None else min(earliest, wait)
        raise KeysExhaustedError(
            self.backend,
            retry_after=earliest if earliest is not None else BAD_KEY_SECONDS,
            detail=f"no key of {self.backend} has capacity for {model}",
        )

    async def has_capacity(self, model: str, input_tokens: int) -> bool:
        """Whether some key could take a request on ``model`` now (nothing is
        counted: the route explanation asks, ``acquire`` takes)."""
        if self.trivial or not self._keys:
            return True
        now = self._clock.now()
        for key in self._keys:
            if (key.models and model not in key.models) or self._cooling.get(key.id, 0.0) > now:
                continue
            if await self._room(key, input_tokens):
                return True
        return False

    async def _room(self, key: ApiKey, input_tokens: int) -> bool:
        if not key.limited:
            return True
        rpm, input_tpm, output_tpm = self._items[key.id]
        for item, cost in ((rpm, 1), (input_tpm, max(1, input_tokens)), (output_tpm, 1)):
            if item is not None and not await self._limiter.test(
                item, self.backend, key.id, cost=cost
            ):
                return False
        return True

    async def _admit(self, key: ApiKey, input_tokens: int) -> float | None:
        """Count the request on ``key``; seconds until it has room if it has none."""
        if not key.limited:
            return None
        rpm, input_tpm, output_tpm = self._items[key.id]
        limiter = self._limiter
        checks = [(rpm, 1), (input_tpm, max(1, input_tokens)), (output_tpm, 1)]
        for item, cost in checks:
            if item is not None and not await limiter.test(item, self.backend, key.id, cost=cost):
                stats = await limiter.get_window_stats(item, self.backend, key.id)
                return max(0.01, stats.reset_time - self._epoch())
        if rpm is not None:
            await limiter.hit(rpm, self.backend, key.id)
        if input_tpm is not None:
            await limiter.hit(input_tpm, self.backend, key.id, cost=max(1, input_tokens))
        return None

    async def record_output(self, key: ApiKey, output_tokens: int) -> None:
        """Count the output tokens an answer actually used against the key's TPM."""
        if not key.limited:
            return
        item = self._items.get(key.id, (None, None, None))[2]
        if item is not None and output_tokens > 0:
            await self._limiter.hit(item, self.backend, key.id, cost=output_tokens)

    def cool_down(self, key: ApiKey, seconds: float) -> None:
        """The upstream said 429 for this key: leave it alone for ``seconds``."""
        self._cooling[key.id] = max(self._cooling.get(key.id, 0.0), self._clock.now() + seconds)

    def mark_bad(self, key: ApiKey) -> None:
        """The upstream rejected the key (401/403) or its quota is gone."""
        self.cool_down(key, BAD_KEY_SECONDS)


__all__ = ["BAD_KEY_SECONDS", "KeyPool", "KeysExhaustedError"]
