"""Instructions per call of one gateway under ``valgrind --tool=callgrind``.

CPU time on a shared machine moves 10-20 % between runs; instruction counts do
not. This starts the fake upstream and one ``llmgw serve`` (``default`` or
``prod`` configuration, as in ``ratios.py``) under callgrind with
instrumentation off, warms it up, switches instrumentation on for exactly
``--calls`` calls at concurrency 32, dumps, and prints instructions per call
(all threads, user space only: kernel work such as thread wake-ups is not
counted, so a change that saves syscalls or GIL hand-offs shows in
``ratios.py``, not here).

``python bench/callgrind.py default unary --calls 600 [--src DIR]``; ``--src``
runs the ``llmgw`` under ``DIR/server`` (another checkout) for a before/after.
Needs the Debian ``valgrind`` package. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc
import ratios
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hot_path import CHUNKS, _load
from llmgateway.v1 import gateway_service_pb2_grpc

READY_POLLS = 600  # x 0.5 s: a Python start under valgrind is slow


def _under_callgrind(out: Path) -> None:
    start = ratios._start

    def wrapped(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
        if "llmgw" in command:
            # --trace-children: `llmgw serve` execs into its serving image (same PID)
            valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
            valgrind.append("--trace-children=yes")
            command = [*valgrind, f"--callgrind-out-file={out}/cg.%p", *command]
        return start(command, env)

    async def wait_ready(address: str, gateway: subprocess.Popen[str]) -> None:
        async with grpc.aio.insecure_channel(address) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            request = health_pb2.HealthCheckRequest(service="readiness")
            for _ in range(READY_POLLS):
                if gateway.poll() is not None:
                    raise RuntimeError("gateway exited under valgrind")
                try:
                    reply = await health.Check(request, timeout=2)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.aio.AioRpcError:
                    pass
                await asyncio.sleep(0.5)
        raise RuntimeError("gateway not ready under valgrind")

    ratios._start = wrapped
    ratios._wait_ready = wait_ready


def _control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args], capture_output=True, check=False, timeout=60)


def _instructions(out: Path, pid: int) -> int:
    total = 0
    for path in out.glob(f"cg.{pid}*"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                total += int(line.split()[1])
                break
    return total


async def measure(config: str, scenario: str, calls: int, src: Path | None) -> float:
    out = Path(tempfile.mkdtemp(prefix="callgrind-"))
    _under_callgrind(out)
    processes: list[subprocess.Popen[str]] = []
    try:
        env = {**os.environ, "PYTHONPATH": str(ratios.ROOT / "tests")}
        fake_cmd = [sys.executable, "-m", "upstream_fakes", "--kind", "openai", "--port", "0"]
        fake, upstream = ratios._start_line([*fake_cmd, "--chunks", str(CHUNKS)], env)
        processes.append(fake)
        data = out / "state"
        data.mkdir()
        prod = config == "prod"
        text = ratios._config(upstream, upstream, data, prod)
        gateway = await ratios._start_gateway(config, src, text, data, prod)
        processes.append(gateway)
        metadata = await ratios._api_key(gateway.admin) if prod else ()  # type: ignore[attr-defined]
        async with grpc.aio.insecure_channel(gateway.address) as channel:  # type: ignore[attr-defined]
            call = ratios._calls(gateway_service_pb2_grpc.GatewayServiceStub(channel), metadata)
            await _load(call[scenario], 8, 100)
            _control("-i", "on", str(gateway.pid))
            done = await _load(call[scenario], 32, calls)
            _control("-d", str(gateway.pid))
            _control("-i", "off", str(gateway.pid))
        return _instructions(out, gateway.pid) / max(1, len(done))
    finally:
        for process in reversed(processes):
            ratios._stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", choices=("default", "prod"))
    parser.add_argument("scenario", choices=("unary", "stream50"))
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--src", type=Path, help="run the llmgw under DIR/server")
    args = parser.parse_args()
    import uvloop

    per_call = uvloop.run(measure(args.config, args.scenario, args.calls, args.src))
    print(f"{args.config} {args.scenario}: {per_call:,.0f} instructions per call")


if __name__ == "__main__":
    main()
