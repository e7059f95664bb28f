"""The semantic cache's in-process index: nearest stored answer by cosine.

Entries live in partitions: (scope, context key), where the context key is
everything about the request but its last user turn (model, system prompt,
earlier turns, generation config, tools), so a hit is only ever a request
that is otherwise identical. Within a partition, vectors (unit length,
float32) sit in one contiguous numpy matrix; a search is one matrix-vector
product and an argmax (expired or evicted rows are masked out).

Bounded: at most ``max_entries`` live entries over all partitions, oldest
evicted first; a partition whose dead rows outnumber its live ones is
compacted. ``now`` is injected (tests drive it).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


class Match(NamedTuple):
    similarity: float
    data: bytes


def unit(values: object) -> Vector:
    """``values`` as a float32 unit vector (zero stays zero)."""
    vector = np.asarray(values, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


class _Partition:
    __slots__ = ("count", "data", "dead", "earliest", "expires", "vectors")

    def __init__(self, dimensions: int) -> None:
        self.vectors: Vector = np.zeros((8, dimensions), dtype=np.float32)
        self.expires = np.zeros(8, dtype=np.float64)  # 0: dead
        self.data: list[bytes | None] = [None] * 8
        self.count = 0
        self.dead = 0
        self.earliest = float("inf")  # the soonest expiry of any row added

    def add(self, vector: Vector, data: bytes, expires_at: float) -> int:
        if self.count == len(self.data):
            grow = len(self.data)
            self.vectors = np.concatenate([self.vectors, np.zeros_like(self.vectors)])
            self.expires = np.concatenate([self.expires, np.zeros(grow)])
            self.data.extend([None] * grow)
        slot = self.count
        self.vectors[slot] = vector
        self.expires[slot] = expires_at
        self.data[slot] = data
        self.count += 1
        self.earliest = min(self.earliest, expires_at)
        return slot

    def kill(self, slot: int) -> None:
        if self.expires[slot]:
            self.expires[slot] = 0.0
            self.data[slot] = None
            self.dead += 1

    def best(self, vector: Vector, now: float) -> tuple[float, int] | None:
        n = self.count
        if n == 0:
            return None
        scores = self.vectors[:n] @ vector
        if self.dead or now >= self.earliest:  # else every row is live: no mask
            scores[self.expires[:n] <= now] = -2.0
        slot = int(np.argmax(scores))
        score = float(scores[slot])
        return (score, slot) if score > -2.0 else None


class SemanticIndex:
    def __init__(self, max_entries: int, now: Callable[[], float] = time.time) -> None:
        self._max = max_entries
        self._now = now
        self._scopes: dict[str, dict[str, _Partition]] = {}
        self._order: deque[tuple[str, str, int]] = deque()  # (scope, partition, slot), oldest first
        self.live = 0

    def add(
        self, scope: str, partition: str, vector: Vector, data: bytes, expires_at: float
    ) -> None:
        if self._max <= 0:
            return
        parts = self._scopes.setdefault(scope, {})
        part = parts.get(partition)
        if part is None:
            part = parts[partition] = _Partition(len(vector))
        elif part.vectors.shape[1] != len(vector):
            return  # another embedding model's dimensions: not comparable
        slot = part.add(vector, data, expires_at)
        self._order.append((scope, partition, slot))
        self.live += 1
        while self.live > self._max:
            self._evict_oldest()

    def _evict_oldest(self) -> None:
        scope, partition, slot = self._order.popleft()
        part = self._scopes.get(scope, {}).get(partition)
        if part is not None and part.expires[slot]:
            part.kill(slot)
            self.live -= 1
            if part.dead * 2 > part.count:
                self._compact(scope, partition, part)

    def _compact(self, scope: str, partition: str, part: _Partition) -> None:
        """Rebuild a partition without its dead rows (slots in ``_order`` move)."""
        keep = [i for i in range(part.count) if part.expires[i]]
        fresh = _Partition(part.vectors.shape[1])
        moved = {}
        for old in keep:
            data = part.data[old]
            assert data is not None
            moved[old] = fresh.add(part.vectors[old], data, float(part.expires[old]))
        self._scopes[scope][partition] = fresh
        self._order = deque(
            (s, p, moved[i]) if (s, p) == (scope, partition) else (s, p, i)
            for s, p, i in self._order
            if (s, p) != (scope, partition) or i in moved
        )

    def search(self, scope: str, partition: str, vector: Vector, threshold: float) -> Match | None:
        part = self._scopes.get(scope, {}).get(partition)
        if part is None or part.vectors.shape[1] != len(vector):
            return None
        best = part.best(vector, self._now())
        if best is None or best[0] < threshold:
            return None
        data = part.data[best[1]]
        return Match(best[0], data) if data is not None else None

    def purge(self, scope: str) -> int:
        """Drop every entry of ``scope`` (``""``: all); returns how many."""
        doomed = list(self._scopes) if not scope else [scope] if scope in self._scopes else []
        removed = 0
        for name in doomed:
            for part in self._scopes.pop(name).values():
                removed += part.count - part.dead
        self._order = deque(e for e in self._order if e[0] in self._scopes)
        self.live -= removed
        return removed


__all__ = ["Match", "SemanticIndex", "Vector", "unit"]
