"""The response cache: the memory tier in front of an optional shared tier.

``get`` reads memory, then the shared tier (Redis), and keeps a shared hit
in memory for the rest of its TTL; ``put`` writes both. Memory holds
``Stored`` objects (nothing encoded or decoded on the local path); Redis
holds them encoded (``codec``); ``scope`` travels with every entry so
``purge(scope)`` can drop one tenant's (project's, key's) answers. The
shared tier being down makes a lookup a miss and a store local-only (logged),
never a failed call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from llmgw.observability.logging import get_logger
from llmgw.pipeline.cache.codec import Stored, decode, encode, footprint
from llmgw.pipeline.cache.memory import MemoryCache

log = get_logger("llmgw.cache")


class SharedTier(Protocol):
    async def get(self, scope: str, key: str) -> bytes | None: ...

    async def put(self, scope: str, key: str, data: bytes, ttl: float) -> None: ...

    async def purge(self, scope: str) -> int: ...


class ResponseCache:
    def __init__(
        self,
        memory: MemoryCache,
        shared: SharedTier | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.memory = memory
        self._shared = shared
        self._wall = wall

    async def get(self, scope: str, key: str) -> Stored | None:
        stored: Stored | None = self.memory.get(key)
        if stored is None and self._shared is not None:
            try:
                data = await self._shared.get(scope, key)
            except Exception as error:  # Redis away: a miss, not a failed call
                log.warning("shared response cache unavailable", error=type(error).__name__)
                return None
            if data is not None:
                stored = decode(data)
                # Keep it locally no longer than it was meant to live at all.
                ttl = max(0.001, stored.expires_at - self._wall())
                self.memory.put(key, scope, stored, len(data), ttl)
        return stored

    async def put(self, scope: str, key: str, stored: Stored) -> None:
        """Keep ``stored`` until its ``expires_at``; only the shared tier
        encodes it (the memory tier keeps the object and its footprint)."""
        ttl = stored.expires_at - self._wall()
        if ttl <= 0:
            return
        self.memory.put(key, scope, stored, footprint(stored), ttl)
        if self._shared is not None:
            try:
                await self._shared.put(scope, key, encode(stored), ttl)
            except Exception as error:  # kept locally; the answer stands
                log.warning("shared response cache unavailable", error=type(error).__name__)

    async def purge(self, scope: str) -> int:
        """Drop every entry of ``scope`` (``""``: every scope) in both tiers;
        returns how many (the larger of the two tiers' counts)."""
        removed = self.memory.purge(scope)
        if self._shared is not None:
            removed = max(removed, await self._shared.purge(scope))
        return removed


__all__ = ["ResponseCache", "SharedTier"]
