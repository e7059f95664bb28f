"""Adapter for the Anthropic Messages API.

Endpoints (relative to ``base_url``, e.g. ``https://api.anthropic.com``):
``POST /v1/messages`` (unary and SSE), ``POST /v1/messages/count_tokens``
and ``GET /v1/models``. Auth by
``x-api-key``; ``anthropic-version`` pinned (``2023-06-01`` unless the backend
sets ``api_version``). Anthropic has no embeddings API: ``embed`` is a caller
fault, and routing never sends embeddings here because no model of this
backend has the embeddings type.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, TypedDict

import aiohttp
import orjson

from llmgw.domain.backends import BackendSpec
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import FailureClass, UpstreamError
from llmgw.domain.models import ModelInfo
from llmgw.domain.requests import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse
from llmgw.domain.secret import Secret
from llmgw.providers.anthropic.codec import (
    EventDecoder,
    ProtocolError,
    decode_chat,
    decode_model_ids,
    encode_chat,
)
from llmgw.providers.counting import CountProtocolError, anthropic_count_body, decode_count
from llmgw.providers.http import (
    attempt_timeout,
    error_from_exception,
    error_from_response,
    new_session,
)
from llmgw.providers.streaming import SSEChatStream


class _Headers(TypedDict, total=False):
    headers: dict[str, str]


_NO_HEADERS = _Headers()

DEFAULT_API_VERSION = "2023-06-01"
_TRANSPORT_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


class AnthropicProvider:
    """One Anthropic backend on one pooled HTTP session."""

    def __init__(self, spec: BackendSpec) -> None:
        self.name = spec.name
        self._spec = spec
        # The SDK convention is a base without /v1; accept either form.
        self._base = spec.base_url.rstrip("/").removesuffix("/v1")
        self._headers = {
            "Content-Type": "application/json",
            "anthropic-version": spec.api_version or DEFAULT_API_VERSION,
        }
        if spec.api_keys:
            self._headers["x-api-key"] = spec.api_keys[0].reveal()
        self._session: aiohttp.ClientSession | None = None
        self._default_key = spec.api_keys[0] if spec.api_keys else None

    def _auth(self, key: Secret | None) -> _Headers:
        """Per-request auth only for a key other than the session's default."""
        if key is None or key is self._default_key or key == self._default_key:
            return _NO_HEADERS
        return _Headers(headers={"x-api-key": key.reveal()})

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = new_session(self._spec, self._headers)
        return self._session

    def _body(self, request: ChatRequest, model: ModelInfo, *, stream: bool) -> bytes:
        return orjson.dumps(
            encode_chat(
                request,
                model,
                stream=stream,
                default_max_tokens=self._spec.default_max_output_tokens,
            )
        )

    async def chat(
        self,
        request: ChatRequest,
        model: ModelInfo,
        deadline: Deadline,
        key: Secret | None = None,
    ) -> ChatResponse:
        try:
            async with self._http().post(
                self._base + "/v1/messages",
                data=self._body(request, model, stream=False),
                **attempt_timeout(deadline, self._spec),
                **self._auth(key),
                allow_redirects=False,
            ) as response:
                if response.status >= 300:
                    raise await error_from_response(self.name, response)
                raw = await response.read()
        except _TRANSPORT_ERRORS as exc:
            raise error_from_exception(self.name, exc) from exc
        try:
            return decode_chat(orjson.loads(raw))
        except (orjson.JSONDecodeError, ProtocolError) as exc:
            raise UpstreamError(self.name, FailureClass.PROTOCOL, detail=str(exc)) from exc

    async def stream_chat(
        self,
        request: ChatRequest,
        model: ModelInfo,
        deadline: Deadline,
        key: Secret | None = None,
    ) -> SSEChatStream:
        try:
            response = await self._http().post(
                self._base + "/v1/messages",
                data=self._body(request, model, stream=True),
                **attempt_timeout(deadline, self._spec),
                **self._auth(key),
                allow_redirects=False,
            )
        except _TRANSPORT_ERRORS as exc:
            raise error_from_exception(self.name, exc) from exc
        if response.status >= 300:
            raise await error_from_response(self.name, response)
        return SSEChatStream(self.name, response, EventDecoder(self.name))

    async def embed(
        self,
        request: EmbedRequest,
        model: ModelInfo,
        deadline: Deadline,
        key: Secret | None = None,
    ) -> EmbedResponse:
        raise UpstreamError(
            self.name, FailureClass.CALLER_FAULT, detail="Anthropic has no embeddings API"
        )

    async def list_models(self, deadline: Deadline) -> Sequence[str]:
        try:
            async with self._http().get(
                self._base + "/v1/models",
                **attempt_timeout(deadline, self._spec),
                allow_redirects=False,
            ) as response:
                if response.status >= 300:
                    raise await error_from_response(self.name, response)
                raw = await response.read()
            body: Any = orjson.loads(raw)
            return decode_model_ids(body)
        except _TRANSPORT_ERRORS as exc:
            raise error_from_exception(self.name, exc) from exc
        except (orjson.JSONDecodeError, ProtocolError) as exc:
            raise UpstreamError(self.name, FailureClass.PROTOCOL, detail=str(exc)) from exc

    async def count_tokens(
        self, request: ChatRequest, model: ModelInfo, deadline: Deadline, key: Secret | None = None
    ) -> int:
        """Input tokens by Anthropic's own counter (free, nothing generated)."""
        body = encode_chat(
            request, model, stream=False, default_max_tokens=self._spec.default_max_output_tokens
        )
        try:
            async with self._http().post(
                self._base + "/v1/messages/count_tokens",
                data=orjson.dumps(anthropic_count_body(body)),
                **attempt_timeout(deadline, self._spec),
                **self._auth(key),
                allow_redirects=False,
            ) as response:
                if response.status >= 300:
                    raise await error_from_response(self.name, response)
                raw = await response.read()
        except _TRANSPORT_ERRORS as exc:
            raise error_from_exception(self.name, exc) from exc
        try:
            return decode_count(orjson.loads(raw), "input_tokens")
        except (orjson.JSONDecodeError, CountProtocolError) as exc:
            raise UpstreamError(self.name, FailureClass.PROTOCOL, detail=str(exc)) from exc

    async def probe(self, deadline: Deadline) -> None:
        await self.list_models(deadline)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
