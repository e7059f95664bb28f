"""AdminService.ExplainRoute and ``llmgw route explain`` against a running
gateway: the ordered targets with every check's verdict, estimated cost and
score, no upstream called; the order is the one the attempt loop then uses."""

from __future__ import annotations

import asyncio
import os
import sys
from contextlib import AsyncExitStack
from pathlib import Path

import grpc
import pytest
from conftest import gateway_at
from helpers import chat
from llmgateway.v1 import admin_service_pb2 as _pb
from llmgateway.v1 import admin_service_pb2_grpc, gateway_service_pb2_grpc, routing_pb2
from upstream_fakes import FakeOpenAI, Reply

LONG = "word " * 100  # ~125 estimated tokens: too long for a 50-token window
TOOLS = routing_pb2.RoutingOptions(required_capabilities=[routing_pb2.CAPABILITY_TOOLS])


def _backend(name: str, url: str, window: int, caps: list[str], **extra: object) -> dict:
    return {
        "name": name,
        "kind": "openai_compatible",
        "base_url": url,
        "models": [{"id": "m", "context_window": window, "capabilities": caps}],
        "retry": {"max_retries": 0},
        **extra,
    }


def _price(inp: str, out: str) -> dict[str, str]:
    return {"input_per_million_tokens": inp, "output_per_million_tokens": out}


async def _env(stack: AsyncExitStack):  # type: ignore[no-untyped-def]
    fakes = {
        name: await stack.enter_async_context(FakeOpenAI(api_key=None))
        for name in ("dear", "cheap", "tiny", "plain")
    }
    settings = {
        "demo_enabled": False,
        "backends": [
            _backend("dear", fakes["dear"].base_url, 8000, ["tools"]),
            _backend(
                "cheap", fakes["cheap"].base_url, 8000, ["tools"],
                keys=[{"id": "only", "api_key": "sk-one", "rpm": 1}],
            ),
            _backend("tiny", fakes["tiny"].base_url, 50, ["tools"]),
            _backend("plain", fakes["plain"].base_url, 8000, []),
        ],
        "prices": {
            "dear/m": _price("10", "30"),
            "cheap/m": _price("0.1", "0.4"),
            "tiny/m": _price("1", "2"),
            "plain/m": _price("1", "2"),
        },
        "aliases": {"pool": ["dear/m", "cheap/m", "tiny/m", "plain/m"]},
        "routing": {"strategies": {"pool": "cost"}},
    }  # fmt: skip
    running = await stack.enter_async_context(gateway_at(settings))
    data = await stack.enter_async_context(grpc.aio.insecure_channel(running.data_address))
    admin = await stack.enter_async_context(grpc.aio.insecure_channel(running.admin_address))
    return (
        running,
        gateway_service_pb2_grpc.GatewayServiceStub(data),
        admin_service_pb2_grpc.AdminServiceStub(admin),
        fakes,
    )


def _view(reply: _pb.ExplainRouteResponse) -> list[tuple[int, str, dict[str, bool]]]:
    return [
        (c.position, c.backend, {k.check: k.passed for k in c.checks}) for c in reply.candidates
    ]


def _nanos(money) -> int:  # type: ignore[no-untyped-def]
    return int(money.units) * 1_000_000_000 + int(money.nanos)


async def test_explain_reports_order_verdicts_costs_and_calls_nothing() -> None:
    async with AsyncExitStack() as stack:
        _, stub, admin, fakes = await _env(stack)
        request = chat("pool", LONG, routing=TOOLS)
        reply = await admin.ExplainRoute(_pb.ExplainRouteRequest(chat=request))
        assert reply.alias == "pool" and reply.strategy == "cost"
        assert reply.estimated_input_token_count > 100
        passed = dict.fromkeys(
            ("CAPABILITY", "CONTEXT_WINDOW", "COST_CAP", "CIRCUIT", "KEY_CAPACITY"), True
        )
        assert _view(reply) == [
            (1, "backends/cheap", passed),
            (2, "backends/dear", passed),
            (0, "backends/tiny", {"CAPABILITY": True, "CONTEXT_WINDOW": False}),
            (0, "backends/plain", {"CAPABILITY": False}),
        ]
        cheap, dear, tiny, _ = reply.candidates
        assert 0 < _nanos(cheap.estimated_cost) < _nanos(dear.estimated_cost)
        assert cheap.score == _nanos(cheap.estimated_cost)  # the cost strategy's sort key
        assert not tiny.HasField("estimated_cost") and "50-token" in tiny.checks[-1].detail
        assert all(not f.requests for f in fakes.values())  # nothing went upstream

        # The attempt loop follows the explained order: cheap first, then dear.
        fakes["cheap"].enqueue(Reply(status=503))
        response = await stub.Chat(request)
        assert response.route.backend == "dear"
        assert list(response.route.failed_backends) == ["cheap"]


async def test_open_circuit_and_exhausted_keys_show_as_call_time_failures() -> None:
    async with AsyncExitStack() as stack:
        _, stub, admin, _ = await _env(stack)
        await admin.OpenCircuitBreaker(_pb.OpenCircuitBreakerRequest(backend="backends/dear"))
        reply = await admin.ExplainRoute(_pb.ExplainRouteRequest(chat=chat("pool", "hi")))
        rows = {c.backend: c for c in reply.candidates}
        dear = rows["backends/dear"]
        assert dear.position == 4  # behind every healthy target, still eligible
        assert dear.circuit_state == _pb.CIRCUIT_STATE_OPEN
        assert {k.check: k.passed for k in dear.checks}["CIRCUIT"] is False

        await stub.Chat(chat("cheap/m", "hi"))  # the cheap backend's only key: rpm 1, used
        reply = await admin.ExplainRoute(_pb.ExplainRouteRequest(chat=chat("pool", "hi")))
        cheap = next(c for c in reply.candidates if c.backend == "backends/cheap")
        key_check = next(k for k in cheap.checks if k.check == "KEY_CAPACITY")
        assert not key_check.passed and key_check.detail


async def test_unknown_model_is_not_found() -> None:
    async with AsyncExitStack() as stack:
        _, _, admin, _ = await _env(stack)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await admin.ExplainRoute(_pb.ExplainRouteRequest(chat=chat("nope")))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_llmgw_route_explain_prints_the_plan() -> None:
    async with AsyncExitStack() as stack:
        running, _, _, fakes = await _env(stack)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LLMGW_")}
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "llmgw"), "route", "explain", "pool", LONG,
            "--admin", running.admin_address,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()
        text = out.decode()
        assert "alias=pool strategy=cost" in text
        lines = [line for line in text.splitlines() if " m " in line]
        cells = [[c.strip() for c in line.split("│") if c.strip()] for line in lines]
        assert [row[:2] for row in cells] == [
            ["1", "cheap"], ["2", "plain"], ["3", "dear"], ["-", "tiny"],
        ]  # fmt: skip
        assert "CONTEXT_WINDOW:FAIL" in lines[3]
        assert all(not f.requests for f in fakes.values())


async def test_fallback_mode_none_keeps_only_the_first_in_the_explanation() -> None:
    async with AsyncExitStack() as stack:
        _, _, admin, _ = await _env(stack)
        none = routing_pb2.RoutingOptions(fallback_mode=routing_pb2.FALLBACK_MODE_NONE)
        reply = await admin.ExplainRoute(_pb.ExplainRouteRequest(chat=chat("pool", routing=none)))
        eligible = [c.backend for c in reply.candidates if c.eligible]
        assert eligible == ["backends/cheap"]
        left_out = {c.backend: [k.check for k in c.checks] for c in reply.candidates}
        assert left_out["backends/dear"] == ["FALLBACK_MODE"]
