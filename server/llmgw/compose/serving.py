"""The servers' options and the caller limits, from the settings (the
composition root's helpers; they read no env and no files)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from llmgw.api.edge import EdgeTelemetry
from llmgw.api.server import ServerOptions
from llmgw.api.validation import SizeLimits
from llmgw.auth.cert_identity import CertificateIdentities
from llmgw.config import Settings
from llmgw.config.serving import certificate_principals
from llmgw.config.tls_files import TlsFiles
from llmgw.control.reload import caller_defaults
from llmgw.domain.clock import SystemClock
from llmgw.pipeline.ratelimit import CallerLimits
from llmgw.pipeline.stream_slots import LocalSlots, RedisSlots, StreamSlots
from llmgw.pipeline.token_count import TokenCounter

if TYPE_CHECKING:
    from limits.aio.storage import Storage


def server_options(
    settings: Settings,
    token_counter: TokenCounter | None = None,
    telemetry: EdgeTelemetry | None = None,
) -> ServerOptions:
    """Listeners, limits, TLS (one file reader per listener), mTLS identities,
    the backends' token counters (``CountTokens``) and the edge's telemetry."""
    identities = certificate_principals(settings)
    return ServerOptions(
        listen=settings.listen,
        admin_listen=settings.admin_listen,
        default_deadline_seconds=settings.default_deadline_seconds,
        max_receive_message_bytes=settings.max_receive_message_bytes,
        max_send_message_bytes=settings.max_send_message_bytes,
        max_embedding_batch=settings.rate_limits.max_embedding_batch
        or settings.max_embedding_batch,
        size_limits=size_limits(settings),
        tls=partial(TlsFiles, settings.tls) if settings.tls.enabled else None,
        identities=CertificateIdentities(identities) if identities else None,
        required_backends=tuple(settings.required_backends),
        readiness_interval_seconds=settings.readiness_interval_seconds,
        token_counter=token_counter,
        telemetry=telemetry,
    )


def caller_limits(settings: Settings, storage: Storage | None) -> CallerLimits:
    """Caller rate limits and stream caps from ``rate_limits:``; ``storage`` is
    the per-key pools' (Redis when ``redis_url`` is set, so limits are global)."""
    config = settings.rate_limits
    slots: StreamSlots = LocalSlots()
    if settings.redis_url:
        from redis.asyncio import Redis  # here: redis loads only with redis_url

        client = Redis.from_url(settings.redis_url)
        slots = RedisSlots(client, settings.redis_prefix, config.stream_slot_ttl_seconds)
    return CallerLimits(storage, SystemClock(), caller_defaults(settings), slots)


def size_limits(settings: Settings) -> SizeLimits:
    config = settings.rate_limits
    return SizeLimits(
        max_messages=config.max_messages,
        max_total_characters=config.max_total_characters,
        max_output_tokens=config.max_output_tokens,
    )


def async_redis_url(url: str) -> str:
    """The limits library's async Redis storage scheme (``async+redis://``)."""
    return url if url.startswith("async+") else f"async+{url}"


def with_port(address: str, port: int) -> str:
    host = address.rsplit(":", 1)[0]
    if host in ("[::]", "0.0.0.0", ""):
        host = "127.0.0.1"
    return f"{host}:{port}"


__all__ = [
    "async_redis_url",
    "caller_limits",
    "server_options",
    "size_limits",
    "with_port",
]
