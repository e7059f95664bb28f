"""Fake Anthropic Messages API: ``POST /v1/messages`` (JSON and the SSE event
stream) and ``GET /v1/models``. Shapes follow the API reference."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from upstream_fakes.base import (
    FakeServer,
    Reply,
    fake_token_count,
    json_response,
    raw_response,
    split_arguments,
)

_STATUS_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def error_body(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def event(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


class FakeAnthropic(FakeServer):
    base_path = ""

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/messages", self.messages)
        app.router.add_post("/v1/messages/count_tokens", self.count_tokens)
        app.router.add_get("/v1/models", self.list_models)

    def _refuse_headers(self, request: web.Request) -> web.Response | None:
        # The API takes ``x-api-key``; recent SDKs send ``Authorization: Bearer``.
        presented = request.headers.get("x-api-key") or request.headers.get(
            "Authorization", ""
        ).removeprefix("Bearer ")
        if self.api_key is not None and presented != self.api_key:
            return json_response(
                error_body("authentication_error", "invalid x-api-key"), status=401
            )
        if not request.headers.get("anthropic-version"):
            return json_response(
                error_body("invalid_request_error", "anthropic-version header is required"),
                status=400,
            )
        return None

    async def count_tokens(self, request: web.Request) -> web.Response:
        """``/v1/messages/count_tokens``: ``{"input_tokens": N}``; like the real
        API it rejects generation fields such as ``max_tokens``."""
        body = await self.record(request)
        refused = self._refuse_headers(request)
        if refused is not None:
            return refused
        if not isinstance(body, dict) or "messages" not in body or "model" not in body:
            return json_response(
                error_body("invalid_request_error", "model and messages are required"), 400
            )
        extra = sorted(set(body) - {"model", "messages", "system", "tools", "tool_choice",
                                    "thinking"})  # fmt: skip
        if extra:
            return json_response(
                error_body("invalid_request_error", f"{extra[0]}: Extra inputs are not permitted"),
                400,
            )
        count = fake_token_count(body["messages"], body.get("system"))
        self.token_counts.append(count)
        return json_response({"input_tokens": count})

    async def list_models(self, request: web.Request) -> web.Response:
        await self.record(request)
        refused = self._refuse_headers(request)
        if refused is not None:
            return refused
        data = [
            {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
            for m in self.models
        ]
        return json_response(
            {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
        )

    async def messages(self, request: web.Request) -> web.StreamResponse:
        body = await self.record(request)
        refused = self._refuse_headers(request)
        if refused is not None:
            return refused
        for required in ("model", "max_tokens", "messages"):
            if not isinstance(body, dict) or required not in body:
                return json_response(
                    error_body("invalid_request_error", f"{required}: Field required"), 400
                )
        reply = self.next_reply()
        if reply.first_byte_delay:
            await self.delay(reply.first_byte_delay)
        if reply.raw_body is not None:
            return raw_response(reply)
        if reply.status >= 300:
            kind = reply.error_type or _STATUS_TYPES.get(reply.status, "api_error")
            return json_response(
                error_body(kind, reply.error_message), status=reply.status, headers=reply.headers
            )
        if body.get("stream"):
            return await self._stream(request, reply, body["model"])
        return json_response(self._message(reply, body["model"]), headers=reply.headers)

    def _usage(self, reply: Reply, output: int) -> dict[str, Any]:
        return {
            "input_tokens": reply.input_tokens,
            "output_tokens": output,
            "cache_read_input_tokens": reply.cached_tokens,
            "cache_creation_input_tokens": 0,
        }

    def _message(self, reply: Reply, model: str) -> dict[str, Any]:
        if reply.tool_call is not None:
            call_id, name, arguments = reply.tool_call
            content: list[dict[str, Any]] = [
                {"type": "tool_use", "id": call_id, "name": name, "input": orjson.loads(arguments)}
            ]
            stop = reply.finish_reason or "tool_use"
        else:
            content = [{"type": "text", "text": "".join(reply.pieces(self.default_chunks))}]
            stop = reply.finish_reason or "end_turn"
        return {
            "id": "msg_fake0001",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": self._usage(reply, reply.completion_tokens(self.default_chunks)),
        }

    async def _stream(self, request: web.Request, reply: Reply, model: str) -> web.StreamResponse:
        output = reply.completion_tokens(self.default_chunks)
        start_message = {
            "id": "msg_fake0001",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": self._usage(reply, 1),
        }
        frames = [event("message_start", {"type": "message_start", "message": start_message})]
        if reply.tool_call is not None:
            call_id, name, arguments = reply.tool_call
            stop = reply.finish_reason or "tool_use"
            frames.append(
                event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {
                            "type": "tool_use",
                            "id": call_id,
                            "name": name,
                            "input": {},
                        },
                    },
                )
            )
            content = [
                event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "input_json_delta", "partial_json": part},
                    },
                )
                for part in split_arguments(arguments)
            ]
        else:
            stop = reply.finish_reason or "end_turn"
            frames.append(
                event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
            )
            frames.append(event("ping", {"type": "ping"}))
            content = [
                event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": piece},
                    },
                )
                for piece in reply.pieces(self.default_chunks)
            ]
        if reply.error_event_after_chunks is not None:
            error = event("error", error_body("overloaded_error", "Overloaded"))
            return await self.stream(
                request, reply, frames + content[: reply.error_event_after_chunks], [error]
            )
        if reply.cut_after_chunks is not None:
            return await self.stream(request, reply, frames + content[: reply.cut_after_chunks], [])
        terminal = [
            event("content_block_stop", {"type": "content_block_stop", "index": 0}),
            event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": output},
                },
            ),
            event("message_stop", {"type": "message_stop"}),
        ]
        return await self.stream(request, reply, frames + content, terminal)
