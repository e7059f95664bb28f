"""Shared fixtures: a real gateway on 127.0.0.1:0 reached through generated stubs."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest
from llmgateway.v1 import admin_service_pb2_grpc, gateway_service_pb2_grpc
from llmgw.app import Running, running_gateway
from llmgw.config import Settings
from llmgw.domain.clock import Clock


@asynccontextmanager
async def gateway_at(
    settings: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[Running]:
    """A running gateway on ephemeral loopback ports (no env keys unless given);
    ``clock`` drives the pipeline's time (breakers, backoff) when given."""
    state = tempfile.mkdtemp(prefix="llmgw-test-")
    values: dict[str, Any] = {
        "listen": "127.0.0.1:0",
        "admin_listen": "127.0.0.1:0",
        "shutdown_grace_seconds": 1,
        "probe_interval_seconds": 0,  # tests that count upstream requests need silence
        "observability": {"metrics_listen": "127.0.0.1:0"},  # any free port
        # Each gateway gets its own embedded database and outbox.
        "ledger": {
            "sqlite_path": os.path.join(state, "llmgw.sqlite3"),
            "outbox_path": os.path.join(state, "outbox.sqlite3"),
        },
    }
    values.update(settings or {})
    try:
        async with running_gateway(Settings.model_validate(values), env or {}, clock) as running:
            yield running
    finally:
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture
async def demo_gateway() -> AsyncIterator[Running]:
    async with gateway_at() as running:
        yield running


@pytest.fixture
async def stub(demo_gateway: Running) -> AsyncIterator[gateway_service_pb2_grpc.GatewayServiceStub]:
    async with grpc.aio.insecure_channel(demo_gateway.data_address) as channel:
        yield gateway_service_pb2_grpc.GatewayServiceStub(channel)


@pytest.fixture
async def admin_stub(
    demo_gateway: Running,
) -> AsyncIterator[admin_service_pb2_grpc.AdminServiceStub]:
    async with grpc.aio.insecure_channel(demo_gateway.admin_address) as channel:
        yield admin_service_pb2_grpc.AdminServiceStub(channel)


# ---------------------------------------------------------------- secret canary
# Every secret the tests hand to gateways (provider keys of the fakes, gateway
# API keys, canaries). None may appear in anything any test of the run printed
# or logged (stdout, stderr, log records of every phase, passing tests
# included); the session fails otherwise, naming the test and the channel.
_TEST_SECRETS = (
    "sk-fake",
    "sk-canary-",
    "sk-wrong-canary-",
    "sk-revoked-canary-",
    "sk-audit-canary-",
    "bootstrap-admin-secret-",
    "canarypw-",
)
_leaks: dict[str, None] = {}  # ordered set (later phases repeat earlier sections)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for channel, text in report.sections:
        found = [secret for secret in _TEST_SECRETS if secret in text]
        _leaks.update(dict.fromkeys(f"{report.nodeid} [{channel}]: {s}..." for s in found))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _leaks:
        print("\nSECRET CANARY: test secrets reached captured output:", *_leaks, sep="\n  ")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
