"""What every fake shares: the reply script, request recording, the HTTP server."""

from __future__ import annotations

import asyncio
import collections
import hashlib
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

DEFAULT_CHUNKS = ["Hello", ",", " world", "!"]


@dataclass
class Reply:
    """How the fake answers one request (consumed in order; ``default`` after)."""

    status: int = 200
    chunks: list[str] | None = None
    input_tokens: int = 11
    output_tokens: int | None = None
    cached_tokens: int = 0
    finish_reason: str | None = None
    tool_call: tuple[str, str, str] | None = None
    error_type: str | None = None
    error_message: str = "fake error"
    headers: dict[str, str] = field(default_factory=dict)
    cut_after_chunks: int | None = None
    error_event_after_chunks: int | None = None
    chunk_delay: float = 0.0
    first_byte_delay: float = 0.0
    raw_body: bytes | None = None

    def pieces(self, default: list[str]) -> list[str]:
        return list(self.chunks) if self.chunks is not None else list(default)

    def completion_tokens(self, default: list[str]) -> int:
        return self.output_tokens if self.output_tokens is not None else len(self.pieces(default))


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


class FakeServer:
    """An aiohttp app on 127.0.0.1:0 with scripting, recording and disconnect counting."""

    base_path = ""

    def __init__(
        self,
        *,
        api_key: str | None = "sk-fake",
        default: Reply | None = None,
        models: list[str] | None = None,
        default_chunks: list[str] | None = None,
    ) -> None:
        self.api_key = api_key
        self.default = default or Reply()
        self.models = models or ["fake-model"]
        self.default_chunks = default_chunks or DEFAULT_CHUNKS
        self.replies: collections.deque[Reply] = collections.deque()
        self.requests: list[RecordedRequest] = []
        self.token_counts: list[int] = []  # counts answered by the counting endpoints
        self.disconnects = 0
        self.disconnected = asyncio.Event()
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=256 * 1024 * 1024)
        self.routes(self.app)

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def enqueue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def next_reply(self) -> Reply:
        return self.replies.popleft() if self.replies else self.default

    async def start(self, port: int = 0) -> str:
        # handler_cancellation: a client that hangs up cancels the handler, so a
        # disconnect during a slow unary answer is seen (and counted) too.
        self._runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        bound = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{bound}{self.base_path}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def record(self, request: web.Request) -> Any:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                body = raw
        self.requests.append(
            RecordedRequest(request.method, request.path, dict(request.headers), body)
        )
        return body

    async def delay(self, seconds: float) -> None:
        """Wait before answering; a client hanging up meanwhile counts as a disconnect."""
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            self.note_disconnect()
            raise

    def note_disconnect(self) -> None:
        self.disconnects += 1
        self.disconnected.set()

    async def stream(
        self, request: web.Request, reply: Reply, frames: list[bytes], terminal: list[bytes]
    ) -> web.StreamResponse:
        """Write SSE ``frames`` (then ``terminal`` unless cut); count disconnects."""
        response = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                **reply.headers,
            },
        )
        try:
            await response.prepare(request)
            for frame in frames:
                if reply.chunk_delay:
                    await asyncio.sleep(reply.chunk_delay)
                await response.write(frame)
            for frame in terminal:
                await response.write(frame)
            await response.write_eof()
        except (ConnectionResetError, ConnectionError):
            self.note_disconnect()
        except asyncio.CancelledError:
            self.note_disconnect()
            raise
        return response


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(payload),
        status=status,
        content_type="application/json",
        headers=headers or {},
    )


def raw_response(reply: Reply) -> web.Response:
    return web.Response(
        body=reply.raw_body or b"",
        status=reply.status,
        content_type="text/html",
        headers=reply.headers,
    )


def hash_vector(text: str, dimensions: int) -> list[float]:
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend(v / 2**31 for v in struct.unpack(">8i", digest))
        counter += 1
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def split_arguments(arguments: str) -> list[str]:
    """Split tool-call arguments in up to three fragments, as providers stream them."""
    if len(arguments) < 3:
        return [arguments]
    third = len(arguments) // 3
    return [arguments[:third], arguments[third : 2 * third], arguments[2 * third :]]


def fake_token_count(messages: Any, system: Any = None) -> int:
    """The fakes' tokenizer: one token per whitespace-separated word of every
    text (string content or text blocks) plus 3 per message. Deterministic, and
    different from any estimate the gateway makes, so a test can tell them apart."""

    def texts(content: Any) -> list[str]:
        if isinstance(content, str):
            return [content]
        if isinstance(content, list):
            return [b.get("text", "") for b in content if isinstance(b, dict)]
        return []

    words = sum(len(t.split()) for t in texts(system))
    for message in messages or []:
        words += 3 + sum(len(t.split()) for t in texts(message.get("content")))
    return words
