"""The in-process tier of the response cache: an LRU bounded by bytes, with TTLs.

Entries are answers as objects (no encoding on the request path), each with
its size in bytes as the caller measured it (``codec.footprint``): the sum
of the sizes never exceeds ``max_bytes`` (an entry larger than the bound is
not stored). A get of an expired entry removes it; a put evicts least
recently used entries until the new one fits. Every operation is O(1) but
``purge`` (one admin call, O(entries)). ``now`` is injected (tests drive it).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple


class Entry(NamedTuple):
    scope: str
    value: Any
    size: int
    expires_at: float


class MemoryCache:
    def __init__(self, max_bytes: int, now: Callable[[], float] = time.time) -> None:
        self._max_bytes = max_bytes
        self._now = now
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self.bytes = 0
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._now():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry.value

    def put(self, key: str, scope: str, value: Any, size: int, ttl: float) -> None:
        if size > self._max_bytes:
            return
        if key in self._entries:
            self._drop(key)
        while self.bytes + size > self._max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)
            self.evictions += 1
        self._entries[key] = Entry(scope, value, size, self._now() + ttl)
        self.bytes += size

    def purge(self, scope: str) -> int:
        """Remove every entry of ``scope`` (``""``: all); returns how many."""
        doomed = [k for k, e in self._entries.items() if not scope or e.scope == scope]
        for key in doomed:
            self._drop(key)
        return len(doomed)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key)
        self.bytes -= entry.size


__all__ = ["MemoryCache"]
