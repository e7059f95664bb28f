"""Backoff shapes (exact sequences), the per-failure-class retry policy in the
attempt loop (injected clock), and both configured through a real gateway."""

from __future__ import annotations

import itertools

import grpc
import pytest
from conftest import gateway_at
from helpers import chat
from llmgateway.v1 import gateway_service_pb2_grpc
from llmgw.config import Settings
from llmgw.domain.backoff import BackoffShape, backoff_delays
from llmgw.domain.deadline import Deadline
from llmgw.domain.errors import FailureClass
from llmgw.domain.policies import RetryPolicy
from test_resilience import A, B, FakeClock, Script, _loop, fail
from upstream_fakes import FakeOpenAI, Reply


def _first(shape: BackoffShape, n: int, initial: float = 1.0, cap: float = 100.0) -> list[float]:
    return list(itertools.islice(backoff_delays(shape, initial, cap, 2.0), n))


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        (BackoffShape.EXPONENTIAL, [1, 2, 4, 8, 16, 32, 64, 100, 100]),
        (BackoffShape.CONSTANT, [1, 1, 1, 1, 1, 1, 1, 1, 1]),
        (BackoffShape.LINEAR, [1, 2, 3, 4, 5, 6, 7, 8, 9]),
        (BackoffShape.FIBONACCI, [1, 1, 2, 3, 5, 8, 13, 21, 34]),
    ],
)
def test_each_shape_yields_its_exact_sequence(shape: BackoffShape, expected: list[int]) -> None:
    assert _first(shape, 9) == [float(x) for x in expected]


def test_shapes_scale_with_initial_and_stop_at_the_cap() -> None:
    assert _first(BackoffShape.FIBONACCI, 8, initial=0.5, cap=4.0) == [
        0.5, 0.5, 1.0, 1.5, 2.5, 4.0, 4.0, 4.0
    ]
    assert _first(BackoffShape.LINEAR, 5, initial=0.25, cap=0.6) == [0.25, 0.5, 0.6, 0.6, 0.6]
    # long runs stay at the cap instead of overflowing
    assert _first(BackoffShape.EXPONENTIAL, 3000, initial=1.0, cap=30.0)[-1] == 30.0


async def test_attempt_loop_sleeps_the_fibonacci_sequence() -> None:
    clock = FakeClock()
    script = Script(a=[fail("a", FailureClass.TRANSIENT)] * 4)
    policy = RetryPolicy(max_retries=4, shape=BackoffShape.FIBONACCI, initial_backoff=0.5)
    outcome = await _loop(clock, policy).run("m", [A, B], script, Deadline.after(100))
    assert clock.sleeps == [0.5, 0.5, 1.0, 1.5] and outcome.target is A


async def test_attempt_loop_sleeps_the_linear_sequence() -> None:
    clock = FakeClock()
    script = Script(a=[fail("a", FailureClass.TIMEOUT)] * 3)
    policy = RetryPolicy(max_retries=3, shape=BackoffShape.LINEAR, initial_backoff=2.0)
    await _loop(clock, policy).run("m", [A, B], script, Deadline.after(100))
    assert clock.sleeps == [2.0, 4.0, 6.0]


async def test_per_class_map_decides_which_classes_retry_and_how_often() -> None:
    policy = RetryPolicy(
        shape=BackoffShape.CONSTANT,
        per_class={FailureClass.RATE_LIMIT: 3, FailureClass.QUOTA: 1},
    )
    clock = FakeClock()
    script = Script(a=[fail("a", FailureClass.RATE_LIMIT)] * 5)
    outcome = await _loop(clock, policy).run("m", [A, B], script, Deadline.after(100))
    assert script.calls == ["a", "a", "a", "a", "b"] and outcome.target is B
    assert clock.sleeps == [1.0, 1.0, 1.0]
    # QUOTA does not retry by default; the map makes it retry once
    clock, script = FakeClock(), Script(a=[fail("a", FailureClass.QUOTA)] * 5)
    await _loop(clock, policy).run("m", [A, B], script, Deadline.after(100))
    assert script.calls == ["a", "a", "b"]
    # TRANSIENT is not named in the map: it moves on at once
    clock, script = FakeClock(), Script(a=[fail("a", FailureClass.TRANSIENT)])
    await _loop(clock, policy).run("m", [A, B], script, Deadline.after(100))
    assert script.calls == ["a", "b"] and clock.sleeps == []


def test_caller_fault_is_never_retried_even_if_mapped_in_the_domain() -> None:
    policy = RetryPolicy(per_class={FailureClass.CALLER_FAULT: 5})
    assert policy.retries_for(FailureClass.CALLER_FAULT) == 0


def _backend(url: str, retry: dict[str, object]) -> dict[str, object]:
    return {
        "name": "primary",
        "kind": "openai_compatible",
        "base_url": url,
        "api_keys": ["sk-fake"],
        "models": [{"id": "fast-model"}],
        "retry": retry,
    }


def test_config_rejects_unknown_shape_and_caller_fault_retries() -> None:
    with pytest.raises(Exception, match="shape"):
        Settings.model_validate({"backends": [_backend("http://x", {"shape": "cubic"})]})
    with pytest.raises(Exception, match="caller_fault"):
        Settings.model_validate(
            {"backends": [_backend("http://x", {"per_class": {"caller_fault": 1}})]}
        )


async def test_configured_per_class_policy_through_the_running_gateway() -> None:
    retry = {
        "shape": "constant",
        "initial_backoff_seconds": 0.01,
        "max_backoff_seconds": 0.01,
        "per_class": {"overloaded": 4, "transient": 0},
    }
    async with FakeOpenAI(api_key="sk-fake") as upstream:
        settings = {"demo_enabled": False, "backends": [_backend(upstream.base_url, retry)]}
        async with gateway_at(settings) as running:
            async with grpc.aio.insecure_channel(running.data_address) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                upstream.enqueue(*[Reply(status=503, error_type="overloaded")] * 4)
                upstream.enqueue(Reply(chunks=["fifth try"]))
                response = await stub.Chat(chat("primary/fast-model"))
                assert response.candidates[0].message.parts[0].text == "fifth try"
                assert len(upstream.requests) == 5
                upstream.enqueue(Reply(status=502), Reply(chunks=["never"]))
                with pytest.raises(grpc.aio.AioRpcError):
                    await stub.Chat(chat("primary/fast-model"))
                assert len(upstream.requests) == 6  # transient: 0 retries configured
