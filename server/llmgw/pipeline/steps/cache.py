"""The exact response cache as a step (``pipeline.cache``).

``before`` (chat and streamed chat; the policy rules are ``cache.policy``):

==============================  ===============================================
effective mode                  this call
==============================  ===============================================
BYPASS (the default)            untouched (one dict lookup)
READ_WRITE, live entry no       answered from the cache: ``route.cache_hit``,
older than ``max_age``          zero cost, nothing reserved, no upstream call;
                                a stream replays as a stream
READ_WRITE exact miss, route     the last user turn embedded (a billed call
with a semantic cache           through the gateway); the nearest answer of an
                                otherwise identical request at the threshold
                                answers (``semantic_similarity`` set)
any other miss, or REFRESH      runs; ``after`` stores its answer (and its
                                embedding, on a semantic route)
==============================  ===============================================

The key is everything that determines the answer (``fingerprint.answer_key``)
within the scope. The step runs after the plan, admission and operator steps
(``stage``): a hit still counts against rate limits and passes policy.
``after``: a hit writes its ledger row (status ``cache_hit``, zero cost, the
original's tokens: what the cache saved); a miss stores the answer only when
it is complete (no error, a stream that reached its end, not stopped by the
caller's ``max_cost``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from llmgw.accounting.ledger.port import Ledger
from llmgw.domain.cache import CacheMode
from llmgw.domain.deadline import Deadline
from llmgw.domain.ledger import AttemptStatus
from llmgw.domain.principal import Principal
from llmgw.domain.requests import ChatRequest, EmbedRequest
from llmgw.observability.logging import get_logger
from llmgw.pipeline.cache.capture import as_chat, as_events, captured, complete
from llmgw.pipeline.cache.codec import Stored, decode, encode
from llmgw.pipeline.cache.fingerprint import answer_key
from llmgw.pipeline.cache.policy import CacheSettings, Pending, SemanticRoute, effective, scope_of
from llmgw.pipeline.cache.replay import ReplaySession
from llmgw.pipeline.cache.rows import free_row, zero
from llmgw.pipeline.cache.store import ResponseCache
from llmgw.pipeline.context import CallContext
from llmgw.pipeline.results import Completion, EmbedResult

if TYPE_CHECKING:  # numpy loads only with a semantic route (``cache/build.py``)
    from llmgw.pipeline.cache.semantic import Vector
    from llmgw.pipeline.cache.semantic_cache import SemanticCache

log = get_logger("llmgw.cache")


class Embedder(Protocol):
    async def embed(
        self, request: EmbedRequest, deadline: Deadline, principal: Principal
    ) -> EmbedResult: ...


class CacheStep:
    name = "cache"
    stage = "before-budget"  # after plan, admission and operator steps (``Gateway``)

    def __init__(
        self,
        cache: ResponseCache,
        settings: CacheSettings,
        ledger: Ledger | None = None,
        semantic: SemanticCache | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.cache = cache
        self.semantic = semantic
        self._settings = settings
        self._ledger = ledger
        self._wall = wall
        self._embedder: Embedder | None = None

    def bind(self, gateway: Embedder) -> None:
        """The gateway whose ``embed`` the semantic cache calls (billed)."""
        self._embedder = gateway

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
        reading = mode is CacheMode.READ_WRITE
        if reading and self._serve(ctx, await self.cache.get(scope, key), max_age):
            return
        probe = None
        if route.semantic is not None and self.semantic is not None:
            probe = await self._probe(ctx, request, scope, route.semantic)
            if probe is not None and reading:
                await self._nearest(ctx, scope, probe, route.semantic.threshold, max_age)
                if ctx.answered:
                    return
        ctx.cache_entry = Pending(scope, key, route.ttl_seconds, reading, probe)
        if ctx.streaming and ctx.transcript is None:
            ctx.transcript = []

    async def _nearest(
        self,
        ctx: CallContext,
        scope: str,
        probe: tuple[str, Vector],
        threshold: float,
        max_age: float | None,
    ) -> None:
        """Answer from the nearest semantic entry, when one is close enough."""
        assert self.semantic is not None
        match = await self.semantic.lookup(scope, probe[0], probe[1], threshold)
        if match is not None:
            self._serve(ctx, decode(match.data), max_age, match.similarity)

    def _serve(
        self,
        ctx: CallContext,
        stored: Stored | None,
        max_age: float | None,
        similarity: float | None = None,
    ) -> bool:
        """Answer from ``stored`` when it is young enough."""
        if stored is None or (max_age is not None and self._wall() - stored.created_at > max_age):
            return False
        self._answer(ctx, stored, similarity)
        return True

    async def _probe(
        self, ctx: CallContext, request: ChatRequest, scope: str, route: SemanticRoute
    ) -> tuple[str, Vector] | None:
        """(context key, embedding of the last user turn): one billed
        embedding call through the gateway; ``None`` when there is no user
        turn to compare or the call failed (the request then runs uncached)."""
        from llmgw.pipeline.cache.semantic import unit  # numpy: semantic routes only
        from llmgw.pipeline.cache.semantic_cache import context_key, last_user_text

        text = last_user_text(request)
        if not text or self._embedder is None or ctx.deadline is None:
            return None
        embed = EmbedRequest(
            route.embedding_model,
            (text,),
            dimensions=route.dimensions,
            attribution=ctx.attribution,
            request_id=ctx.request_id,
        )
        try:
            result = await self._embedder.embed(embed, ctx.deadline, ctx.principal)
        except Exception as error:
            log.warning("semantic cache embedding failed", error=type(error).__name__)
            return None
        return context_key(scope, request), unit(result.response.vectors[0])

    def _answer(self, ctx: CallContext, stored: Stored, similarity: float | None) -> None:
        route = dataclasses.replace(
            stored.route, failed_backends=(), cache_hit=True, semantic_similarity=similarity
        )
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
        if entry is None:
            return
        # Any caller of a shared flight stores it (the leader may have gone).
        stored = captured(ctx, self._wall, original=True)
        if stored is None:
            return
        response = as_chat(stored)
        if not complete(response):
            return
        scope, key, ttl, _, probe = entry
        now = self._wall()  # the entry's age (``max_age``) counts from here, on this clock
        kept = Stored(
            "chat",
            stored.response_id,
            now,
            stored.route,
            stored.cost,
            response,
            now + ttl,
        )
        await self.cache.put(scope, key, kept)
        if probe is not None and self.semantic is not None:
            await self.semantic.store(scope, probe[0], probe[1], encode(kept), now + ttl)

    async def purge(self, scope: str) -> int:
        """Drop the entries of ``scope`` (``policy.purge_scope``'s key), exact
        and semantic."""
        removed = await self.cache.purge(scope)
        if self.semantic is not None:
            removed += await self.semantic.purge(scope)
        return removed


__all__ = ["CacheStep"]
