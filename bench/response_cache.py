"""Response-cache benchmark: what the cache costs on a miss, what a hit saves,
and the semantic index's search cost.

1. In process, the exact-cache step alone (``CacheStep`` ``before`` and
   ``after``) on a miss with the cache on (``READ_WRITE``: key, memory
   lookup, then encoding and storing the answer) and with it off (no
   policy): process CPU per request.
2. Through ``llmgw serve`` (a separate process, fake upstream on loopback):
   unary ``Chat`` proxied (``BYPASS``) against the same call answered from
   the cache (``READ_WRITE`` hit): p50/p99 latency and the gateway process's
   CPU per request, at concurrency 1 and 32.
3. ``SemanticIndex.search`` alone (no embedding call) at 10k and 100k entries
   in one partition, 256- and 1536-dimension vectors.

Usage: ``python bench/response_cache.py [--quick]``. Loopback only; every
phase is bounded in request count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import grpc
import numpy as np
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc, routing_pb2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hot_path import (
    ROOT,
    _cpu_seconds,
    _load,
    _percentile,
    _start,
    _stop,
    start_gateway,
)
from llmgw.domain.cache import CacheMode, CachePolicy
from llmgw.domain.deadline import Deadline
from llmgw.domain.generation import FinishReason, Usage
from llmgw.domain.messages import Message, Role, TextPart
from llmgw.domain.money import Cost
from llmgw.domain.principal import ANONYMOUS
from llmgw.domain.requests import (
    Attribution,
    Candidate,
    ChatRequest,
    ChatResponse,
    RoutingHints,
)
from llmgw.pipeline.cache.memory import MemoryCache
from llmgw.pipeline.cache.policy import CacheSettings
from llmgw.pipeline.cache.semantic import SemanticIndex, unit
from llmgw.pipeline.cache.store import ResponseCache
from llmgw.pipeline.context import CallContext, Operation
from llmgw.pipeline.results import RouteInfo
from llmgw.pipeline.steps.cache import CacheStep

MODEL = "bench-model"


def _context(i: int, policy: CachePolicy | None) -> CallContext:
    text = f"question number {i}: what does the gateway cost per request?"
    request = ChatRequest(
        MODEL, (Message(Role.USER, (TextPart(text),)),), routing=RoutingHints(cache=policy)
    )
    return CallContext(
        Operation.CHAT,
        request,
        ANONYMOUS,
        Attribution(),
        Deadline.after(60),
        f"r{i}",
        lambda: 12,
        response_id=f"id{i}",
    )


ANSWER = ChatResponse(
    "up",
    MODEL,
    (Candidate(0, Message(Role.ASSISTANT, (TextPart("Hello, world! " * 20),)), FinishReason.STOP),),
    Usage(12, 60),
)


async def step_cpu(requests: int) -> dict[str, float]:
    """CPU per request of the cache step: a miss with the cache on, and off."""
    step = CacheStep(ResponseCache(MemoryCache(256 * 1024 * 1024)), CacheSettings())
    results: dict[str, float] = {}
    for label, policy in (
        ("off (no policy)", None),
        ("miss, READ_WRITE", CachePolicy(CacheMode.READ_WRITE)),
    ):
        contexts = [_context(i, policy) for i in range(requests)]
        started = time.process_time()
        for ctx in contexts:
            await step.before(ctx)
            ctx.result, ctx.route, ctx.cost = ANSWER, RouteInfo(MODEL, MODEL, "fake"), Cost(1, 2)
            await step.after(ctx)
        results[label] = (time.process_time() - started) * 1000 / requests
    return results


async def through_gateway(requests: int) -> list[dict[str, object]]:
    env = {"PYTHONPATH": str(ROOT / "tests")}

    fake = _start(
        [sys.executable, "-m", "upstream_fakes", "--kind", "openai", "--port", "0"],
        {**os.environ, **env},
    )
    gateway = None
    rows: list[dict[str, object]] = []
    try:
        assert fake.stdout is not None
        upstream = fake.stdout.readline().split()[1]
        config = Path(tempfile.mkdtemp()) / "bench.yaml"
        config.write_text(
            "demo_enabled: false\nprobe_interval_seconds: 0\n"
            "backends:\n  - name: fake\n    kind: openai_compatible\n"
            f"    base_url: {upstream}\n    api_keys: [sk-bench]\n"
            f"    models:\n      - id: {MODEL}\n",
            encoding="utf-8",
        )
        gateway, address = await start_gateway(config, "warning")
        async with grpc.aio.insecure_channel(address) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            message = gateway_service_pb2.ChatRequest(model=MODEL)
            message.messages.add(role=1).parts.add(text="hello")
            proxied = gateway_service_pb2.ChatRequest()
            proxied.CopyFrom(message)
            proxied.routing.cache_policy.mode = routing_pb2.CACHE_MODE_BYPASS
            hit = gateway_service_pb2.ChatRequest()
            hit.CopyFrom(message)
            hit.routing.cache_policy.mode = routing_pb2.CACHE_MODE_READ_WRITE
            await stub.Chat(hit)  # stored

            async def call_proxied() -> None:
                await stub.Chat(proxied)

            async def call_hit() -> None:
                answer = await stub.Chat(hit)
                assert answer.route.cache_hit

            await _load(call_proxied, 4, 100)
            await _load(call_hit, 4, 100)
            for concurrency in (1, 32):
                for label, call in (("proxied", call_proxied), ("cache hit", call_hit)):
                    before = _cpu_seconds(gateway.pid)
                    latencies = await _load(call, concurrency, requests)
                    cpu = (_cpu_seconds(gateway.pid) - before) * 1000 / len(latencies)
                    rows.append(
                        {
                            "call": label,
                            "concurrency": concurrency,
                            "p50_ms": round(_percentile(latencies, 0.5), 3),
                            "p99_ms": round(_percentile(latencies, 0.99), 3),
                            "gateway_cpu_ms": round(cpu, 3),
                        }
                    )
    finally:
        if gateway is not None:
            _stop(gateway)
        _stop(fake)
    return rows


def semantic_search(sizes: tuple[int, ...], dims: tuple[int, ...], lookups: int) -> list[str]:
    rng = np.random.default_rng(7)
    lines = []
    for dim in dims:
        for size in sizes:
            index = SemanticIndex(size + 1)
            vectors = rng.standard_normal((size, dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            for v in vectors:
                index.add("tenant:t", "ctx", v, b"answer", time.time() + 3600)
            queries = [unit(rng.standard_normal(dim)) for _ in range(lookups)]
            started = time.perf_counter()
            cpu = time.process_time()
            for q in queries:
                index.search("tenant:t", "ctx", q, 0.95)
            wall = (time.perf_counter() - started) * 1000 / lookups
            cpu_ms = (time.process_time() - cpu) * 1000 / lookups
            lines.append(
                f"  {size:>7} entries x {dim:>4} dims: {wall:7.3f} ms wall, {cpu_ms:7.3f} ms CPU"
                f" per lookup ({vectors.nbytes / 2**20:.0f} MiB of vectors)"
            )
    return lines


async def serve_bare(port: int) -> None:
    """A bare ``grpc.aio`` GatewayService answering Chat from memory (uvloop,
    like the gateway): the floor a cache hit's latency is measured against."""
    import uvloop

    uvloop.install()

    class Bare(gateway_service_pb2_grpc.GatewayServiceServicer):
        async def Chat(self, request, context):  # type: ignore[no-untyped-def]
            response = gateway_service_pb2.ChatResponse(response_id="r", request_id="q")
            response.candidates.add().message.parts.add(text="Hello, world!")
            return response

    server = grpc.aio.server()
    gateway_service_pb2_grpc.add_GatewayServiceServicer_to_server(Bare(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print("READY", flush=True)
    await server.wait_for_termination()


async def bare_latency(requests: int) -> dict[int, float]:
    """p50 of a bare grpc.aio Chat (separate process) at concurrency 1 and 32."""
    from hot_path import _free_port

    port = _free_port()
    server = _start([sys.executable, __file__, "--serve-bare", str(port)], dict(os.environ))
    try:
        assert server.stdout is not None
        server.stdout.readline()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            request = gateway_service_pb2.ChatRequest(model=MODEL)

            async def call() -> None:
                await stub.Chat(request)

            await _load(call, 4, 100)
            return {c: round(_percentile(await _load(call, c, requests), 0.5), 3) for c in (1, 32)}
    finally:
        _stop(server)


async def main(quick: bool) -> None:
    requests = 200 if quick else 2000
    print("1. cache step CPU per request (in process)")
    for label, ms in (await step_cpu(2000 if quick else 20000)).items():
        print(f"  {label:<20} {ms:.4f} ms")
    print("2. through llmgw serve (unary Chat); added = p50 minus a bare grpc.aio Chat's p50")
    bare = await bare_latency(requests)
    for row in await through_gateway(requests):
        row["added_p50_ms"] = round(float(row["p50_ms"]) - bare[int(row["concurrency"])], 3)
        print("  ", row)
    print("   bare grpc.aio Chat p50:", bare)
    print("3. semantic index search (no embedding call)")
    for line in semantic_search((10_000, 100_000), (256, 1536), 20 if quick else 100):
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--serve-bare", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        asyncio.run(serve_bare(args.serve_bare))
    else:
        asyncio.run(main(args.quick))
