"""SSE framing, Retry-After parsing and the failure classifier."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from llmgw.domain.errors import FailureClass
from llmgw.providers.failures import classify_exception, classify_status, vendor_error_fields
from llmgw.providers.http import parse_retry_after
from llmgw.providers.sse import EventBuffer, iter_events


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _collect(*parts: bytes) -> list[tuple[str, bytes]]:
    return [e async for e in iter_events(_chunks(*parts))]


async def test_sse_events_split_across_chunks_and_crlf() -> None:
    events = await _collect(
        b'event: message_start\r\ndata: {"a":',
        b"1}\r\n\r\n: comment\n\ndata: line1\ndata: line2\n\n",
        b"data: [DONE]\n\n",
    )
    assert events == [
        ("message_start", b'{"a":1}'),
        ("", b"line1\nline2"),
        ("", b"[DONE]"),
    ]


async def test_sse_crlf_split_between_chunks() -> None:
    events = await _collect(b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n")
    assert events == [("", b"a"), ("", b"b")]


async def test_sse_partial_trailing_event_is_dropped() -> None:
    assert await _collect(b"data: complete\n\n", b"data: partial") == [("", b"complete")]


def test_event_buffer_returns_every_event_one_read_completes() -> None:
    frames = EventBuffer()
    assert frames.feed(b"data: a\n\ndata: b\n\nevent: x\ndata: c\n\ndata: par") == [
        ("", b"a"),
        ("", b"b"),
        ("x", b"c"),
    ]
    assert frames.feed(b"tial\n\n\n\n: comment\n\n") == [("", b"partial")]
    assert frames.feed(b"data: d\r\n\r") == []  # the CR may start a CRLF
    assert frames.feed(b"\n") == [("", b"d")]


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert (
        parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"}, now=1445412500.0)
        == 10.0
    )
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


@pytest.mark.parametrize(
    ("status", "code", "message", "expected"),
    [
        (400, "", "bad", FailureClass.CALLER_FAULT),
        (400, "context_length_exceeded", "", FailureClass.CONTEXT_LENGTH),
        (
            400,
            "",
            "This model's maximum context length is 8192 tokens",
            FailureClass.CONTEXT_LENGTH,
        ),
        (401, "invalid_api_key", "", FailureClass.CREDENTIAL),
        (403, "permission_error", "", FailureClass.CREDENTIAL),
        (404, "not_found_error", "", FailureClass.CALLER_FAULT),
        (408, "", "", FailureClass.TIMEOUT),
        (413, "request_too_large", "", FailureClass.CONTEXT_LENGTH),
        (429, "rate_limit_exceeded", "", FailureClass.RATE_LIMIT),
        (429, "insufficient_quota", "", FailureClass.QUOTA),
        (500, "api_error", "", FailureClass.TRANSIENT),
        (502, "", "", FailureClass.TRANSIENT),
        (503, "", "", FailureClass.OVERLOADED),
        (504, "", "", FailureClass.TIMEOUT),
        (529, "overloaded_error", "", FailureClass.OVERLOADED),
        (302, "", "", FailureClass.PROTOCOL),
    ],
)
def test_status_classification(
    status: int, code: str, message: str, expected: FailureClass
) -> None:
    assert classify_status(status, code, message) is expected


def test_exception_classification() -> None:
    assert classify_exception(TimeoutError()) is FailureClass.TIMEOUT
    assert classify_exception(ConnectionRefusedError()) is FailureClass.TRANSIENT
    assert classify_exception(aiohttp.ClientPayloadError("cut")) is FailureClass.TRANSIENT
    assert (
        classify_exception(aiohttp.ClientPayloadError("cut"), streaming_started=True)
        is FailureClass.STREAM_INTERRUPTED
    )


def test_vendor_error_fields() -> None:
    assert vendor_error_fields(
        {
            "error": {
                "message": "m",
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
            }
        }
    ) == ("context_length_exceeded", "m")
    assert vendor_error_fields(
        {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    ) == ("overloaded_error", "busy")
    assert vendor_error_fields({"error": "model not loaded"}) == ("", "model not loaded")
    assert vendor_error_fields(None) == ("", "")
