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


__all__ = ["IdempotencyConfig"]
