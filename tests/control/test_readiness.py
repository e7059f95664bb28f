"""Readiness: the decision table (``control.readiness.assess``) row by row, then
a real gateway whose required fake vLLM starts loading (``/health`` 503),
comes up, fails and recovers, and a default route whose only target goes down."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from conftest import gateway_at
from grpc_health.v1 import health_pb2, health_pb2_grpc
from helpers import chat
from llmgateway.v1 import gateway_service_pb2_grpc
from llmgw.app import build
from llmgw.config import ConfigError, Settings, load_settings
from llmgw.control.probes import ProbeResult
from llmgw.control.readiness import Readiness, assess
from llmgw.domain.models import ModelInfo, Target
from upstream_fakes import FakeOpenAI, Reply

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

OK = ProbeResult(ok=True, checked_at=0.0, latency=0.01, consecutive_failures=0)
FAILED = ProbeResult(ok=False, checked_at=0.0, latency=0.01, consecutive_failures=3)


def _target(backend: str, model: str = "m") -> Target:
    return Target(ModelInfo(id=model, backend=backend, upstream_id=model), alias="default")


def _never_open(backend: str, model: str) -> bool:
    return False


def _verdict(**overrides: Any) -> Readiness:
    values: dict[str, Any] = {
        "draining": False,
        "required": (),
        "probes": {},
        "default_route": (),
        "breaker_open": _never_open,
        "backends": {},
    }
    values.update(overrides)
    return assess(**values)


def test_nothing_required_nothing_down_is_serving() -> None:
    verdict = _verdict(default_route=(_target("a"),), backends={"a": ["m"]})
    assert verdict == Readiness(True, "", {"a": True})


def test_draining_wins_over_everything() -> None:
    verdict = _verdict(draining=True, required=("a",), probes={"a": OK})
    assert (verdict.serving, verdict.reason) == (False, "draining")


@pytest.mark.parametrize(
    ("probes", "serving"),
    [({}, False), ({"vllm": FAILED}, False), ({"vllm": OK}, True)],
    ids=["never-probed", "probe-failed", "probe-passed"],
)
def test_a_required_backend_must_have_passed_its_last_probe(
    probes: dict[str, ProbeResult], serving: bool
) -> None:
    verdict = _verdict(required=("vllm",), probes=probes)
    assert verdict.serving is serving
    assert verdict.reason == ("" if serving else "waiting for required backend vllm")


def test_default_route_down_only_when_every_target_is_down() -> None:
    route = (_target("cloud", "a"), _target("local", "b"))

    def cloud_open(backend: str, model: str) -> bool:
        return (backend, model) == ("cloud", "a")

    one_down = _verdict(default_route=route, breaker_open=cloud_open)
    assert one_down.serving
    both_down = _verdict(default_route=route, breaker_open=cloud_open, probes={"local": FAILED})
    assert (both_down.serving, both_down.reason) == (
        False,
        "every target of the default route is down",
    )
    # A backend never probed yet counts as up for the default route (only
    # required backends must have passed a probe).
    assert _verdict(default_route=(_target("fresh"),)).serving


def test_per_backend_verdicts_follow_the_last_probe_and_the_breakers() -> None:
    def open_on_d(backend: str, model: str) -> bool:
        return backend == "d" or (backend, model) == ("e", "x")

    verdict = _verdict(
        backends={"a": ["x"], "b": ["x"], "c": [], "d": ["x", "y"], "e": ["x", "y"]},
        probes={"a": OK, "b": FAILED},
        breaker_open=open_on_d,
    )
    # d: every model's breaker open; e: one of two open is still up.
    assert verdict.backends == {"a": True, "b": False, "c": True, "d": False, "e": True}


def test_required_backends_come_from_env_and_must_exist(tmp_path: Path) -> None:
    env = {"LLMGW_REQUIRED_BACKENDS": " vllm, ollama ,,"}
    assert load_settings(None, env).required_backends == ["vllm", "ollama"]
    config = tmp_path / "llmgw.yaml"
    config.write_text("required_backends: [gpu]\n", encoding="utf-8")
    assert load_settings(config, env).required_backends == ["gpu"]  # the file wins
    with pytest.raises(ConfigError, match="required_backends: no backend named nope"):
        build(Settings(required_backends=["nope"]), {})


# --- a real gateway and a fake vLLM sidecar --------------------------------


async def _status(channel: grpc.aio.Channel, name: str) -> int:
    reply = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=name), timeout=5
    )
    return int(reply.status)


async def _until(channel: grpc.aio.Channel, name: str, want: int, seconds: float = 10) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if await _status(channel, name) == want:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"health {name!r} did not become {want}")


def _vllm(base_url: str) -> dict[str, Any]:
    return {
        "name": "vllm",
        "kind": "openai_compatible",
        "preset": "vllm",
        "base_url": base_url,
        "models": [{"id": "qwen"}],
    }


@pytest.fixture
async def loading_vllm() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI(api_key=None)
    fake.health_status = 503  # loading its model
    async with fake:
        yield fake


async def test_readiness_waits_for_the_required_vllm_and_follows_its_health(
    loading_vllm: FakeOpenAI,
) -> None:
    settings = {
        "backends": [_vllm(loading_vllm.base_url)],
        "required_backends": ["vllm"],
        "readiness_interval_seconds": 0.05,
    }
    async with gateway_at(settings) as running:
        for address in (running.data_address, running.admin_address):
            async with grpc.aio.insecure_channel(address) as channel:
                assert await _status(channel, "readiness") == NOT_SERVING
                assert await _status(channel, "liveness") == SERVING  # the process is fine
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            assert await _status(channel, "llmgateway.v1.GatewayService") == NOT_SERVING
            assert await _status(channel, "llmgateway.v1.backends/vllm") == NOT_SERVING
            assert await _status(channel, "") == SERVING

            loading_vllm.health_status = 200  # model loaded
            await _until(channel, "readiness", SERVING)
            assert await _status(channel, "llmgateway.v1.GatewayService") == SERVING
            assert await _status(channel, "llmgateway.v1.backends/vllm") == SERVING

            loading_vllm.health_status = 503  # sidecar restarts
            await _until(channel, "readiness", NOT_SERVING)
            assert await _status(channel, "liveness") == SERVING
            assert await _status(channel, "llmgateway.v1.backends/vllm") == NOT_SERVING

            loading_vllm.health_status = 200
            await _until(channel, "readiness", SERVING)
    assert {r.path for r in loading_vllm.requests} == {"/health"}  # probes cost nothing


async def test_readiness_fails_when_every_default_route_target_is_down(
    loading_vllm: FakeOpenAI,
) -> None:
    loading_vllm.health_status = 200
    settings = {
        "demo_enabled": False,
        "backends": [_vllm(loading_vllm.base_url)],
        "aliases": {"default": ["vllm/qwen"]},
        "probe_interval_seconds": 0.05,  # not required: found down by the regular probes
        "readiness_interval_seconds": 0.05,
    }
    async with gateway_at(settings) as running:
        async with grpc.aio.insecure_channel(running.data_address) as channel:
            await _until(channel, "readiness", SERVING)
            loading_vllm.health_status = 500
            await _until(channel, "readiness", NOT_SERVING)
            assert await _status(channel, "liveness") == SERVING
            loading_vllm.health_status = 200
            await _until(channel, "readiness", SERVING)


async def test_breakers_of_the_default_route_take_readiness_down_until_cooldown() -> None:
    async with FakeOpenAI(api_key=None) as fake:
        fake.default = Reply(status=500, error_type="server_error")
        settings = {
            "demo_enabled": False,
            "backends": [
                {
                    "name": "fake",
                    "kind": "openai_compatible",
                    "base_url": fake.base_url,
                    "models": [{"id": "m"}],
                    "retry": {"max_retries": 0},
                    "circuit_breaker": {"failure_threshold": 1, "cooldown_seconds": 2},
                }
            ],
            "aliases": {"default": ["fake/m"]},
            "readiness_interval_seconds": 0.05,
        }
        async with gateway_at(settings) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                await _until(channel, "readiness", SERVING)
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                with pytest.raises(grpc.aio.AioRpcError):
                    await stub.Chat(chat("default"), timeout=10)
                await _until(channel, "readiness", NOT_SERVING)  # breaker open
                assert await _status(channel, "llmgateway.v1.backends/fake") == NOT_SERVING
                assert await _status(channel, "liveness") == SERVING
                await _until(channel, "readiness", SERVING)  # cooldown over: half-open
