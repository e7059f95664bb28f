"""Instruction counts (callgrind) of a real ``llmgw serve``: N unary Chat + N/10 50-chunk streams.

Machine load does not change instruction counts, so a before/after of one change compares
``count(N=1000) - count(N=200)`` (start-up cancels out) for two trees:

    python bench/telemetry_cost.py after200 200
    python bench/telemetry_cost.py after1000 1000
    PYTHONPATH=<old tree>/server python bench/telemetry_cost.py before200 200 --before
    python bench/telemetry_cost.py traced200 200 --otlp-port <port of an OTLP sink>

``--before`` runs whatever ``llmgw`` PYTHONPATH names, without ``--metrics-listen`` (a tree
older than that option); ``--info`` logs at info (the outcome line is written); ``--otlp-port``
exports every span (``always_on``) to 127.0.0.1:<port>; ``--mode unary|stream`` sends only the
unary calls or only the N/10 streams. Needs valgrind. Loopback only, bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "clients" / "python")]

from helpers import chat  # noqa: E402  (tests/ helpers: the fake upstream and requests)
from llmgateway.v1 import gateway_service_pb2, gateway_service_pb2_grpc  # noqa: E402
from upstream_fakes import FakeOpenAI  # noqa: E402


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(args: argparse.Namespace, config: Path, ports: tuple[int, int]) -> list[str]:
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file=/tmp/llmgw-cg-{args.label}.out",
        sys.executable, "-m", "llmgw", "serve", "--config", str(config),
        "--listen", f"127.0.0.1:{ports[0]}", "--admin-listen", f"127.0.0.1:{ports[1]}",
        "--log-level", "info" if args.info else "warning",
    ]  # fmt: skip
    if not args.before:
        command += ["--metrics-listen", "127.0.0.1:0"]
    return command


async def _wait_ready(channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for _ in range(600):  # valgrind start-up takes a minute or two
        try:
            request = health_pb2.HealthCheckRequest(service="readiness")
            reply = await health.Check(request, timeout=5)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.aio.AioRpcError:
            pass
        await asyncio.sleep(1)
    raise SystemExit("gateway did not become ready")


async def _load(address: str, n: int, mode: str) -> float:
    async with grpc.aio.insecure_channel(address) as channel:
        await _wait_ready(channel)
        stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
        for _ in range(20):
            await stub.Chat(chat("m"), timeout=120)
        started = time.monotonic()
        for _ in range(n if mode != "stream" else 0):
            await stub.Chat(chat("m"), timeout=120)
        request = gateway_service_pb2.StreamChatRequest(chat=chat("m"))
        for _ in range(n // 10 if mode != "unary" else 0):
            async for _ in stub.StreamChat(request, timeout=120):
                pass
        return time.monotonic() - started


async def main(args: argparse.Namespace) -> None:
    folder = Path(f"/tmp/llmgw-cg-{args.label}")
    folder.mkdir(exist_ok=True)  # noqa: ASYNC240  (before any load)
    async with FakeOpenAI(api_key="k") as fake:
        fake.default_chunks = ["tok"] * 50
        config = folder / "config.yaml"
        backend = {
            "name": "b", "kind": "openai_compatible", "base_url": fake.base_url,
            "api_keys": ["k"], "models": [{"id": "m", "capabilities": ["streaming"]}],
        }  # fmt: skip
        settings = {
            "demo_enabled": False, "probe_interval_seconds": 0, "backends": [backend],
            "ledger": {"sqlite_path": str(folder / f"ledger-{time.time_ns()}.sqlite3")},
        }  # fmt: skip
        config.write_text(yaml.safe_dump(settings), encoding="utf-8")
        env = dict(os.environ)
        if args.otlp_port:
            env.update(
                OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{args.otlp_port}",
                OTEL_EXPORTER_OTLP_INSECURE="true",
                OTEL_TRACES_SAMPLER="always_on",
            )
        ports = (_port(), _port())
        log = folder / "valgrind.err"
        with log.open("w") as err:
            process = subprocess.Popen(  # noqa: ASYNC220  (starts the gateway; no load yet)
                _command(args, config, ports), env=env, stdout=subprocess.DEVNULL, stderr=err
            )
            took = await _load(f"127.0.0.1:{ports[0]}", args.n, args.mode)
            process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(process.wait, 600)
    found = re.search(r"Collected : (\d+)", log.read_text(errors="replace"))
    print(args.label, args.n, "instructions", found.group(1) if found else "?", f"{took:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("label")
    parser.add_argument("n", type=int)
    parser.add_argument("--before", action="store_true")
    parser.add_argument("--info", action="store_true")
    parser.add_argument("--otlp-port", type=int, default=0)
    parser.add_argument("--mode", choices=("mix", "unary", "stream"), default="mix")
    asyncio.run(main(parser.parse_args()))
