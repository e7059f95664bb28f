"""Canary passwords in the gateway's own connection URLs (PostgreSQL, Redis)
must reach no output: start-up errors, logs, RPC errors, admin answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc
from processes import free_port

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
DB_CANARY = "canarypw-db-7c1e9a4f2b"
REDIS_CANARY = "canarypw-redis-5d8b3e6a1c"


def _serve(tmp: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], int, int]:
    port, admin = free_port(), free_port()
    process = subprocess.Popen(
        [
            str(BIN / "llmgw"),
            "serve",
            "--metrics-listen",
            "127.0.0.1:0",
            "--listen",
            f"127.0.0.1:{port}",
            "--admin-listen",
            f"127.0.0.1:{admin}",
            "--log-level",
            "debug",
        ],
        env={**os.environ, **env},
        cwd=tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, port, admin


def _ready(port: int, process: subprocess.Popen[str], seconds: float = 30) -> bool:
    """True once serving; False if the process exited first."""
    end = time.monotonic() + seconds
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < end:
            if process.poll() is not None:
                return False
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(service="readiness"), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return True
            except grpc.RpcError:
                time.sleep(0.1)
    raise AssertionError("gateway neither became ready nor exited")


def _assert_clean(*outputs: str) -> None:
    text = "\n".join(outputs)
    for canary in (DB_CANARY, REDIS_CANARY):
        assert canary not in text, f"{canary} leaked:\n{text[-3000:]}"


def test_unreachable_database_url_password_is_not_in_startup_errors(tmp_path: Path) -> None:
    closed = free_port()
    process, port, _admin = _serve(
        tmp_path,
        {
            "LLMGW_DATABASE_URL": f"postgresql://llmgw:{DB_CANARY}@127.0.0.1:{closed}/llmgw",
            "LLMGW_REDIS_URL": f"redis://:{REDIS_CANARY}@127.0.0.1:{free_port()}/0",
        },
    )
    try:
        served = _ready(port, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert not served, "the gateway served without its database"
    assert process.returncode != 0
    assert out or err  # it said something about why
    _assert_clean(out, err)


def test_redis_url_password_is_not_in_logs_errors_or_admin_answers(tmp_path: Path) -> None:
    from helpers import chat
    from llmgateway.v1 import gateway_service_pb2_grpc

    redis = f"redis://:{REDIS_CANARY}@127.0.0.1:{free_port()}/0"  # nothing listens there
    process, port, admin = _serve(tmp_path, {"LLMGW_REDIS_URL": redis})
    answers: list[str] = []
    try:
        if _ready(port, process):
            with grpc.insecure_channel(f"127.0.0.1:{port}") as data:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
                try:
                    answers.append(str(stub.Chat(chat("demo-chat"), timeout=20)))
                except grpc.RpcError as exc:
                    answers.append(f"{exc.code()} {exc.details()} {exc.trailing_metadata()}")
            with grpc.insecure_channel(f"127.0.0.1:{admin}") as channel:
                admin_stub = admin_service_pb2_grpc.AdminServiceStub(channel)
                for call, request in (
                    (admin_stub.GetHealth, admin_service_pb2.GetHealthRequest()),
                    (admin_stub.ListBackends, admin_service_pb2.ListBackendsRequest()),
                    (admin_stub.ListAuditEvents, admin_service_pb2.ListAuditEventsRequest()),
                ):
                    try:
                        answers.append(str(call(request, timeout=20)))
                    except grpc.RpcError as exc:
                        answers.append(f"{exc.code()} {exc.details()} {exc.trailing_metadata()}")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    _assert_clean(out, err, *answers)
