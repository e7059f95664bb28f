"""Interleaved gateway-vs-relay ratios (``python bench/hot_path.py --interleaved``).

One run starts, on loopback: the fake OpenAI-compatible upstream (50-chunk
streams), the bare relay (``bench/relay.py``: grpc.aio -> aiohttp, the floor
for a Python gateway) and ``llmgw serve`` in two configurations:

- ``default``: as ``llmgw serve`` starts (auth off, embedded SQLite ledger);
- ``prod``: auth on with an API key, one hard budget, one caller rate limit,
  the ledger, tracing off (metrics: the gateway has no metrics switch yet).

With ``--baseline-src DIR`` (a checkout whose ``server/`` holds another
version of ``llmgw``) the same two configurations also run from that tree, so
before and after share one run. Every target gets the same load in turns
(round-robin, ``--rounds`` times), so machine load drifts hit all alike; the
ratio is each target's process CPU per call over the relay's. Then: p50 at
concurrency 1 (what each adds over calling the upstream directly; turns of
50 calls rotating over the targets), resident
memory after warm-up, and resident memory with ``--open-streams`` concurrent
streams held open against a second, slow fake (bounded in wall time).

Targets (issue 16): default unary <= 1.6x, stream <= 1.35x; prod unary
<= 1.8x, stream <= 1.4x; added p50 at c=1 within 0.3 ms of the relay's;
<= 80 MiB after warm-up, <= 150 MiB with 1,000 open streams.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from hot_path import (
    CHUNKS,
    MODEL,
    ROOT,
    _cpu_seconds,
    _free_port,
    _load,
    _percentile,
    _start,
    _stop,
    _wait_ready,
)
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    content_pb2,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
)

ADMIN_KEY = "bench-admin-key-0123456789abcdef0123456789"
SLOW_MODEL = "bench-slow"
OPEN_STREAMS_WALL_LIMIT = 60.0
LATENCY_TURN = 50  # c=1 calls per target per turn (see _latencies_c1)


@dataclass
class Target:
    """One process answering GatewayService, and what was measured on it."""

    name: str
    process: subprocess.Popen[str]
    address: str
    metadata: tuple[tuple[str, str], ...] = ()
    cpu: dict[str, float] = field(default_factory=dict)  # scenario -> CPU seconds
    calls: dict[str, int] = field(default_factory=dict)
    p50_c1: dict[str, float] = field(default_factory=dict)
    rss_warm_mib: float = 0.0
    rss_open_streams_mib: float = 0.0


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _config(upstream: str, slow: str, data: Path, prod: bool) -> str:
    text = (
        "demo_enabled: false\n"
        "probe_interval_seconds: 0\n"
        f"ledger:\n  sqlite_path: {data / 'ledger.sqlite3'}\n"
        f"  outbox_path: {data / 'outbox.sqlite3'}\n"
        "backends:\n"
        "  - name: fake\n"
        "    kind: openai_compatible\n"
        f"    base_url: {upstream}\n"
        "    api_keys: [sk-bench]\n"
        "    models:\n"
        f"      - id: {MODEL}\n"
        "        upstream_id: gpt-4o-mini\n"  # priced from the genai-prices catalogue
        "        capabilities: [streaming]\n"
        "  - name: slow\n"
        "    kind: openai_compatible\n"
        f"    base_url: {slow}\n"
        "    api_keys: [sk-bench]\n"
        "    max_connections: 2000\n"
        "    models:\n"
        f"      - id: {SLOW_MODEL}\n"
        "        capabilities: [streaming]\n"
    )
    if prod:
        text += (
            "auth:\n  enabled: true\n"
            "budgets:\n  budgets:\n"
            "    - name: bench-hard\n      scope: tenant\n      value: bench\n"
            "      limit: '1000000'\n      enforcement: hard\n"
            "rate_limits:\n  tenant:\n    rpm: 100000000\n"
        )
    return text


async def _start_gateway(
    name: str, src: Path | None, config: str, data: Path, prod: bool
) -> subprocess.Popen[str]:
    path = data / "config.yaml"
    path.write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    if prod:  # the admin key alone turns authentication on
        env["LLMGW_ADMIN_KEY"] = ADMIN_KEY
    env.pop("LLMGW_DATABASE_URL", None)
    env.pop("LLMGW_REDIS_URL", None)
    if src is not None:
        env["PYTHONPATH"] = str(src / "server")
    for attempt in range(3):
        port, admin, metrics = _free_port(), _free_port(), _free_port()
        command = [sys.executable, "-m", "llmgw", "serve", "--config", str(path)]
        command += ["--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}"]
        command += ["--metrics-listen", f"127.0.0.1:{metrics}"]  # metrics on, own port
        gateway = _start([*command, "--log-level", "warning"], env)
        gateway.address = f"127.0.0.1:{port}"  # type: ignore[attr-defined]
        gateway.admin = f"127.0.0.1:{admin}"  # type: ignore[attr-defined]
        try:
            await _wait_ready(f"127.0.0.1:{port}", gateway)
            return gateway
        except RuntimeError:
            _stop(gateway)
            if attempt == 2:
                raise RuntimeError(f"{name} did not start") from None
    raise AssertionError("unreachable")


async def _api_key(admin_address: str) -> tuple[tuple[str, str], ...]:
    async with grpc.aio.insecure_channel(admin_address) as channel:
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        request = admin_service_pb2.CreateApiKeyRequest(
            key_id="bench", api_key=admin_service_pb2.ApiKey(tenant="bench", scopes=["chat"])
        )
        made = await admin.CreateApiKey(
            request, metadata=(("authorization", f"Bearer {ADMIN_KEY}"),)
        )
    return (("authorization", f"Bearer {made.secret}"),)


def _start_line(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = _start(command, env)
    assert process.stdout is not None
    ready = process.stdout.readline().split()
    if not ready or ready[0] != "READY":
        _stop(process)
        raise RuntimeError(f"{command[2]} did not start")
    return process, ready[1]


async def start_targets(
    baseline: Path | None, tmp: Path, processes: list[subprocess.Popen[str]]
) -> tuple[list[Target], Target]:
    """Fakes, relays and gateways; the last element is the slow relay."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    fake_cmd = [sys.executable, "-m", "upstream_fakes", "--kind", "openai", "--port", "0"]
    fake, upstream = _start_line([*fake_cmd, "--chunks", str(CHUNKS)], env)
    processes.append(fake)
    slow_fake, slow = _start_line([*fake_cmd, "--chunks", "40", "--chunk-delay", "0.5"], env)
    processes.append(slow_fake)
    relay_cmd = [sys.executable, str(ROOT / "bench" / "relay.py"), "--port", "0", "--upstream"]
    relay, relay_address = _start_line([*relay_cmd, upstream], dict(os.environ))
    processes.append(relay)
    slow_relay, slow_address = _start_line([*relay_cmd, slow], dict(os.environ))
    processes.append(slow_relay)
    targets = [Target("relay", relay, relay_address)]
    sources: list[tuple[str, Path | None]] = [("", None)]
    if baseline is not None:
        sources.insert(0, ("before-", baseline))
    for label, src in sources:
        for prod in (False, True):
            name = f"{label}{'prod' if prod else 'default'}"
            data = tmp / name
            data.mkdir()
            gateway = await _start_gateway(
                name, src, _config(upstream, slow, data, prod), data, prod
            )
            processes.append(gateway)
            target = Target(name, gateway, gateway.address)  # type: ignore[attr-defined]
            if prod:
                target.metadata = await _api_key(gateway.admin)  # type: ignore[attr-defined]
            targets.append(target)
    return targets, Target("relay", slow_relay, slow_address)


def _requests(
    model: str,
) -> tuple[gateway_service_pb2.ChatRequest, gateway_service_pb2.StreamChatRequest]:
    message = content_pb2.Message(
        role=content_pb2.ROLE_USER, parts=[content_pb2.Part(text="hello")]
    )
    chat = gateway_service_pb2.ChatRequest(model=model, messages=[message])
    return chat, gateway_service_pb2.StreamChatRequest(chat=chat)


def _calls(
    stub: gateway_service_pb2_grpc.GatewayServiceStub, metadata: tuple[tuple[str, str], ...]
) -> dict[str, Callable[[], Awaitable[None]]]:
    chat, stream = _requests(MODEL)

    async def unary() -> None:
        await stub.Chat(chat, metadata=metadata)

    async def stream50() -> None:
        text = 0
        async for event in stub.StreamChat(stream, metadata=metadata):
            if event.WhichOneof("event") == "delta":
                text += len(event.delta.text)
        if text != CHUNKS * len("tok "):
            raise RuntimeError(f"expected {CHUNKS} chunks of text, got {text} characters")

    return {"unary": unary, "stream50": stream50}


async def measure(
    targets: list[Target], rounds: int, unary: int, streams: int, latency_calls: int
) -> None:
    channels = [grpc.aio.insecure_channel(t.address) for t in targets]
    try:
        calls = [
            _calls(gateway_service_pb2_grpc.GatewayServiceStub(c), t.metadata)
            for c, t in zip(channels, targets, strict=True)
        ]
        for target, call in zip(targets, calls, strict=True):  # warm-up
            await _load(call["unary"], 8, 300)
            await _load(call["stream50"], 8, 40)
            target.rss_warm_mib = rss_mib(target.process.pid)
        counts = {"unary": unary, "stream50": streams}
        for turn in range(rounds):
            for scenario, count in counts.items():
                order = list(range(len(targets)))
                order = order[turn % len(order) :] + order[: turn % len(order)]
                for i in order:
                    target = targets[i]
                    before = _cpu_seconds(target.process.pid)
                    done = await _load(calls[i][scenario], 32, count)
                    target.cpu[scenario] = target.cpu.get(scenario, 0.0) + (
                        _cpu_seconds(target.process.pid) - before
                    )
                    target.calls[scenario] = target.calls.get(scenario, 0) + len(done)
        latencies = await _latencies_c1(targets, calls, rounds * latency_calls)
        for target in targets:
            target.p50_c1["unary"] = _percentile(latencies[target.name], 0.5)
    finally:
        for channel in channels:
            await channel.close()


async def _latencies_c1(
    targets: list[Target], calls: list[dict[str, Callable[[], Awaitable[None]]]], per_target: int
) -> dict[str, list[float]]:
    """Unary latencies at concurrency 1, ``per_target`` calls each, in turns of
    ``LATENCY_TURN`` calls rotating over the targets: a burst of load from
    elsewhere on the machine (seconds long) lands on every target alike
    instead of on whichever one was measuring then."""
    latencies: dict[str, list[float]] = {t.name: [] for t in targets}
    turns = max(1, -(-per_target // LATENCY_TURN))
    for turn in range(turns):
        count = min(LATENCY_TURN, per_target - turn * LATENCY_TURN)
        order = list(range(len(targets)))
        order = order[turn % len(order) :] + order[: turn % len(order)]
        for i in order:
            latencies[targets[i].name] += await _load(calls[i]["unary"], 1, count)
    return latencies


async def open_streams(target: Target, address: str, count: int) -> float:
    """Peak RSS (MiB) of ``target`` while ``count`` slow streams are open at once."""
    _, stream = _requests(SLOW_MODEL)
    started = 0
    all_open = asyncio.Event()
    peak = 0.0
    channels = [grpc.aio.insecure_channel(address) for _ in range(max(1, count // 100))]

    async def one(i: int) -> None:
        nonlocal started
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channels[i % len(channels)])
        call = stub.StreamChat(stream, metadata=target.metadata)
        counted = False
        async for event in call:
            if not counted and event.WhichOneof("event") == "delta":
                counted = True
                started += 1
                if started == count:
                    all_open.set()

    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    try:
        await asyncio.wait_for(all_open.wait(), OPEN_STREAMS_WALL_LIMIT)
        end = time.monotonic() + 3.0
        while time.monotonic() < end:
            peak = max(peak, rss_mib(target.process.pid))
            await asyncio.sleep(0.2)
    except TimeoutError:
        print(f"{target.name}: only {started}/{count} streams open in time", file=sys.stderr)
        peak = max(peak, rss_mib(target.process.pid))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for channel in channels:
            await channel.close()
    return peak


def report(targets: list[Target]) -> list[dict[str, object]]:
    relay = targets[0]
    rows: list[dict[str, object]] = []
    for target in targets:
        row: dict[str, object] = {"target": target.name}
        for scenario in ("unary", "stream50"):
            ms = target.cpu[scenario] * 1000 / max(1, target.calls[scenario])
            base = relay.cpu[scenario] * 1000 / max(1, relay.calls[scenario])
            row[f"{scenario}_cpu_ms"] = round(ms, 3)
            row[f"{scenario}_ratio"] = round(ms / base, 2) if base else None
        row["p50_c1_ms"] = round(target.p50_c1["unary"], 3)
        row["p50_c1_minus_relay_ms"] = round(target.p50_c1["unary"] - relay.p50_c1["unary"], 3)
        row["rss_warm_mib"] = round(target.rss_warm_mib, 1)
        row["rss_open_streams_mib"] = round(target.rss_open_streams_mib, 1)
        rows.append(row)
    header = list(rows[0])
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for row in rows:
        print(" | ".join(str(row[h]) for h in header))
    return rows


async def run(
    baseline: Path | None, rounds: int, unary: int, streams: int, open_count: int
) -> list[dict[str, object]]:
    processes: list[subprocess.Popen[str]] = []
    # Stop the processes before the temporary directory goes: a gateway still
    # applying its ledger journal would race the removal.
    with tempfile.TemporaryDirectory() as tmp:
        try:
            targets, slow_relay = await start_targets(baseline, Path(tmp), processes)
            await measure(targets, rounds, unary, streams, latency_calls=max(50, unary // 4))
            if open_count:
                slow_relay.metadata = ()
                relay = targets[0]
                relay.rss_open_streams_mib = await open_streams(
                    slow_relay, slow_relay.address, open_count
                )
                for target in targets[1:]:
                    if target.name.endswith("default"):
                        target.rss_open_streams_mib = await open_streams(
                            target, target.address, open_count
                        )
            return report(targets)
        finally:
            for process in reversed(processes):
                _stop(process)
