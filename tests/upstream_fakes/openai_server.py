"""Fake OpenAI API: ``/v1/chat/completions`` (JSON and SSE), ``/v1/embeddings``,
``/v1/models`` and vLLM's ``/health`` and ``/tokenize``. Shapes follow the API reference."""

from __future__ import annotations

import math
import time
from typing import Any

import orjson
from aiohttp import web

from upstream_fakes.base import (
    FakeServer,
    Reply,
    fake_token_count,
    hash_vector,
    json_response,
    raw_response,
    split_arguments,
)

_ERROR_TYPES = {
    "insufficient_quota": ("insufficient_quota", "insufficient_quota"),
    "context_length_exceeded": ("invalid_request_error", "context_length_exceeded"),
    "rate_limit_exceeded": ("requests", "rate_limit_exceeded"),
    "invalid_api_key": ("invalid_request_error", "invalid_api_key"),
}


def error_body(error_type: str, message: str, param: str | None = None) -> dict[str, Any]:
    kind, code = _ERROR_TYPES.get(error_type, (error_type, None))
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class FakeOpenAI(FakeServer):
    base_path = "/v1"
    # vLLM answers /health 503 while its model loads; tests flip this.
    health_status = 200

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/embeddings", self.embeddings)
        app.router.add_get("/v1/models", self.list_models)
        app.router.add_get("/health", self.health)
        app.router.add_post("/tokenize", self.tokenize)  # vLLM, at the server root

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return json_response(
                error_body("invalid_api_key", "Incorrect API key provided."), status=401
            )
        return None

    async def tokenize(self, request: web.Request) -> web.Response:
        """vLLM's chat-form ``/tokenize``: ``{count, max_model_len, tokens}``."""
        body = await self.record(request)
        denied = self._unauthorized(request)
        if denied is not None:
            return denied
        if not isinstance(body, dict) or "messages" not in body:
            return json_response(error_body("BadRequestError", "messages required"), status=400)
        count = fake_token_count(body["messages"])
        self.token_counts.append(count)
        return json_response(
            {"count": count, "max_model_len": 32768, "tokens": list(range(1000, 1000 + count))}
        )

    async def health(self, request: web.Request) -> web.Response:
        await self.record(request)
        return web.Response(status=self.health_status)

    async def list_models(self, request: web.Request) -> web.Response:
        await self.record(request)
        denied = self._unauthorized(request)
        if denied is not None:
            return denied
        return json_response(
            {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                    for m in self.models
                ],
            }
        )

    async def _refusal(self, request: web.Request, reply: Reply) -> web.Response | None:
        denied = self._unauthorized(request)
        if denied is not None:
            return denied
        if reply.first_byte_delay:
            await self.delay(reply.first_byte_delay)
        if reply.raw_body is not None:
            return raw_response(reply)
        if reply.status >= 300:
            return json_response(
                error_body(reply.error_type or "server_error", reply.error_message),
                status=reply.status,
                headers=reply.headers,
            )
        return None

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await self.record(request)
        if not isinstance(body, dict) or not body.get("model") or not body.get("messages"):
            missing = "model" if not isinstance(body, dict) or not body.get("model") else "messages"
            return json_response(
                error_body(
                    "invalid_request_error", f"Missing required parameter: '{missing}'.", missing
                ),
                status=400,
            )
        reply = self.next_reply()
        refusal = await self._refusal(request, reply)
        if refusal is not None:
            return refusal
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return await self._stream(request, reply, body["model"], include_usage)
        return json_response(self._completion(reply, body["model"]), headers=reply.headers)

    def _usage(self, reply: Reply) -> dict[str, Any]:
        output = reply.completion_tokens(self.default_chunks)
        return {
            "prompt_tokens": reply.input_tokens,
            "completion_tokens": output,
            "total_tokens": reply.input_tokens + output,
            "prompt_tokens_details": {"cached_tokens": reply.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }

    def _completion(self, reply: Reply, model: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        finish = reply.finish_reason or "stop"
        if reply.tool_call is not None:
            call_id, name, arguments = reply.tool_call
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            ]
            finish = reply.finish_reason or "tool_calls"
        else:
            message["content"] = "".join(reply.pieces(self.default_chunks))
        return {
            "id": "chatcmpl-fake0001",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
            "usage": self._usage(reply),
            "system_fingerprint": "fp_fake",
        }

    async def _stream(
        self, request: web.Request, reply: Reply, model: str, include_usage: bool
    ) -> web.StreamResponse:
        created = int(time.time())

        def chunk(choices: list[dict[str, Any]], usage: Any = None) -> bytes:
            payload: dict[str, Any] = {
                "id": "chatcmpl-fake0001",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": choices,
            }
            if include_usage:
                payload["usage"] = usage
            return b"data: " + orjson.dumps(payload) + b"\n\n"

        def delta(content: dict[str, Any]) -> dict[str, Any]:
            return {"index": 0, "delta": content, "logprobs": None, "finish_reason": None}

        frames = [chunk([delta({"role": "assistant", "content": "", "refusal": None})])]
        finish = reply.finish_reason or "stop"
        if reply.tool_call is not None:
            call_id, name, arguments = reply.tool_call
            finish = reply.finish_reason or "tool_calls"
            first = {
                "index": 0,
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
            content = [chunk([delta({"tool_calls": [first]})])]
            content += [
                chunk([delta({"tool_calls": [{"index": 0, "function": {"arguments": part}}]})])
                for part in split_arguments(arguments)
            ]
        else:
            content = [chunk([delta({"content": p})]) for p in reply.pieces(self.default_chunks)]
        if reply.cut_after_chunks is not None:
            return await self.stream(request, reply, frames + content[: reply.cut_after_chunks], [])
        terminal = [chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}])]
        if include_usage:
            terminal.append(chunk([], self._usage(reply)))
        terminal.append(b"data: [DONE]\n\n")
        return await self.stream(request, reply, frames + content, terminal)

    # "hash": every distinct text gets an unrelated vector; "words": a bag of
    # words (texts sharing most words are close: semantic-cache tests).
    embedding_mode = "hash"

    def embedding(self, text: str, dimensions: int) -> list[float]:
        if self.embedding_mode != "words":
            return hash_vector(text, dimensions)
        words = "".join(c if c.isalnum() else " " for c in text.lower()).split()
        total = [0.0] * dimensions
        for word in words:
            for i, v in enumerate(hash_vector(word, dimensions)):
                total[i] += v
        norm = math.sqrt(sum(v * v for v in total)) or 1.0
        return [v / norm for v in total]

    async def embeddings(self, request: web.Request) -> web.Response:
        body = await self.record(request)
        reply = self.next_reply()
        refusal = await self._refusal(request, reply)
        if refusal is not None:
            return refusal
        if not isinstance(body, dict) or "input" not in body or "model" not in body:
            return json_response(
                error_body("invalid_request_error", "'input' and 'model' are required"), 400
            )
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        dimensions = int(body.get("dimensions") or 8)
        tokens = sum(max(1, len(str(t)) // 4) for t in inputs)
        return json_response(
            {
                "object": "list",
                "data": [
                    {
                        "object": "embedding",
                        "index": i,
                        "embedding": self.embedding(str(t), dimensions),
                    }
                    for i, t in enumerate(inputs)
                ],
                "model": body["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )
