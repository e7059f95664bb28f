"""A thin async convenience client for the gateway's data plane (``GatewayService``).

What it adds to the generated stubs (``llmgateway.v1``):

* one channel with keepalive and message-size options (``ClientOptions``);
* the API key sent as ``authorization: Bearer <key>`` metadata on every call;
* a default deadline per call (``timeout=`` overrides it);
* ``stream_chat``: an async iterator of text; ``final`` / ``usage`` / ``cost``
  are set once the stream ends with its ``final`` event;
* errors as ``GatewayError`` subclasses with the ``google.rpc.Status`` details
  decoded (``ErrorInfo`` reason/metadata, ``RetryInfo`` delay, ``BadRequest``
  violations, ``RequestInfo`` request id);
* retries for errors the gateway marks retryable, i.e. that carry a
  ``RetryInfo``, after the delay it asks for, within the call's deadline. A
  stream is retried only if it failed before its first message; a started
  stream is never replayed.

Everything else: ``client.stub`` is the generated ``GatewayServiceStub`` on the
same channel (pass ``metadata=client.metadata``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from google.rpc import error_details_pb2, status_pb2

from llmgateway.v1 import (
    content_pb2,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    generation_pb2,
)

__all__ = [
    "CancelledError",
    "ChatStream",
    "ClientOptions",
    "DeadlineExceededError",
    "FieldViolation",
    "GatewayClient",
    "GatewayError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "UnauthenticatedError",
    "UnavailableError",
    "error_from_rpc",
    "response_text",
    "user_message",
]

_STATUS_DETAILS_KEY = "grpc-status-details-bin"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Channel and call behaviour. Sizes in bytes, times in seconds."""

    timeout: float | None = 60.0
    """Default deadline of each call (``None``: no deadline)."""
    max_attempts: int = 3
    """Attempts per call for errors with ``RetryInfo`` (1 disables retries)."""
    max_retry_delay: float = 30.0
    """Never wait longer than this between attempts, whatever RetryInfo says."""
    keepalive_time: float = 30.0
    keepalive_timeout: float = 10.0
    max_receive_message_bytes: int = 64 * 1024 * 1024
    max_send_message_bytes: int = 16 * 1024 * 1024

    def channel_options(self) -> list[tuple[str, Any]]:
        return [
            ("grpc.keepalive_time_ms", int(self.keepalive_time * 1000)),
            ("grpc.keepalive_timeout_ms", int(self.keepalive_timeout * 1000)),
            ("grpc.keepalive_permit_without_calls", 0),
            ("grpc.http2.max_pings_without_data", 0),
            ("grpc.max_receive_message_length", self.max_receive_message_bytes),
            ("grpc.max_send_message_length", self.max_send_message_bytes),
        ]


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str
    reason: str = ""


class GatewayError(Exception):
    """A failed call, with the gateway's ``google.rpc.Status`` details decoded."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        details: Sequence[Any] = (),
    ) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.details = list(details)
        """Every decoded detail message (ErrorInfo, RetryInfo, BadRequest, ...)."""
        self.reason = ""
        self.domain = ""
        self.metadata: dict[str, str] = {}
        self.retry_delay: float | None = None
        self.field_violations: list[FieldViolation] = []
        self.request_id = ""
        for detail in self.details:
            if isinstance(detail, error_details_pb2.ErrorInfo):
                self.reason, self.domain = detail.reason, detail.domain
                self.metadata = dict(detail.metadata)
            elif isinstance(detail, error_details_pb2.RetryInfo):
                self.retry_delay = detail.retry_delay.ToTimedelta().total_seconds()
            elif isinstance(detail, error_details_pb2.BadRequest):
                self.field_violations.extend(
                    FieldViolation(v.field, v.description, v.reason)
                    for v in detail.field_violations
                )
            elif isinstance(detail, error_details_pb2.RequestInfo):
                self.request_id = detail.request_id

    @property
    def retryable(self) -> bool:
        """The gateway marks an error retryable by attaching a ``RetryInfo``."""
        return self.retry_delay is not None


class InvalidArgumentError(GatewayError):
    pass


class NotFoundError(GatewayError):
    pass


class UnauthenticatedError(GatewayError):
    pass


class PermissionDeniedError(GatewayError):
    pass


class ResourceExhaustedError(GatewayError):
    pass


class UnavailableError(GatewayError):
    pass


class DeadlineExceededError(GatewayError):
    pass


class CancelledError(GatewayError):
    pass


_BY_CODE: dict[grpc.StatusCode, type[GatewayError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.CANCELLED: CancelledError,
}

_DETAIL_TYPES: tuple[Any, ...] = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.RetryInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.RequestInfo,
    error_details_pb2.ResourceInfo,
    error_details_pb2.QuotaFailure,
    error_details_pb2.PreconditionFailure,
    error_details_pb2.DebugInfo,
    error_details_pb2.Help,
    error_details_pb2.LocalizedMessage,
)


def error_from_rpc(error: grpc.aio.AioRpcError) -> GatewayError:
    """Decode a failed call's status and ``grpc-status-details-bin`` trailer."""
    code = error.code()
    details: list[Any] = []
    for key, value in error.trailing_metadata() or ():
        if key == _STATUS_DETAILS_KEY and isinstance(value, bytes):
            status = status_pb2.Status.FromString(value)
            for packed in status.details:
                for kind in _DETAIL_TYPES:
                    if packed.Is(kind.DESCRIPTOR):
                        message = kind()
                        packed.Unpack(message)
                        details.append(message)
                        break
    return _BY_CODE.get(code, GatewayError)(code, error.details() or "", details)


def user_message(text: str) -> content_pb2.Message:
    return content_pb2.Message(role=content_pb2.ROLE_USER, parts=[content_pb2.Part(text=text)])


def response_text(response: gateway_service_pb2.ChatResponse) -> str:
    """The text of the first candidate."""
    if not response.candidates:
        return ""
    return "".join(p.text for p in response.candidates[0].message.parts if p.HasField("text"))


def _messages(prompt: str | Sequence[content_pb2.Message]) -> list[content_pb2.Message]:
    return [user_message(prompt)] if isinstance(prompt, str) else list(prompt)


class _Deadline:
    def __init__(self, timeout: float | None) -> None:
        self._end = None if timeout is None else time.monotonic() + timeout

    def remaining(self) -> float | None:
        return None if self._end is None else max(0.0, self._end - time.monotonic())


class ChatStream:
    """``StreamChat`` as an async iterator of text deltas (first candidate).

    After the loop ends normally, ``final`` holds the ``StreamFinal`` event and
    ``usage`` / ``cost`` its totals; ``start`` holds the ``StreamStart``.
    Leaving the loop early (``break``) or ``cancel()`` cancels the call.
    """

    def __init__(
        self,
        client: GatewayClient,
        request: gateway_service_pb2.StreamChatRequest,
        timeout: float | None,
    ) -> None:
        self._client = client
        self._request = request
        self._timeout = timeout
        self._call: Any = None
        self.start: gateway_service_pb2.StreamStart | None = None
        self.final: gateway_service_pb2.StreamFinal | None = None
        self.events: list[gateway_service_pb2.StreamChatResponse] = []

    @property
    def usage(self) -> generation_pb2.Usage | None:
        return self.final.usage if self.final is not None else None

    @property
    def cost(self) -> generation_pb2.Cost | None:
        return self.final.cost if self.final is not None else None

    @property
    def text(self) -> str:
        """All text received so far."""
        return "".join(
            e.delta.text
            for e in self.events
            if e.HasField("delta") and e.delta.candidate_index == 0 and e.delta.HasField("text")
        )

    def cancel(self) -> None:
        if self._call is not None:
            self._call.cancel()

    async def _open(self) -> AsyncGenerator[gateway_service_pb2.StreamChatResponse, None]:
        """Yield the events; retry only while nothing has been received."""
        deadline = _Deadline(self._timeout)
        attempt = 1
        while True:
            self._call = self._client.stub.StreamChat(
                self._request, timeout=deadline.remaining(), metadata=self._client.metadata
            )
            started = False
            try:
                async for event in self._call:
                    started = True
                    yield event
                return
            except grpc.aio.AioRpcError as exc:
                error = error_from_rpc(exc)
                if started or not await self._client._may_retry(error, attempt, deadline):
                    raise error from None
            attempt += 1

    async def __aiter__(self) -> AsyncIterator[str]:
        events = self._open()
        try:
            async for event in events:
                self.events.append(event)
                kind = event.WhichOneof("event")
                if kind == "start":
                    self.start = event.start
                elif kind == "final":
                    self.final = event.final
                elif (
                    kind == "delta"
                    and event.delta.candidate_index == 0
                    and event.delta.HasField("text")
                ):
                    yield event.delta.text
        finally:
            await events.aclose()
            if self.final is None:
                self.cancel()


class GatewayClient:
    """Async client for ``llmgateway.v1.GatewayService``; use ``async with``."""

    def __init__(
        self,
        target: str,
        *,
        api_key: str | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        options: ClientOptions | None = None,
    ) -> None:
        self.options = options or ClientOptions()
        channel_options = self.options.channel_options()
        self.channel: grpc.aio.Channel = (
            grpc.aio.secure_channel(target, credentials, options=channel_options)
            if credentials is not None
            else grpc.aio.insecure_channel(target, options=channel_options)
        )
        self.stub = gateway_service_pb2_grpc.GatewayServiceStub(self.channel)
        self.metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {api_key}"),) if api_key else ()
        )
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def __aenter__(self) -> GatewayClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.channel.close()

    def _timeout(self, timeout: float | None) -> float | None:
        return self.options.timeout if timeout is None else timeout

    async def _may_retry(self, error: GatewayError, attempt: int, deadline: _Deadline) -> bool:
        """Wait out ``RetryInfo`` and say yes, or say no (not retryable / no time)."""
        if error.retry_delay is None or attempt >= self.options.max_attempts:
            return False
        delay = min(error.retry_delay, self.options.max_retry_delay)
        remaining = deadline.remaining()
        if remaining is not None and delay >= remaining:
            return False
        await self._sleep(delay)
        return True

    async def _unary(
        self, method: Callable[..., Awaitable[T]], request: Any, timeout: float | None  # noqa: ASYNC109
    ) -> T:
        deadline = _Deadline(self._timeout(timeout))
        attempt = 1
        while True:
            try:
                return await method(
                    request, timeout=deadline.remaining(), metadata=self.metadata
                )
            except grpc.aio.AioRpcError as exc:
                error = error_from_rpc(exc)
                if not await self._may_retry(error, attempt, deadline):
                    raise error from None
            attempt += 1

    async def chat(
        self,
        model: str,
        prompt: str | Sequence[content_pb2.Message],
        *,
        generation_config: generation_pb2.GenerationConfig | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the gRPC deadline)
    ) -> gateway_service_pb2.ChatResponse:
        """Unary ``Chat``; ``response_text(reply)`` gives the first candidate's text."""
        request = gateway_service_pb2.ChatRequest(
            model=model, messages=_messages(prompt), generation_config=generation_config
        )
        return await self._unary(self.stub.Chat, request, timeout)

    def stream_chat(
        self,
        model: str,
        prompt: str | Sequence[content_pb2.Message],
        *,
        generation_config: generation_pb2.GenerationConfig | None = None,
        timeout: float | None = None,
    ) -> ChatStream:
        """``StreamChat``: ``async for text in stream``; then ``stream.final``."""
        request = gateway_service_pb2.StreamChatRequest(
            chat=gateway_service_pb2.ChatRequest(
                model=model, messages=_messages(prompt), generation_config=generation_config
            )
        )
        return ChatStream(self, request, self._timeout(timeout))

    async def list_models(
        self, *, timeout: float | None = None  # noqa: ASYNC109
    ) -> gateway_service_pb2.ListModelsResponse:
        return await self._unary(
            self.stub.ListModels, gateway_service_pb2.ListModelsRequest(), timeout
        )
