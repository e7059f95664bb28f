"""Configuration of answers given again: idempotent request ids (on by
default) and the response cache (off unless configured)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdempotencyConfig(_Strict):
    """AIP-155 ``request_id``: a repeat within ``window_seconds`` replays the
    first outcome. ``store``: ``auto`` = Redis when ``redis_url`` is set, else
    the state database (PostgreSQL with ``LLMGW_DATABASE_URL``, else the
    embedded SQLite file); ``database`` or ``redis`` force one."""

    enabled: bool = True
    window_seconds: float = Field(default=86_400.0, gt=0)
    store: Literal["auto", "database", "redis"] = "auto"
    poll_seconds: float = Field(default=0.1, gt=0, le=5)


class SemanticConfig(_Strict):
    """On an exact miss, embed the last user turn with ``embedding_model``
    (any backend's; a billed call) and serve the nearest stored answer to an
    otherwise identical request at cosine similarity >= ``threshold``."""

    embedding_model: str = Field(min_length=1)
    threshold: float = Field(default=0.95, gt=0, le=1)
    dimensions: int | None = Field(default=None, ge=1)


class RouteCacheConfig(_Strict):
    """One route's response-cache defaults (the caller's ``CachePolicy``
    overrides ``mode`` and ``max_age``)."""

    mode: Literal["bypass", "read_write", "refresh"] = "bypass"
    max_age_seconds: float | None = Field(default=None, ge=0)
    ttl_seconds: float = Field(default=3600.0, gt=0)
    semantic: SemanticConfig | None = None


class ResponseCacheConfig(_Strict):
    """The gateway response cache: off unless a route's ``mode`` (or the
    caller's ``CachePolicy``) asks for it. ``scope`` decides who shares
    entries (``global``: every tenant, only when configured); the memory tier
    is bounded by ``memory_max_bytes``; ``shared`` also keeps entries in
    Redis (``redis_url``) so every replica serves them."""

    scope: Literal["tenant", "project", "key", "global"] = "tenant"
    memory_max_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    shared: bool = False
    # Semantic index: live entries kept in process (over every scope), and how
    # often a replica polls the shared table (PostgreSQL) for other replicas'.
    semantic_max_entries: int = Field(default=100_000, ge=0)
    semantic_sync_seconds: float = Field(default=0.2, gt=0)
    default: RouteCacheConfig = Field(default_factory=RouteCacheConfig)
    aliases: dict[str, RouteCacheConfig] = Field(default_factory=dict)


__all__ = ["IdempotencyConfig", "ResponseCacheConfig", "RouteCacheConfig", "SemanticConfig"]
