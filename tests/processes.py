"""Real ``llmgw serve`` processes for tests: free ports, readiness, shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Gateway:
    """One running ``llmgw serve`` (stdout/stderr go to files under ``folder``)."""

    process: subprocess.Popen[bytes]
    address: str
    admin: str
    folder: Path
    metrics: str = ""  # the /metrics listener (host:port)

    def logs(self) -> str:
        return "".join(
            (self.folder / name).read_text(errors="replace")
            for name in ("stdout.log", "stderr.log")
            if (self.folder / name).exists()
        )

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


def start_gateway(
    folder: Path,
    config: dict[str, Any],
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> Gateway:
    """Write ``config`` to ``folder/config.yaml`` and start a gateway on fresh
    loopback ports (the config's listen addresses are replaced); ``args``
    are more ``llmgw serve`` flags."""
    folder.mkdir(parents=True, exist_ok=True)
    port, admin, metrics = free_port(), free_port(), free_port()
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    process = subprocess.Popen(
        [
            str(BIN / "llmgw"),
            "serve",
            "--config",
            str(path),
            "--listen",
            f"127.0.0.1:{port}",
            "--admin-listen",
            f"127.0.0.1:{admin}",
            "--metrics-listen",
            f"127.0.0.1:{metrics}",
            *args,
        ],
        env={**os.environ, **(env or {})},
        stdout=(folder / "stdout.log").open("wb"),
        stderr=(folder / "stderr.log").open("wb"),
        cwd=folder,
    )
    address, admin_address = f"127.0.0.1:{port}", f"127.0.0.1:{admin}"
    return Gateway(process, address, admin_address, folder, f"127.0.0.1:{metrics}")


async def wait_ready(gateway: Gateway, seconds: float = 30) -> None:
    """Poll grpc.health.v1 ``readiness`` until SERVING (or the process exits)."""
    end = time.monotonic() + seconds
    async with grpc.aio.insecure_channel(gateway.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < end:
            if gateway.process.poll() is not None:
                raise AssertionError(f"gateway exited early:\n{gateway.logs()}")
            try:
                reply = await health.Check(
                    health_pb2.HealthCheckRequest(service="readiness"), timeout=1
                )
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)  # not up yet, or up but not ready
    raise AssertionError(f"gateway did not become ready:\n{gateway.logs()}")


def wait_ready_sync(address: str, process: subprocess.Popen[Any], seconds: float = 30) -> None:
    """``wait_ready`` for synchronous tests that hold the ``Popen`` themselves."""
    end = time.monotonic() + seconds
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < end:
            if process.poll() is not None:
                raise AssertionError(f"gateway exited early: {process.communicate()}")
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(service="readiness"), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)  # not up yet, or up but not ready
    raise AssertionError("gateway did not become ready")
