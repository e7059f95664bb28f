"""Adapter for OpenAI and every OpenAI-compatible backend (one class, many rows).

Endpoints (relative to the backend's ``base_url``, which includes ``/v1``):
``POST /chat/completions`` (unary and SSE with ``stream_options.include_usage``),
``POST /embeddings``, ``GET /models``. See ``llmgw.providers.base`` for the
adapter contract (one attempt, no retries, ``UpstreamError`` only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, TypedDict

import aiohttp
import orjson

from llmgw.domain.backends import BackendKind, BackendSpec
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import FailureClass, UpstreamError
from llmgw.domain.models import ModelInfo
from llmgw.domain.requests import (
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    StreamEvent,
)
from llmgw.domain.secret import Secret
from llmgw.providers.counting import CountProtocolError, decode_count, vllm_tokenize_body
from llmgw.providers.http import (
    attempt_timeout,
    error_from_exception,
    error_from_response,
    new_session,
)
from llmgw.providers.openai.codec import (
    ChunkDecoder,
    ProtocolError,
    decode_chat,
    decode_embed,
    decode_model_ids,
    encode_chat,
    encode_embed,
)
from llmgw.providers.streaming import SSEChatStream


class _Headers(TypedDict, total=False):
    headers: dict[str, str]


_NO_HEADERS = _Headers()
_CACHE_KEY_PRESETS = frozenset({"openai", "vllm"})

_TRANSPORT_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)


class OpenAIStreamDecoder:
    """``data: {chunk}`` events until ``data: [DONE]``."""

    __slots__ = ("_backend", "_chunks", "finished", "produced")

    def __init__(self, backend: str) -> None:
        self._backend = backend
        self.finished = False
        self.produced = 0
        self._chunks = ChunkDecoder()

    def decode(self, event: str, data: bytes) -> Sequence[StreamEvent]:
        if data == b"[DONE]":
            self.finished = True
            return (self._chunks.done(),)
        chunk = orjson.loads(data)
        if type(chunk) is not dict:
            raise ValueError("stream event is not a JSON object")
        if "error" in chunk and not chunk.get("choices"):
            # Some engines (vLLM, OpenRouter) report mid-stream failures as a
            # data event carrying an error object.
            raise UpstreamError(
                self._backend,
                FailureClass.STREAM_INTERRUPTED,
                detail=str(chunk["error"])[:300],
                output_tokens=self.produced,
            )
        events = self._chunks.feed(chunk)
        self.produced += len(events)
        return events


class OpenAIProvider:
    """One OpenAI(-compatible) backend on one pooled HTTP session."""

    def __init__(self, spec: BackendSpec) -> None:
        self.name = spec.name
        self._spec = spec
        self._base = spec.base_url.rstrip("/")
        self._headers = {"Content-Type": "application/json"}
        if spec.api_keys:
            self._headers["Authorization"] = f"Bearer {spec.api_keys[0].reveal()}"
        self._session: aiohttp.ClientSession | None = None
        self._default_key = spec.api_keys[0] if spec.api_keys else None
        # Engines known to take (OpenAI) or ignore (vLLM) ``prompt_cache_key``.
        self._cache_key = spec.kind is BackendKind.OPENAI or spec.preset in _CACHE_KEY_PRESETS

    def _auth(self, key: Secret | None) -> _Headers:
        """Per-request auth only for a key other than the session's default."""
        if key is None or key is self._default_key or key == self._default_key:
            return _NO_HEADERS
        return _Headers(headers={"Authorization": f"Bearer {key.reveal()}"})

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = new_session(self._spec, self._headers)
        return self._session

    async def _post_json(
        self, path: str, body: dict[str, Any], deadline: Deadline, key: Secret | None
    ) -> Any:
        try:
            async with self._http().post(
                self._base + path,
                data=orjson.dumps(body),
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
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise UpstreamError(
                self.name, FailureClass.PROTOCOL, detail="body is not JSON"
            ) from exc

    async def chat(
        self,
        request: ChatRequest,
        model: ModelInfo,
        deadline: Deadline,
        key: Secret | None = None,
    ) -> ChatResponse:
        body = await self._post_json(
            "/chat/completions",
            encode_chat(
                request, model, stream=False, dialect=self._spec.kind, cache_key=self._cache_key
            ),
            deadline,
            key,
        )
        try:
            return decode_chat(body)
        except ProtocolError as exc:
            raise UpstreamError(self.name, FailureClass.PROTOCOL, detail=str(exc)) from exc

    async def stream_chat(
        self,
        request: ChatRequest,
        model: ModelInfo,
        deadline: Deadline,
        key: Secret | None = None,
    ) -> SSEChatStream:
        body = orjson.dumps(
            encode_chat(
                request, model, stream=True, dialect=self._spec.kind, cache_key=self._cache_key
            )
        )
        try:
            response = await self._http().post(
                self._base + "/chat/completions",
                data=body,
                **attempt_timeout(deadline, self._spec),
                **self._auth(key),
                allow_redirects=False,
            )
        except _TRANSPORT_ERRORS as exc:
            raise error_from_exception(self.name, exc) from exc
        if response.status >= 300:
            raise await error_from_response(self.name, response)
        return SSEChatStream(self.name, response, OpenAIStreamDecoder(self.name))

    async def embed(
        self,
        request: EmbedRequest,
        model: ModelInfo,
        deadline: Deadline,
        key: Secret | None = None,
    ) -> EmbedResponse:
        body = await self._post_json("/embeddings", encode_embed(request, model), deadline, key)
        try:
            return decode_embed(body)
        except ProtocolError as exc:
            raise UpstreamError(self.name, FailureClass.PROTOCOL, detail=str(exc)) from exc

    async def count_tokens(
        self, request: ChatRequest, model: ModelInfo, deadline: Deadline, key: Secret | None = None
    ) -> int | None:
        """vLLM counts with the served model's tokenizer and chat template
        (``/tokenize`` at the server root); other engines cannot: ``None``."""
        if self._spec.preset != "vllm":
            return None
        url = self._base.removesuffix("/v1") + "/tokenize"
        body = vllm_tokenize_body(encode_chat(request, model, stream=False))
        try:
            async with self._http().post(
                url,
                data=orjson.dumps(body),
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
            return decode_count(orjson.loads(raw), "count")
        except (orjson.JSONDecodeError, CountProtocolError) as exc:
            raise UpstreamError(self.name, FailureClass.PROTOCOL, detail=str(exc)) from exc

    async def list_models(self, deadline: Deadline) -> Sequence[str]:
        try:
            async with self._http().get(
                self._base + "/models",
                **attempt_timeout(deadline, self._spec),
                allow_redirects=False,
            ) as response:
                if response.status >= 300:
                    raise await error_from_response(self.name, response)
                raw = await response.read()
            return decode_model_ids(orjson.loads(raw))
        except _TRANSPORT_ERRORS as exc:
            raise error_from_exception(self.name, exc) from exc
        except (orjson.JSONDecodeError, ProtocolError) as exc:
            raise UpstreamError(self.name, FailureClass.PROTOCOL, detail=str(exc)) from exc

    async def probe(self, deadline: Deadline) -> None:
        if not self._spec.health_path:
            await self.list_models(deadline)
            return
        # vLLM serves /health at the server root, beside /v1.
        url = self._base.removesuffix("/v1") + self._spec.health_path
        try:
            async with self._http().get(
                url, allow_redirects=False, **attempt_timeout(deadline, self._spec)
            ) as response:
                if response.status >= 300:
                    raise await error_from_response(self.name, response)
                await response.read()
        except _TRANSPORT_ERRORS as exc:
            raise error_from_exception(self.name, exc) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
