"""The one failure classifier: an upstream answer or exception -> ``FailureClass``.

Order of evidence (most reliable first): the HTTP status, then the vendor's error
type/code, then the message text only where vendors give nothing better (a
context-length 400 from an OpenAI-compatible engine). Retry, fallback and
circuit breaking read only the class this module assigns.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Container

import aiohttp

from llmgw.domain.errors import FailureClass

# Vendor error types/codes that refine a status (OpenAI ``error.code``/``error.type``,
# Anthropic ``error.type``).
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached", "billing_error"})
_CONTEXT_CODES = frozenset(
    {"context_length_exceeded", "string_above_max_length", "request_too_large"}
)
_CONTEXT_PHRASES = (
    "context length",
    "context window",
    "maximum context",
    "prompt is too long",
    "too many tokens",
)
_OVERLOADED_CODES = frozenset({"overloaded_error", "server_overloaded"})
_CREDENTIAL_CODES = frozenset(
    {"authentication_error", "permission_error", "invalid_api_key", "invalid_request_error_auth"}
)


_SERVER_ERRORS = range(500, sys.maxsize)  # any status >= 500
_NONE: frozenset[str] = frozenset()

# The decision table of ``classify_status``, most specific evidence first: the
# first row whose statuses hold the status, or whose vendor codes hold the
# (lower-cased) code, gives the class. A quota code beats 429 (rate limit) and
# every later row; an overloaded code beats a plain 5xx.
_STATUS_RULES: tuple[tuple[Container[int], frozenset[str], FailureClass], ...] = (
    (frozenset({401, 403}), _CREDENTIAL_CODES, FailureClass.CREDENTIAL),
    ((), _QUOTA_CODES, FailureClass.QUOTA),
    (frozenset({429}), _NONE, FailureClass.RATE_LIMIT),
    (frozenset({503, 529}), _OVERLOADED_CODES, FailureClass.OVERLOADED),
    (frozenset({408, 504}), _NONE, FailureClass.TIMEOUT),
    (_SERVER_ERRORS, _NONE, FailureClass.TRANSIENT),
    (frozenset({413}), _CONTEXT_CODES, FailureClass.CONTEXT_LENGTH),
)


def classify_status(status: int, vendor_code: str = "", message: str = "") -> FailureClass:
    """Class of a non-2xx upstream answer: ``_STATUS_RULES``, then a 400 whose
    message names the context window (engines with no code for it), then any
    other 4xx is the caller's fault; 1xx/3xx are protocol failures (redirects
    are never followed)."""
    code = vendor_code.lower()
    for statuses, codes, failure in _STATUS_RULES:
        if status in statuses or code in codes:
            return failure
    lowered = message.lower()
    if status == 400 and any(phrase in lowered for phrase in _CONTEXT_PHRASES):
        return FailureClass.CONTEXT_LENGTH
    if 400 <= status < 500:
        return FailureClass.CALLER_FAULT
    return FailureClass.PROTOCOL


def classify_exception(exc: BaseException, *, streaming_started: bool = False) -> FailureClass:
    """Class of a transport failure (no HTTP answer, or a body that broke off)."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return FailureClass.TIMEOUT
    if streaming_started and isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ClientError)):
        return FailureClass.STREAM_INTERRUPTED
    if isinstance(exc, aiohttp.ContentTypeError | ValueError):
        return FailureClass.PROTOCOL
    if isinstance(exc, aiohttp.ClientError | OSError):
        return FailureClass.TRANSIENT
    return FailureClass.PROTOCOL


def vendor_error_fields(body: object) -> tuple[str, str]:
    """(code, message) from an OpenAI- or Anthropic-shaped error body, '' if absent.

    OpenAI: ``{"error": {"type", "code", "message"}}`` (``code`` is the precise
    one when set); Anthropic: ``{"type": "error", "error": {"type", "message"}}``.
    """
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code") or error.get("type") or ""
        message = error.get("message") or ""
        return str(code), str(message)
    if isinstance(error, str):  # some OpenAI-compatible engines (Ollama, old vLLM)
        return "", error
    return "", str(body.get("message", "") or body.get("detail", "") or "")
