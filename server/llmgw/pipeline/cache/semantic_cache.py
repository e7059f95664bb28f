"""The semantic cache: the in-process index kept in step with the shared store.

``lookup`` and ``store`` work on this replica's ``SemanticIndex``; with a
shared store (PostgreSQL), ``store`` also appends the entry there and a sync
task polls the table every ``sync_seconds`` for entries other replicas added
(an incremental poll on the primary key: one indexed range read per
interval, whatever the traffic), and a lookup catches up before searching,
so an answer cached on any replica is a hit on every other at once.

``context_key`` and ``last_user_text`` say what a semantic match compares:
the last user turn's text (embedded), within a partition of requests that
are otherwise identical.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable

import numpy as np

from llmgw.domain.messages import Role
from llmgw.domain.requests import ChatRequest
from llmgw.observability.logging import get_logger
from llmgw.pipeline.cache.semantic import Match, SemanticIndex, Vector
from llmgw.storage.semantic_entries import SemanticEntryStore

log = get_logger("llmgw.cache")


def last_user_text(request: ChatRequest) -> str:
    """The text of the last message when it is a user turn ("" otherwise)."""
    if not request.messages or request.messages[-1].role is not Role.USER:
        return ""
    return request.messages[-1].text


def context_key(scope: str, request: ChatRequest) -> str:
    """Everything that must be identical for a semantic match: the request
    without its last user turn (model, system prompt, earlier turns,
    generation config, tools)."""
    r = request
    what = (r.model, r.messages[:-1], r.generation, r.tools, r.tool_choice)
    return hashlib.blake2b(f"{scope}\x1f{what!r}".encode(), digest_size=20).hexdigest()


class SemanticCache:
    def __init__(
        self,
        index: SemanticIndex,
        shared: SemanticEntryStore | None = None,
        sync_seconds: float = 0.2,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.index = index
        self.shared = shared
        self._sync_seconds = sync_seconds
        self._wall = wall
        self._last_id = 0
        self._own: set[int] = set()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.shared is not None and self._task is None:
            await self.sync()
            self._task = asyncio.create_task(self._follow())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self._sync_seconds)
            try:
                await self.sync()
            except Exception as error:  # the store is down: retry next interval
                log.warning("semantic cache sync failed", error=type(error).__name__)

    async def sync(self) -> int:
        """Add the entries other replicas stored since the last sync."""
        assert self.shared is not None
        added = 0
        while True:
            entries = await self.shared.since(self._last_id, self._wall())
            for e in entries:
                self._last_id = max(self._last_id, e.id)
                if e.id in self._own:
                    self._own.discard(e.id)
                    continue
                vector = np.frombuffer(e.vector, dtype="<f4").astype(np.float32)
                self.index.add(e.scope, e.partition, vector, e.answer, e.expires_at)
                added += 1
            if len(entries) < 1000:
                return added

    async def lookup(
        self, scope: str, partition: str, vector: Vector, threshold: float
    ) -> Match | None:
        """The nearest live entry at ``threshold`` or above. With a shared
        store, catch up with it first (one indexed range read; the lookup
        already waited for an embedding call, so this is cheap by comparison):
        an answer another replica stored is a hit at once, not after a poll."""
        if self.shared is not None:
            try:
                await self.sync()
            except Exception as error:  # serve from what this replica has
                log.warning("semantic cache sync failed", error=type(error).__name__)
        return self.index.search(scope, partition, vector, threshold)

    async def store(
        self, scope: str, partition: str, vector: Vector, data: bytes, expires_at: float
    ) -> None:
        self.index.add(scope, partition, vector, data, expires_at)
        if self.shared is not None:
            raw = vector.astype("<f4").tobytes()
            try:
                self._own.add(await self.shared.add(scope, partition, raw, data, expires_at))
            except Exception as error:  # kept locally; the answer stands
                log.warning("semantic cache store failed", error=type(error).__name__)

    async def purge(self, scope: str) -> int:
        removed = self.index.purge(scope)
        if self.shared is not None:
            removed = max(removed, await self.shared.purge(scope))
        return removed


__all__ = ["SemanticCache", "context_key", "last_user_text"]
