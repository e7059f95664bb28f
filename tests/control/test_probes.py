"""Active zero-token health probes feed AdminService.GetHealth."""

from __future__ import annotations

import asyncio

import grpc
from conftest import gateway_at
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc
from upstream_fakes import FakeOpenAI


async def _health(address: str) -> dict[str, admin_service_pb2.BackendHealthReport]:
    async with grpc.aio.insecure_channel(address) as channel:
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        response = await admin.GetHealth(admin_service_pb2.GetHealthRequest())
    return {b.backend: b for b in response.backends}


async def test_probes_mark_backends_healthy_or_unhealthy_without_billed_calls() -> None:
    async with FakeOpenAI(api_key=None) as fake:
        settings = {
            "demo_enabled": False,
            "probe_interval_seconds": 0.05,
            "backends": [
                {
                    "name": "vllm",
                    "kind": "openai_compatible",
                    "preset": "vllm",
                    "base_url": fake.base_url,
                    "models": [{"id": "qwen"}],
                },
                {
                    "name": "down",
                    "kind": "openai_compatible",
                    "base_url": "http://127.0.0.1:9/v1",
                    "models": [{"id": "x"}],
                },
            ],
        }
        async with gateway_at(settings) as running:
            for _ in range(100):
                reports = await _health(running.admin_address)
                if reports["down"].health.consecutive_failure_count >= 2 and reports[
                    "vllm"
                ].health.HasField("last_check_time"):
                    break
                await asyncio.sleep(0.02)
    vllm, down = reports["vllm"].health, reports["down"].health
    assert vllm.state == admin_service_pb2.HEALTH_STATE_HEALTHY
    assert vllm.last_check_time.seconds > 0
    assert down.state == admin_service_pb2.HEALTH_STATE_UNHEALTHY
    assert down.consecutive_failure_count >= 2
    assert down.last_error.code == grpc.StatusCode.UNAVAILABLE.value[0]
    paths = {r.path for r in fake.requests}
    assert paths == {"/health"}  # vLLM's health endpoint, never a completion
