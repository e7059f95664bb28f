"""The exact response cache as a step (``pipeline.cache``).

``before`` (chat and streamed chat; the policy rules are ``cache.policy``):

==============================  ===============================================
effective mode                  this call
==============================  ===============================================
BYPASS (the default)            untouched (one dict lookup)
READ_WRITE, live entry no       answered from the cache: ``route.cache_hit``,
older than ``max_age``          zero cost, nothing reserved, no upstream call;
                                a stream replays as a stream
READ_WRITE miss, or REFRESH     runs; ``after`` stores its answer
==============================  ===============================================

The key is everything that determines the answer (``fingerprint.answer_key``)
within the scope. ``after``: a hit writes its ledger row (status
``cache_hit``, zero cost, the original's tokens: what the cache saved); a
miss stores the answer only when it is complete (no error, a stream that
reached its end, not stopped by the caller's ``max_cost``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from llmgw.accounting.ledger.port import Ledger
from llmgw.domain.cache import CacheMode
from llmgw.domain.ledger import AttemptStatus
from llmgw.domain.requests import ChatRequest
from llmgw.pipeline.cache.capture import as_chat, as_events, captured, complete
from llmgw.pipeline.cache.codec import Stored
from llmgw.pipeline.cache.fingerprint import answer_key
from llmgw.pipeline.cache.policy import CacheSettings, Pending, effective, scope_of
from llmgw.pipeline.cache.replay import ReplaySession
from llmgw.pipeline.cache.rows import free_row, zero
from llmgw.pipeline.cache.store import ResponseCache
from llmgw.pipeline.context import CallContext
from llmgw.pipeline.results import Completion


class CacheStep:
    name = "cache"

    def __init__(
        self,
        cache: ResponseCache,
        settings: CacheSettings,
        ledger: Ledger | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.cache = cache
        self._settings = settings
        self._ledger = ledger
        self._wall = wall

    async def before(self, ctx: CallContext) -> None:
        request = ctx.request
        if not isinstance(request, ChatRequest):  # embeddings are not cached
            return
        caller = request.routing.cache
        settings = self._settings
        route = settings.aliases.get(request.model, settings.default)
        if caller is None and route.mode is CacheMode.BYPASS:
            return
        mode, max_age = effective(route, caller)
        if mode is CacheMode.BYPASS or mode is CacheMode.UNSPECIFIED:
            return
        scope = scope_of(settings.scope, ctx.attribution)
        key = answer_key("chat", scope, request)
        if mode is CacheMode.READ_WRITE:
            stored = await self.cache.get(scope, key)
            if stored is not None and (
                max_age is None or self._wall() - stored.created_at <= max_age
            ):
                self._answer(ctx, stored)
                return
        ctx.cache_entry = Pending(scope, key, route.ttl_seconds, mode is CacheMode.READ_WRITE)
        if ctx.streaming and ctx.transcript is None:
            ctx.transcript = []

    def _answer(self, ctx: CallContext, stored: Stored) -> None:
        route = dataclasses.replace(stored.route, failed_backends=(), cache_hit=True)
        free = zero(stored.cost)
        response = as_chat(stored)
        ctx.created_at = self._wall()
        if ctx.streaming:
            events = as_events(response)
            ctx.answer = ReplaySession(
                ctx.response_id, ctx.request_id, route, free, events, ctx.created_at
            )
        else:
            ctx.answer = Completion(
                ctx.response_id, ctx.request_id, response, route, free, ctx.created_at
            )
        ctx.answered = True
        ctx.cache_hit = stored

    async def after(self, ctx: CallContext) -> None:
        hit: Stored | None = ctx.cache_hit
        if hit is not None:
            if self._ledger is not None:
                status, now = AttemptStatus.CACHE_HIT, self._wall()
                row = free_row(ctx, status, hit.route, hit.usage, hit.cost, now)
                await self._ledger.record(row)
            return
        entry = ctx.cache_entry
        if entry is None or ctx.coalesced:  # a follower's answer is the leader's to store
            return
        stored = captured(ctx, self._wall)
        if stored is None:
            return
        response = as_chat(stored)
        if not complete(response):
            return
        scope, key, ttl, _ = entry
        expires = self._wall() + ttl
        kept = Stored(
            "chat",
            stored.response_id,
            stored.created_at,
            stored.route,
            stored.cost,
            response,
            expires,
        )
        await self.cache.put(scope, key, kept)

    async def purge(self, scope: str) -> int:
        """Drop the entries of ``scope`` (``policy.purge_scope``'s key)."""
        return await self.cache.purge(scope)


__all__ = ["CacheStep"]
