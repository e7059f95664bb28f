"""The steps that may answer a call from a stored answer, built from settings.

Composition only (``app`` calls it once at start-up): the idempotency step
on its store (Redis when ``redis_url`` is set and ``idempotency.store`` is
``auto``, else the state database: PostgreSQL with ``LLMGW_DATABASE_URL``,
else the embedded SQLite file), then the response-cache step (memory tier,
plus Redis when ``cache.shared``; the semantic index, shared through
PostgreSQL when the state database is PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from llmgw.accounting.ledger.port import Ledger
from llmgw.config import ConfigError, Settings
from llmgw.config.cache_schema import ResponseCacheConfig, RouteCacheConfig
from llmgw.domain.cache import CacheMode
from llmgw.domain.clock import Clock
from llmgw.pipeline.cache.memory import MemoryCache
from llmgw.pipeline.cache.policy import CacheSettings, RouteCache, Scope, SemanticRoute
from llmgw.pipeline.cache.store import ResponseCache
from llmgw.pipeline.chain import Step
from llmgw.pipeline.steps.cache import CacheStep
from llmgw.pipeline.steps.idempotency import IdempotencySettings, IdempotencyStep
from llmgw.storage.database import Database
from llmgw.storage.idempotency import IdempotencyStore, SqlIdempotencyStore
from llmgw.storage.idempotency_redis import RedisIdempotencyStore
from llmgw.storage.response_cache_redis import RedisResponseCache
from llmgw.storage.semantic_entries import SemanticEntryStore

if TYPE_CHECKING:  # redis is imported only when redis_url is set
    from redis.asyncio import Redis


def wall_clock(clock: Clock | None) -> Callable[[], float]:
    """Epoch seconds that move with the pipeline's clock: the system's wall
    clock in production; a test's driven clock moves it too (cache TTLs,
    ``max_age`` and idempotency windows then expire when the test says)."""
    if clock is None:
        return time.time
    wall0, now0, now = time.time(), clock.now(), clock.now
    return lambda: wall0 + (now() - now0)


async def answer_steps(
    settings: Settings,
    state_db: Database,
    stack: AsyncExitStack,
    ledger: Ledger | None,
    clock: Clock | None = None,
) -> tuple[Step, ...]:
    wall = wall_clock(clock)
    redis: Redis | None = None
    if settings.redis_url:
        from redis.asyncio import Redis  # here: redis loads only with redis_url

        redis = Redis.from_url(settings.redis_url)
        stack.push_async_callback(redis.aclose)
    steps: list[Step] = []
    config = settings.idempotency
    if config.enabled:
        store: IdempotencyStore
        if config.store == "redis" or (config.store == "auto" and redis is not None):
            if redis is None:
                raise ConfigError("idempotency.store: redis needs redis_url (LLMGW_REDIS_URL)")
            store = RedisIdempotencyStore(redis, settings.redis_prefix)
        else:
            store = await SqlIdempotencyStore.open(state_db, wall)
        idempotency = IdempotencySettings(config.window_seconds, poll_seconds=config.poll_seconds)
        steps.append(IdempotencyStep(store, idempotency, wall))
    step = cache_step(settings.cache, redis, settings.redis_prefix, ledger, wall)
    if step.semantic is not None:
        if state_db.dialect == "postgres":  # replicas share entries through the table
            step.semantic.shared = await SemanticEntryStore.open(state_db)
        await step.semantic.start()
        stack.push_async_callback(step.semantic.close)
    steps.append(step)
    return tuple(steps)


def cache_step(
    config: ResponseCacheConfig,
    redis: Redis | None,
    prefix: str,
    ledger: Ledger | None,
    wall: Callable[[], float] = time.time,
) -> CacheStep:
    shared = None
    if config.shared:
        if redis is None:
            raise ConfigError("cache.shared needs redis_url (LLMGW_REDIS_URL)")
        shared = RedisResponseCache(redis, prefix)
    cache = ResponseCache(MemoryCache(config.memory_max_bytes, wall), shared, wall)
    settings = CacheSettings(
        Scope(config.scope),
        _route(config.default),
        {alias: _route(route) for alias, route in config.aliases.items()},
    )
    semantic = None
    if any(r.semantic is not None for r in (config.default, *config.aliases.values())):
        # Imported here: numpy (the vectors) loads only with a semantic route.
        from llmgw.pipeline.cache.semantic import SemanticIndex
        from llmgw.pipeline.cache.semantic_cache import SemanticCache

        index = SemanticIndex(config.semantic_max_entries, wall)
        semantic = SemanticCache(index, sync_seconds=config.semantic_sync_seconds, wall=wall)
    return CacheStep(cache, settings, ledger, semantic, wall)


def _route(config: RouteCacheConfig) -> RouteCache:
    semantic = None
    if config.semantic is not None:
        s = config.semantic
        semantic = SemanticRoute(s.embedding_model, s.threshold, s.dimensions)
    mode = CacheMode(config.mode)
    return RouteCache(mode, config.max_age_seconds, config.ttl_seconds, semantic)


__all__ = ["answer_steps", "cache_step", "wall_clock"]
