"""Traces from a real ``llmgw serve`` exported over OTLP to a receiver this test runs.

The receiver is the OTLP trace service of ``opentelemetry-proto`` served
with grpc.aio on loopback; the gateway is configured only through the
standard ``OTEL_*`` variables. The caller sends a W3C ``traceparent`` in its
gRPC metadata; the fake upstream records the ``traceparent`` it received.

Checked: the server span continues the caller's trace; one CLIENT span per
upstream attempt under it (GenAI attributes, failure class, retry number),
retries and a fallback; the budget and ledger spans; the right
``rpc.grpc.status_code`` on a NOT_FOUND stream, a stream the upstream cut
mid-way, and a stream the client cancelled; a finished stream's attempt span
has its usage, finish reasons and response id; the upstream saw the attempt
span as its parent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from helpers import chat
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.trace.v1 import trace_pb2
from processes import start_gateway, wait_ready
from upstream_fakes import FakeAnthropic, FakeOpenAI, Reply

pytestmark = pytest.mark.slow

KEY = "sk-fake"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
FAST_RETRY = {"initial_backoff_seconds": 0.01, "max_backoff_seconds": 0.05, "max_retries": 2}
SERVER, CLIENT = trace_pb2.Span.SPAN_KIND_SERVER, trace_pb2.Span.SPAN_KIND_CLIENT
ERROR = trace_pb2.Status.STATUS_CODE_ERROR


@dataclass
class Receiver(trace_service_pb2_grpc.TraceServiceServicer):  # type: ignore[misc]
    spans: list[trace_pb2.Span] = field(default_factory=list)

    async def Export(self, request: Any, context: Any) -> Any:
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                self.spans.extend(scope.spans)
        return trace_service_pb2.ExportTraceServiceResponse()


async def receiver() -> tuple[grpc.aio.Server, Receiver, int]:
    server = grpc.aio.server()
    found = Receiver()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(found, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, found, port


def attrs(span: trace_pb2.Span) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in span.attributes:
        v = kv.value
        kind = v.WhichOneof("value")
        out[kv.key] = (
            [x.string_value for x in v.array_value.values] if kind == "array_value"
            else getattr(v, kind)
        )  # fmt: skip
    return out


def traceparent(span_id: str) -> tuple[tuple[str, str]]:
    return (("traceparent", f"00-{TRACE_ID}-{span_id}-01"),)


def config(primary: str, secondary: str, folder: Path) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "probe_interval_seconds": 0,
        "shutdown_grace_seconds": 1,
        "backends": [
            {
                "name": "primary",
                "kind": "openai_compatible",
                "base_url": primary,
                "api_keys": [KEY],
                "models": [{"id": "fast-model", "capabilities": ["streaming"]}],
                "retry": FAST_RETRY,
                "propagate_trace_context": True,
            },
            {
                "name": "secondary",
                "kind": "anthropic",
                "base_url": secondary,
                "api_keys": [KEY],
                "models": [{"id": "claude-haiku-4-5", "max_output_tokens": 100}],
                "retry": FAST_RETRY,
            },
        ],
        "aliases": {"chain": ["primary/fast-model", "secondary/claude-haiku-4-5"]},
        "ledger": {"sqlite_path": str(folder / "ledger.sqlite3")},
    }


async def drain(call: AsyncIterator[Any]) -> None:
    async for _ in call:
        pass


async def test_spans_exported_over_otlp(tmp_path: Path) -> None:
    server, found, port = await receiver()
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_EXPORTER_OTLP_INSECURE": "true",
        "OTEL_TRACES_SAMPLER": "always_on",
        "OTEL_BSP_SCHEDULE_DELAY": "50",
    }
    try:
        async with FakeOpenAI(api_key=KEY) as primary, FakeAnthropic(api_key=KEY) as secondary:
            folder = tmp_path / "gw"
            settings = config(primary.base_url, secondary.base_url, folder)
            gateway = start_gateway(folder, settings, env)
            try:
                await wait_ready(gateway)
                codes = await traffic(gateway.address, primary)
                upstream_parents = [header(r.headers, "traceparent") for r in primary.requests]
            finally:
                # in a thread: the receiver on this loop takes the last export
                assert await asyncio.to_thread(gateway.terminate) == 0
        await poll(found, len(codes))
    finally:
        await server.stop(0)
    check(found.spans, codes, upstream_parents)
    check_log_ids(found.spans, gateway.logs())


def header(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def check_log_ids(spans: list[trace_pb2.Span], logs: str) -> None:
    """Each outcome line carries the trace id and its server span's id."""
    lines = [json.loads(x) for x in logs.splitlines() if x.startswith("{")]
    outcomes = [x for x in lines if x.get("event") == "request"]
    server_ids = {s.span_id.hex() for s in spans if s.kind == SERVER}
    assert len(outcomes) == 6
    assert all(x["trace_id"] == TRACE_ID and x["span_id"] in server_ids for x in outcomes)


async def traffic(address: str, primary: FakeOpenAI) -> dict[str, grpc.StatusCode]:
    """Six calls, each with its own caller span id; returns their codes."""
    codes: dict[str, grpc.StatusCode] = {}
    async with grpc.aio.insecure_channel(address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        await stub.Chat(chat("fast-model"), metadata=traceparent("00000000000000a1"))
        codes["a1"] = grpc.StatusCode.OK
        primary.enqueue(*[Reply(status=503, error_type="overloaded")] * 3)
        await stub.Chat(chat("chain"), metadata=traceparent("00000000000000a2"))
        codes["a2"] = grpc.StatusCode.OK
        for span_id, request, reply in (
            ("a3", chat("no-such-model"), None),
            ("a4", chat("fast-model"), Reply(chunks=["a", "b", "c", "d"], cut_after_chunks=2)),
        ):
            if reply is not None:
                primary.enqueue(reply)
            call = stub.StreamChat(
                gateway_service_pb2.StreamChatRequest(chat=request),
                metadata=traceparent(f"00000000000000{span_id}"),
            )
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await drain(call)
            codes[span_id] = caught.value.code()
        call = stub.StreamChat(
            gateway_service_pb2.StreamChatRequest(chat=chat("fast-model")),
            metadata=traceparent("00000000000000a6"),
        )
        assert [e async for e in call][-1].HasField("final")
        codes["a6"] = grpc.StatusCode.OK
        primary.enqueue(Reply(chunks=["x"] * 50, chunk_delay=0.05))
        hung_up = primary.disconnects
        call = stub.StreamChat(
            gateway_service_pb2.StreamChatRequest(chat=chat("fast-model")),
            metadata=traceparent("00000000000000a5"),
        )
        async for _ in call:
            break
        call.cancel()
        codes["a5"] = grpc.StatusCode.CANCELLED
        for _ in range(500):  # until the gateway hangs up on the upstream too (10 s)
            if primary.disconnects > hung_up:
                break
            await asyncio.sleep(0.02)
        assert primary.disconnects > hung_up
    assert codes["a3"] == grpc.StatusCode.NOT_FOUND
    return codes


async def poll(found: Receiver, calls: int, seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        servers = [s for s in found.spans if s.kind == SERVER]
        if len(servers) >= calls:
            return
        await asyncio.sleep(0.05)


def check(
    spans: list[trace_pb2.Span], codes: dict[str, grpc.StatusCode], upstream_parents: list[str]
) -> None:
    servers = {s.parent_span_id.hex()[-2:]: s for s in spans if s.kind == SERVER}
    assert set(servers) == set(codes), [s.name for s in spans]
    for caller, span in servers.items():
        assert span.trace_id.hex() == TRACE_ID  # the caller's trace continues
        assert attrs(span)["rpc.grpc.status_code"] == codes[caller].value[0], span.name
    children: dict[bytes, list[trace_pb2.Span]] = {}
    for span in spans:
        children.setdefault(span.parent_span_id, []).append(span)
    # a1: one attempt, GenAI attributes; budget and ledger spans beside it
    a1 = servers["a1"]
    assert a1.name == "/llmgateway.v1.GatewayService/Chat"
    kids = {s.name: s for s in children[a1.span_id]}
    attempt = kids["chat fast-model"]
    a = attrs(attempt)
    assert attempt.kind == CLIENT
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.request.model"] == "fast-model"
    assert a["gen_ai.response.model"] == "fast-model" and a["llmgw.backend"] == "primary"
    assert a["gen_ai.usage.input_tokens"] == 11 and a["gen_ai.usage.output_tokens"] == 4
    assert a["gen_ai.response.finish_reasons"] == ["stop"] and a["llmgw.retry"] == 0
    assert a["gen_ai.response.id"]
    assert {"llmgw.budget.reserve", "llmgw.ledger.commit"} <= set(kids)
    # the upstream request's parent is the attempt span
    assert upstream_parents[0] == f"00-{TRACE_ID}-{attempt.span_id.hex()}-01"
    # a2: three failed attempts on primary (retries 0, 1, 2), then secondary
    tries = sorted(
        (s for s in children[servers["a2"].span_id] if s.kind == CLIENT),
        key=lambda s: s.start_time_unix_nano,
    )
    assert [attrs(s)["llmgw.backend"] for s in tries] == ["primary"] * 3 + ["secondary"]
    assert [attrs(s)["llmgw.retry"] for s in tries] == [0, 1, 2, 0]
    assert all(attrs(s)["error.type"] == "overloaded" for s in tries[:3])
    assert [s.status.code == ERROR for s in tries] == [True, True, True, False]
    assert tries[3].name == "chat claude-haiku-4-5"
    assert attrs(tries[3])["gen_ai.request.model"] == "chain"
    # a3: NOT_FOUND stream: code 5, no attempt (the old wrapper said 0 and UNSET)
    assert not [s for s in children.get(servers["a3"].span_id, []) if s.kind == CLIENT]
    # a4: cut mid-way by the upstream: the attempt span ends in error with what was produced
    cut = [s for s in children[servers["a4"].span_id] if s.kind == CLIENT]
    assert len(cut) == 1 and cut[0].status.code == ERROR
    assert servers["a4"].status.code == (
        ERROR if codes["a4"] in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL,
                                 grpc.StatusCode.UNKNOWN) else trace_pb2.Status.STATUS_CODE_UNSET
    )  # fmt: skip
    # a5: cancelled by the client: the attempt span ends with the cancellation
    cancelled = [s for s in children[servers["a5"].span_id] if s.kind == CLIENT]
    assert len(cancelled) == 1 and attrs(cancelled[0])["error.type"] == "CancelledError"
    # a6: a finished stream: its attempt span ends with the end event's attributes
    streamed = [s for s in children[servers["a6"].span_id] if s.kind == CLIENT]
    assert len(streamed) == 1 and streamed[0].name == "chat fast-model"
    s6 = attrs(streamed[0])
    assert s6["gen_ai.response.finish_reasons"] == ["stop"]
    assert s6["gen_ai.response.id"] == "chatcmpl-fake0001"
    assert s6["gen_ai.usage.input_tokens"] == 11 and s6["gen_ai.usage.output_tokens"] == 4
    assert streamed[0].status.code != ERROR
