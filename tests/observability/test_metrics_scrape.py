"""Scrape a real ``llmgw serve`` after real traffic and check the values.

One process, two fake upstreams (OpenAI-compatible ``primary``, Anthropic
``secondary``), a caller rate limit of one request per minute per end user.
Traffic: a unary chat, a stream, a fallback (primary overloaded three times,
retried twice, then secondary), an unknown model (unary and stream:
NOT_FOUND), and a refused call (the second of one end user). The
``/metrics`` text is parsed with prometheus-client's own parser; the outcome
log lines are read from the process's stderr.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from helpers import chat
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc, routing_pb2
from processes import Gateway, start_gateway, wait_ready
from prometheus_client.parser import text_string_to_metric_families
from upstream_fakes import FakeAnthropic, FakeOpenAI, Reply

pytestmark = pytest.mark.slow

KEY = "sk-fake"
PROMPT = "zebra-prompt-never-logged"
COST = 54_000  # 11 input x $2/M + 4 output x $8/M (the fake's default answer)
FAST_RETRY = {"initial_backoff_seconds": 0.01, "max_backoff_seconds": 0.05, "max_retries": 2}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


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
                "circuit_breaker": {"failure_threshold": 3, "cooldown_seconds": 600},
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
        "prices": {
            "primary/fast-model": {
                "input_per_million_tokens": "2",
                "output_per_million_tokens": "8",
            }
        },
        "rate_limits": {"user": {"rpm": 1}},
        "ledger": {"sqlite_path": str(folder / "ledger.sqlite3")},
        "observability": {"sample_interval_seconds": 0.1},
    }


def scrape(address: str) -> str:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as reply:
        return str(reply.read().decode())


def parse(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def poll(address: str, ready: object, seconds: float = 15) -> Samples:
    """Scrape until ``ready(samples)`` holds (gauges are sampled in the background)."""
    end = time.monotonic() + seconds
    while True:
        samples = parse(await asyncio.to_thread(scrape, address))
        if ready(samples) or time.monotonic() > end:  # type: ignore[operator]
            return samples
        await asyncio.sleep(0.05)


async def traffic(gateway: Gateway, primary: FakeOpenAI, secondary: FakeAnthropic) -> None:
    async with grpc.aio.insecure_channel(gateway.address) as channel:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        await stub.Chat(chat("fast-model", PROMPT))
        stream = gateway_service_pb2.StreamChatRequest(chat=chat("fast-model", PROMPT))
        assert [e async for e in stub.StreamChat(stream)]
        primary.enqueue(*[Reply(status=503, error_type="overloaded")] * 3)
        secondary.enqueue(Reply(chunks=["from secondary"]))
        fell_back = await stub.Chat(chat("chain", PROMPT))
        assert fell_back.route.backend == "secondary"
        for call in (
            stub.Chat(chat("no-such-model")),
            _drain(stub.StreamChat(
                gateway_service_pb2.StreamChatRequest(chat=chat("no-such-model"))
            )),
        ):  # fmt: skip
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call
            assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        user = routing_pb2.Attribution(end_user_id="u1")
        await stub.Chat(chat("claude-haiku-4-5", attribution=user))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.Chat(chat("claude-haiku-4-5", attribution=user))
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def _drain(call: object) -> None:
    async for _ in call:  # type: ignore[attr-defined]
        pass


async def test_scrape_after_real_traffic(tmp_path: Path) -> None:
    async with FakeOpenAI(api_key=KEY) as primary, FakeAnthropic(api_key=KEY) as secondary:
        gateway = start_gateway(tmp_path, config(primary.base_url, secondary.base_url, tmp_path))
        try:
            await wait_ready(gateway)
            await traffic(gateway, primary, secondary)
            s = await poll(
                gateway.metrics,
                lambda s: value(s, "llmgw_rpc_requests_total", rpc="StreamChat") == 2
                and value(s, "llmgw_circuit_breaker_state", backend="primary", state="open") == 1,
            )
        finally:
            assert gateway.terminate() == 0
    rpcs = "llmgw_rpc_requests_total"
    assert value(s, rpcs, rpc="Chat", code="OK") == 3
    assert value(s, rpcs, rpc="Chat", code="NOT_FOUND") == 1
    assert value(s, rpcs, rpc="Chat", code="RESOURCE_EXHAUSTED") == 1
    assert value(s, rpcs, rpc="StreamChat", code="OK") == 1
    assert value(s, rpcs, rpc="StreamChat", code="NOT_FOUND") == 1
    # attempts, retries, fallbacks by backend and failure class
    attempts = "llmgw_upstream_attempts_total"
    assert value(s, attempts, backend="primary", failure_class="overloaded") == 3
    assert value(s, attempts, backend="primary", failure_class="none") == 2
    assert value(s, attempts, backend="secondary", failure_class="none") == 2
    assert value(s, "llmgw_upstream_retries_total", backend="primary") == 2
    assert value(s, "llmgw_upstream_fallbacks_total", backend="primary",
                 failure_class="overloaded") == 1  # fmt: skip
    assert value(s, "llmgw_circuit_breaker_state", backend="primary", state="open") == 1
    assert value(s, "llmgw_circuit_breaker_trips", backend="primary") == 1
    assert value(s, "llmgw_rate_limit_refusals_total", limit="rpm", scope="users") == 1
    # cost: two priced answers of fast-model (unary + stream), exact nanos
    assert value(s, "llmgw_cost_nanos_total", model="fast-model", backend="primary") == 2 * COST
    # GenAI semconv instruments
    chat_ok = {"gen_ai_operation_name": "chat", "gen_ai_response_model": "fast-model"}
    assert value(s, "gen_ai_client_token_usage_count", gen_ai_token_type="input", **chat_ok) == 2
    assert value(s, "gen_ai_client_token_usage_sum", gen_ai_token_type="input", **chat_ok) == 22
    assert value(s, "gen_ai_client_token_usage_sum", gen_ai_token_type="output", **chat_ok) == 8
    duration = "gen_ai_client_operation_duration_seconds_count"
    ok = {"error_type": "", "gen_ai_provider_name": "primary"}
    assert value(s, duration, gen_ai_request_model="fast-model", **ok) == 2
    unresolved = {"gen_ai_request_model": "_unresolved", "error_type": "ModelNotFoundError"}
    assert value(s, duration, **unresolved) == 2
    assert value(s, "gen_ai_server_time_to_first_token_seconds_count", **chat_ok) == 1
    assert value(s, "gen_ai_server_time_per_output_token_seconds_count", **chat_ok) == 1
    fallback = {"gen_ai_request_model": "chain", "gen_ai_response_model": "claude-haiku-4-5"}
    assert value(s, "gen_ai_client_operation_duration_seconds_count", **fallback) == 1
    # nothing left open; build info
    assert value(s, "llmgw_open_streams") == 0
    assert value(s, "llmgw_in_flight_calls", rpc="Chat") == 0
    assert value(s, "llmgw_build_info") == 1
    # no free text in any label
    assert not any(PROMPT in v or v == "u1" or "no-such-model" in v
                   for (_, labels) in s for _, v in labels)  # fmt: skip
    check_log_lines(gateway.logs(), s)


def check_log_lines(logs: str, s: Samples) -> None:
    """One ``request`` line per outcome, success included; no prompt text."""
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    outcomes = [line for line in lines if line.get("event") == "request"]
    by_status: dict[tuple[str, str], list[dict[str, object]]] = {}
    for line in outcomes:
        by_status.setdefault((str(line["rpc"]), str(line["status"])), []).append(line)
    assert len(by_status[("Chat", "OK")]) == 3
    assert len(by_status[("StreamChat", "OK")]) == 1
    assert len(by_status[("Chat", "NOT_FOUND")]) == 1
    assert len(by_status[("StreamChat", "NOT_FOUND")]) == 1
    assert len(by_status[("Chat", "RESOURCE_EXHAUSTED")]) == 1
    unary = next(x for x in by_status[("Chat", "OK")] if x["model"] == "fast-model")
    assert unary["cost_nanos"] == COST and unary["backend"] == "primary"
    assert unary["input_tokens"] == 11 and unary["output_tokens"] == 4
    assert unary["attempts"] == 1 and unary["request_id"]
    fell_back = next(x for x in by_status[("Chat", "OK")] if x["alias"] == "chain")
    assert fell_back["attempts"] == 4 and fell_back["backend"] == "secondary"
    stream = by_status[("StreamChat", "OK")][0]
    assert 0 < float(stream["ttft_ms"]) <= float(stream["latency_ms"])  # type: ignore[arg-type]
    assert PROMPT not in logs
    # the cost counter and the lines agree (secondary is priced by genai-prices)
    secondary = sum(int(x["cost_nanos"]) for x in outcomes if x["backend"] == "secondary")  # type: ignore[call-overload]
    assert secondary > 0
    assert value(s, "llmgw_cost_nanos_total", backend="secondary") == secondary
