"""Hot-path benchmark: the gateway's added latency and CPU per request.

Starts a fake OpenAI-compatible upstream (``tests/upstream_fakes``, 50-chunk
streams) and the gateway (``llmgw serve``) as separate processes on loopback,
then drives the same load two ways: straight at the fake (aiohttp), and
through the gateway (generated gRPC stubs). Prints p50/p99 latency of both and
their difference (what the gateway adds), at concurrency 1 and 32, for unary
``Chat`` and 50-chunk ``StreamChat``, and the gateway process's CPU
milliseconds per request, read from ``/proc/<pid>/stat``.

Targets on a 2-core machine: < 0.5 ms CPU per unary request and < 3 ms CPU
per 50-chunk stream in the gateway process.

Usage: ``python bench/hot_path.py [--quick] [--json PATH]``. Traffic goes to
127.0.0.1 only; every phase is bounded in request count and wall time.

``--interleaved [--baseline-src DIR] [--rounds N] [--open-streams N]``: the
gateway (default and production-like configurations, optionally also from
another checkout) against the bare relay ``bench/relay.py`` on the same fake
upstream, in turns, printing CPU-per-call ratios, p50 at concurrency 1, and
resident memory after warm-up and with N slow streams open (``ratios.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from llmgateway.v1 import content_pb2, gateway_service_pb2, gateway_service_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
PHASE_WALL_LIMIT = 120.0  # seconds per phase, whatever the request count
MODEL = "bench-model"
CHUNKS = 50


@dataclass
class Phase:
    name: str
    target: str
    concurrency: int
    requests: int
    p50_ms: float
    p99_ms: float
    gateway_cpu_ms_per_request: float | None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK  # utime, stime


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _load(call: Callable[[], Awaitable[None]], concurrency: int, count: int) -> list[float]:
    latencies: list[float] = []
    remaining = count
    deadline = time.monotonic() + PHASE_WALL_LIMIT

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0 and time.monotonic() < deadline:
            remaining -= 1
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _wait_ready(address: str, gateway: subprocess.Popen[str]) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for _ in range(200):
            if gateway.poll() is not None:
                raise RuntimeError(
                    f"gateway exited: {gateway.stderr.read() if gateway.stderr else ''}"
                )
            try:
                reply = await health.Check(
                    health_pb2.HealthCheckRequest(service="readiness"), timeout=1
                )
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("gateway not ready after 20 s")


async def start_gateway(config: Path, log_level: str) -> tuple[subprocess.Popen[str], str]:
    """``llmgw serve`` on free loopback ports, ready; no provider keys from the env."""
    for attempt in range(3):  # a just-freed port can be taken again: retry
        port, admin = _free_port(), _free_port()
        gateway = _start(
            [
                sys.executable,
                "-m",
                "llmgw",
                "serve",
                "--metrics-listen",
                "127.0.0.1:0",
                "--config",
                str(config),
                "--listen",
                f"127.0.0.1:{port}",
                "--admin-listen",
                f"127.0.0.1:{admin}",
                "--log-level",
                log_level,
            ],
            {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")},
        )
        address = f"127.0.0.1:{port}"
        try:
            await _wait_ready(address, gateway)
            return gateway, address
        except RuntimeError:
            _stop(gateway)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def run(unary: int, streams: int) -> list[Phase]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    fake = _start(
        [
            sys.executable,
            "-m",
            "upstream_fakes",
            "--kind",
            "openai",
            "--port",
            "0",
            "--chunks",
            str(CHUNKS),
        ],
        env,
    )
    gateway: subprocess.Popen[str] | None = None
    try:
        assert fake.stdout is not None
        ready = fake.stdout.readline().split()
        if not ready or ready[0] != "READY":
            raise RuntimeError(
                f"fake upstream did not start: {fake.stderr.read() if fake.stderr else ''}"
            )
        upstream = ready[1]
        config = Path(tempfile.mkdtemp()) / "bench.yaml"
        config.write_text(
            "demo_enabled: false\n"
            "backends:\n"
            "  - name: fake\n"
            "    kind: openai_compatible\n"
            f"    base_url: {upstream}\n"
            "    api_keys: [sk-bench]\n"
            "    models:\n"
            f"      - id: {MODEL}\n"
            "        capabilities: [streaming]\n",
            encoding="utf-8",
        )
        gateway, address = await start_gateway(config, "warning")
        return await _measure(upstream, address, gateway.pid, unary, streams)
    finally:
        if gateway is not None:
            _stop(gateway)
        _stop(fake)


async def _measure(
    upstream: str, address: str, gateway_pid: int, unary: int, streams: int
) -> list[Phase]:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hello"}]}
    stream_body = {**body, "stream": True, "stream_options": {"include_usage": True}}
    message = content_pb2.Message(
        role=content_pb2.ROLE_USER, parts=[content_pb2.Part(text="hello")]
    )
    chat = gateway_service_pb2.ChatRequest(model=MODEL, messages=[message])
    stream_request = gateway_service_pb2.StreamChatRequest(chat=chat)
    phases: list[Phase] = []
    connector = aiohttp.TCPConnector(limit=64)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        grpc.aio.insecure_channel(address) as channel,
    ):
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)

        async def direct_unary() -> None:
            async with session.post(upstream + "/chat/completions", json=body) as response:
                await response.read()

        async def direct_stream() -> None:
            async with session.post(upstream + "/chat/completions", json=stream_body) as response:
                async for _ in response.content.iter_any():
                    pass

        async def gateway_unary() -> None:
            await stub.Chat(chat)

        async def gateway_stream() -> None:
            deltas = 0
            async for event in stub.StreamChat(stream_request):
                deltas += event.WhichOneof("event") == "delta"
            if deltas != CHUNKS:
                raise RuntimeError(f"expected {CHUNKS} deltas, got {deltas}")

        # Warm-up: connections, caches, JIT-free but allocator-warm.
        await _load(direct_unary, 4, 50)
        await _load(gateway_unary, 4, 100)
        await _load(gateway_stream, 4, 20)

        plan = [
            ("unary", direct_unary, gateway_unary, unary),
            ("stream50", direct_stream, gateway_stream, streams),
        ]
        for name, direct, through, count in plan:
            for concurrency in (1, 32):
                latencies = await _load(direct, concurrency, count)
                phases.append(_phase(name, "direct", concurrency, latencies, None))
                before = _cpu_seconds(gateway_pid)
                latencies = await _load(through, concurrency, count)
                cpu = (_cpu_seconds(gateway_pid) - before) * 1000 / max(1, len(latencies))
                phases.append(_phase(name, "gateway", concurrency, latencies, cpu))
    return phases


def _phase(
    name: str, target: str, concurrency: int, latencies: list[float], cpu: float | None
) -> Phase:
    return Phase(
        name,
        target,
        concurrency,
        len(latencies),
        round(_percentile(latencies, 0.5), 3),
        round(_percentile(latencies, 0.99), 3),
        None if cpu is None else round(cpu, 3),
    )


def report(phases: list[Phase]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for phase in phases:
        if phase.target != "gateway":
            continue
        direct = next(
            p
            for p in phases
            if p.target == "direct" and p.name == phase.name and p.concurrency == phase.concurrency
        )
        target = 0.5 if phase.name == "unary" else 3.0
        rows.append(
            {
                "scenario": phase.name,
                "concurrency": phase.concurrency,
                "requests": phase.requests,
                "direct_p50_ms": direct.p50_ms,
                "direct_p99_ms": direct.p99_ms,
                "gateway_p50_ms": phase.p50_ms,
                "gateway_p99_ms": phase.p99_ms,
                "added_p50_ms": round(phase.p50_ms - direct.p50_ms, 3),
                "added_p99_ms": round(phase.p99_ms - direct.p99_ms, 3),
                "gateway_cpu_ms_per_request": phase.gateway_cpu_ms_per_request,
                "cpu_target_ms": target,
            }
        )
    header = list(rows[0])
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(str(row[h]) for h in header))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 unary / 30 streams per phase")
    parser.add_argument("--unary", type=int, default=2000)
    parser.add_argument("--streams", type=int, default=300)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    parser.add_argument(
        "--interleaved",
        action="store_true",
        help="gateway (default and production-like configs) vs bench/relay.py, in turns: ratios",
    )
    parser.add_argument("--rounds", type=int, default=3, help="turns per target (--interleaved)")
    parser.add_argument(
        "--baseline-src", type=Path, help="also run the llmgw under DIR/server (--interleaved)"
    )
    parser.add_argument(
        "--open-streams", type=int, default=1000, help="slow streams held open (0: skip)"
    )
    args = parser.parse_args()
    unary, streams = (200, 30) if args.quick else (args.unary, args.streams)
    import uvloop

    if args.interleaved:
        import ratios

        per_round = (max(1, unary // args.rounds), max(1, streams // args.rounds))
        rows = uvloop.run(ratios.run(args.baseline_src, args.rounds, *per_round, args.open_streams))
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"ratios": rows}, indent=2) + "\n", encoding="utf-8")
        return

    phases = uvloop.run(run(unary, streams))
    rows = report(phases)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"phases": [asdict(p) for p in phases], "summary": rows}, indent=2) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
