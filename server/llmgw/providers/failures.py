"""The one failure classifier: an upstream answer or exception -> ``FailureClass``.

Order of evidence (most reliable first): the HTTP status, then the vendor's error
type/code, then the message text only where vendors give nothing better (a
context-length 400 from an OpenAI-compatible engine). Retry, fallback and
circuit breaking read only the class this module assigns.
"""

from __future__ import annotations

import asyncio

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


def classify_status(status: int, vendor_code: str = "", message: str = "") -> FailureClass:
    """Class of a non-2xx upstream answer."""
    code = vendor_code.lower()
    if status in (401, 403) or code in _CREDENTIAL_CODES:
        return FailureClass.CREDENTIAL
    if status == 429:
        return FailureClass.QUOTA if code in _QUOTA_CODES else FailureClass.RATE_LIMIT
    if code in _QUOTA_CODES:
        return FailureClass.QUOTA
    if status in (503, 529) or code in _OVERLOADED_CODES:
        return FailureClass.OVERLOADED
    if status == 408 or status == 504:
        return FailureClass.TIMEOUT
    if status >= 500:
        return FailureClass.TRANSIENT
    if code in _CONTEXT_CODES or status == 413:
        return FailureClass.CONTEXT_LENGTH
    lowered = message.lower()
    if status == 400 and any(phrase in lowered for phrase in _CONTEXT_PHRASES):
        return FailureClass.CONTEXT_LENGTH
    if 400 <= status < 500:
        return FailureClass.CALLER_FAULT
    return FailureClass.PROTOCOL  # 1xx/3xx: redirects are never followed


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
