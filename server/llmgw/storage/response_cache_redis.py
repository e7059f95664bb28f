"""The shared tier of the response cache: encoded answers in Redis, with TTLs.

Keys are ``{prefix}rc:{scope digest}:{answer key}``, so a scope's entries
can be purged with one ``SCAN``/``DEL`` pass without knowing their keys.
Redis expires entries itself (``PX``); the memory tier in front of it keeps
hot entries local.
"""

from __future__ import annotations

import hashlib
from typing import Any


class RedisResponseCache:
    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def _scope(self, scope: str) -> str:
        return hashlib.blake2b(scope.encode(), digest_size=8).hexdigest()

    def _key(self, scope: str, key: str) -> str:
        return f"{self._prefix}rc:{self._scope(scope)}:{key}"

    async def get(self, scope: str, key: str) -> bytes | None:
        data = await self._client.get(self._key(scope, key))
        return bytes(data) if data is not None else None

    async def put(self, scope: str, key: str, data: bytes, ttl: float) -> None:
        await self._client.set(self._key(scope, key), data, px=max(1, int(ttl * 1000)))

    async def purge(self, scope: str) -> int:
        """Delete every entry of ``scope`` (``""``: all); returns how many."""
        pattern = f"{self._prefix}rc:{self._scope(scope) if scope else '*'}:*"
        removed = 0
        batch: list[Any] = []
        async for key in self._client.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                removed += await self._client.delete(*batch)
                batch = []
        if batch:
            removed += await self._client.delete(*batch)
        return int(removed)


__all__ = ["RedisResponseCache"]
