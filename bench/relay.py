"""A bare ``grpc.aio`` -> aiohttp relay: the floor for a Python gateway.

It serves the same ``GatewayService`` contract (``Chat`` and ``StreamChat``) as
the gateway, converts each request to an OpenAI-compatible HTTP call on one
pooled aiohttp session, and converts the answer back (text, finish reason,
usage; for streams ``start``, one ``delta`` per upstream chunk, ``final``).
Nothing else: no validation, routing, retries, pricing, ledger, limits,
logging or metrics. ``bench/hot_path.py`` runs it beside the gateway, on the
same fake upstream, and divides the gateway's CPU per call by this one's.

``python bench/relay.py --upstream http://127.0.0.1:PORT/v1 --port 0`` prints
``READY <host:port>`` once listening. Loopback only.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator

import aiohttp
import grpc
import orjson
from llmgateway.v1 import (
    content_pb2,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    generation_pb2,
)

_ROLES = {
    content_pb2.ROLE_SYSTEM: "system",
    content_pb2.ROLE_USER: "user",
    content_pb2.ROLE_ASSISTANT: "assistant",
    content_pb2.ROLE_TOOL: "tool",
}
_FINISH = {
    "stop": generation_pb2.FINISH_REASON_STOP,
    "length": generation_pb2.FINISH_REASON_MAX_TOKENS,
    "tool_calls": generation_pb2.FINISH_REASON_TOOL_CALLS,
}


def _body(chat: gateway_service_pb2.ChatRequest, stream: bool) -> bytes:
    body: dict[str, object] = {
        "model": chat.model,
        "messages": [
            {"role": _ROLES.get(m.role, "user"), "content": "".join(p.text for p in m.parts)}
            for m in chat.messages
        ],
    }
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return orjson.dumps(body)


def _usage(raw: dict[str, int] | None) -> generation_pb2.Usage:
    raw = raw or {}
    return generation_pb2.Usage(
        input_token_count=raw.get("prompt_tokens", 0),
        output_token_count=raw.get("completion_tokens", 0),
        total_token_count=raw.get("total_tokens", 0),
    )


class Relay(gateway_service_pb2_grpc.GatewayServiceServicer):
    """Chat and StreamChat straight through to one OpenAI-compatible upstream."""

    def __init__(self, upstream: str) -> None:
        self._url = upstream.rstrip("/") + "/chat/completions"
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self._session

    async def Chat(
        self, request: gateway_service_pb2.ChatRequest, context: grpc.aio.ServicerContext
    ) -> gateway_service_pb2.ChatResponse:
        async with self._http().post(
            self._url, data=_body(request, False), headers=self._headers
        ) as response:
            payload = orjson.loads(await response.read())
        choices = [
            gateway_service_pb2.Candidate(
                index=choice.get("index", 0),
                message=content_pb2.Message(
                    role=content_pb2.ROLE_ASSISTANT,
                    parts=[content_pb2.Part(text=choice["message"].get("content") or "")],
                ),
                finish_reason=_FINISH.get(choice.get("finish_reason") or "", 0),
            )
            for choice in payload.get("choices", ())
        ]
        return gateway_service_pb2.ChatResponse(
            response_id=payload.get("id", ""),
            request_id=request.request_id,
            candidates=choices,
            usage=_usage(payload.get("usage")),
        )

    async def StreamChat(
        self, request: gateway_service_pb2.StreamChatRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[gateway_service_pb2.StreamChatResponse]:
        event = gateway_service_pb2.StreamChatResponse
        yield event(start=gateway_service_pb2.StreamStart(request_id=request.chat.request_id))
        finish, usage = 0, None
        async with self._http().post(
            self._url, data=_body(request.chat, True), headers=self._headers
        ) as response:
            async for line in response.content:
                if not line.startswith(b"data: ") or line.startswith(b"data: [DONE]"):
                    continue
                chunk = orjson.loads(line[6:])
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices", ()):
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        delta = gateway_service_pb2.StreamDelta(
                            candidate_index=choice.get("index", 0), text=text
                        )
                        yield event(delta=delta)
                    if choice.get("finish_reason"):
                        finish = _FINISH.get(choice["finish_reason"], 0)
        yield event(
            final=gateway_service_pb2.StreamFinal(
                candidates=[gateway_service_pb2.CandidateFinish(index=0, finish_reason=finish)],
                usage=_usage(usage),
            )
        )


async def serve(upstream: str, port: int) -> None:
    server = grpc.aio.server()
    gateway_service_pb2_grpc.add_GatewayServiceServicer_to_server(Relay(upstream), server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print(f"READY 127.0.0.1:{bound}", flush=True)
    await server.wait_for_termination()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="OpenAI-compatible base URL")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    import uvloop

    uvloop.run(serve(args.upstream, args.port))


if __name__ == "__main__":
    main()
