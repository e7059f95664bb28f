"""Pooled HTTP sessions and the translation of HTTP failures into ``UpstreamError``.

One ``aiohttp.ClientSession`` per backend, created on the running loop and
closed by the adapter's ``aclose``: connection reuse is most of the hot-path
budget. Redirects are never followed (a redirect is an answer, not a hop: it
would bypass the endpoint an operator validated). Response bodies of errors
are read with a size cap and kept only in ``UpstreamError.detail`` (server
logs), never in caller-facing messages.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from typing import TypedDict
from urllib.parse import urlsplit

import aiohttp
import orjson

from llmgw.domain.backends import BackendSpec
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import FailureClass, UpstreamError
from llmgw.observability.tracing import inject
from llmgw.outbound.dns import PinnedResolver
from llmgw.providers.failures import classify_exception, classify_status, vendor_error_fields

_ERROR_BODY_LIMIT = 16 * 1024
_DETAIL_LIMIT = 500


def new_session(spec: BackendSpec, headers: Mapping[str, str]) -> aiohttp.ClientSession:
    """A pooled session for one backend (call on the running event loop).

    ``headers`` (auth, content type) are set once here rather than merged on
    every request; the session's own timeout is the backend's request timeout.
    """
    connector = aiohttp.TCPConnector(
        limit=spec.max_connections,
        limit_per_host=spec.max_connections,
        ttl_dns_cache=300,
        keepalive_timeout=60,
        # An admin-set endpoint connects only to the addresses it was validated with.
        resolver=(
            PinnedResolver(urlsplit(spec.base_url).hostname or "", spec.pinned_addresses)
            if spec.pinned_addresses
            else None
        ),
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=spec.request_timeout, connect=spec.connect_timeout),
        headers={**dict(spec.extra_headers), **headers},
        json_serialize=lambda value: orjson.dumps(value).decode(),
        raise_for_status=False,
        auto_decompress=True,
        trust_env=False,
        trace_configs=[_trace_propagation()] if spec.propagate_trace_context else None,
    )


def _trace_propagation() -> aiohttp.TraceConfig:
    """Adds the current trace context (W3C ``traceparent``: the attempt's span)
    to each request; nothing when tracing is off (no current span)."""

    async def on_request_start(
        session: aiohttp.ClientSession, context: object, params: aiohttp.TraceRequestStartParams
    ) -> None:
        inject(params.headers)

    config = aiohttp.TraceConfig()
    config.on_request_start.append(on_request_start)
    return config


class TimeoutOverride(TypedDict, total=False):
    """Keyword arguments for a request: a timeout only when one is needed."""

    timeout: aiohttp.ClientTimeout


_NO_TIMEOUT_OVERRIDE = TimeoutOverride()


def attempt_timeout(deadline: Deadline, spec: BackendSpec) -> TimeoutOverride:
    """Request kwargs bounding the attempt by the deadline.

    When the deadline is no tighter than the backend's request timeout (within
    a second) the session's timeout applies and no per-request timer is built;
    the gRPC deadline cancels the handler, and with it the attempt, anyway.
    """
    remaining = deadline.remaining()
    if remaining <= 0:
        raise UpstreamError(spec.name, FailureClass.TIMEOUT, detail="deadline already expired")
    if remaining >= spec.request_timeout - 1.0:
        return _NO_TIMEOUT_OVERRIDE
    connect = min(remaining, spec.connect_timeout)
    return TimeoutOverride(timeout=aiohttp.ClientTimeout(total=remaining, connect=connect))


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (OpenAI), ``retry-after`` (seconds
    or an HTTP date); ``None`` when absent or unreadable."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


async def error_from_response(backend: str, response: aiohttp.ClientResponse) -> UpstreamError:
    """Classify a non-2xx answer (reads at most 16 KiB of its body)."""
    try:
        raw = await response.content.read(_ERROR_BODY_LIMIT)
    except (aiohttp.ClientError, OSError):
        raw = b""
    finally:
        response.release()
    try:
        body: object = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        body = None
    code, message = vendor_error_fields(body)
    if not message and raw and body is None:
        message = raw[:_DETAIL_LIMIT].decode("utf-8", "replace")
    return UpstreamError(
        backend,
        classify_status(response.status, code, message),
        status=response.status,
        retry_after=parse_retry_after(response.headers),
        detail=f"HTTP {response.status} {code}: {message[:_DETAIL_LIMIT]}".strip(),
    )


def error_from_exception(
    backend: str, exc: BaseException, *, streaming_started: bool = False, output_tokens: int = 0
) -> UpstreamError:
    """Classify a transport failure; the exception text goes to ``detail`` only."""
    return UpstreamError(
        backend,
        classify_exception(exc, streaming_started=streaming_started),
        detail=f"{type(exc).__name__}: {str(exc)[:_DETAIL_LIMIT]}",
        output_tokens=output_tokens,
    )
