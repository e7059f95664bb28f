"""``generation_config.backend_parameters`` is an allow-list per dialect.

Finding (issue 10, item 1): the OpenAI codec copied any key into the upstream
body: ``{"max_tokens": 100000}`` overrode the reserved output cap (one request
cost $100 against a $5 hard budget), ``{"n": 50}`` bypassed the candidate cap
of 8, ``{"stream": true}`` made a unary upstream call stream (billed, then
``UPSTREAM_PROTOCOL_ERROR``); integers went out as ``100000.0`` and NaN was an
``INTERNAL``. Now: keys that change cost, output size, candidate count or the
protocol are refused with INVALID_ARGUMENT naming the key, before any upstream
call or budget reservation; allowed keys reach only the dialects that know
them, with their JSON number type; a pass-through key never replaces a key
the gateway set.
"""

from __future__ import annotations

import math
import time

import grpc
import pytest
from conftest import gateway_at
from google.protobuf import struct_pb2
from google.rpc import error_details_pb2
from helpers import chat, detail
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
)
from llmgw.domain import backend_parameters as rules
from llmgw.domain.backends import BackendKind
from upstream_fakes import FakeAnthropic, FakeOpenAI

KEY = "sk-fake"
PRICES = {
    f"{b}/{m}": {"input_per_million_tokens": "2", "output_per_million_tokens": "8"}
    for b, m in (("engine", "engine-model"), ("official", "gpt-x"), ("claude", "claude-x"))
}


def _settings(engine: str, official: str, claude: str) -> dict[str, object]:
    model = {"capabilities": ["streaming"], "max_output_tokens": 500}
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "engine",
                "kind": "openai_compatible",
                "base_url": engine,
                "api_keys": [KEY],
                "models": [{"id": "engine-model", **model}],
                "retry": {"max_retries": 0},
            },
            {
                "name": "official",
                "kind": "openai",
                "base_url": official,
                "api_keys": [KEY],
                "models": [{"id": "gpt-x", **model}],
                "retry": {"max_retries": 0},
            },
            {
                "name": "claude",
                "kind": "anthropic",
                "base_url": claude,
                "api_keys": [KEY],
                "models": [{"id": "claude-x", **model}],
                "retry": {"max_retries": 0},
            },
        ],
        "prices": PRICES,
        "budgets": {"budgets": [{"name": "five-dollars", "limit": "5"}]},
    }


def _with(model: str, params: dict[str, object]) -> gateway_service_pb2.ChatRequest:
    request = chat(model)
    request.generation_config.max_output_tokens = 100
    request.generation_config.backend_parameters.update(params)
    return request


@pytest.fixture
async def world():
    async with (
        FakeOpenAI(api_key=KEY) as engine,
        FakeOpenAI(api_key=KEY) as official,
        FakeAnthropic(api_key=KEY) as claude,
    ):
        settings = _settings(engine.base_url, official.base_url, claude.base_url)
        async with gateway_at(settings) as running:
            async with (
                grpc.aio.insecure_channel(running.data_address) as data,
                grpc.aio.insecure_channel(running.admin_address) as admin,
            ):
                yield (
                    gateway_service_pb2_grpc.GatewayServiceStub(data),
                    admin_service_pb2_grpc.AdminServiceStub(admin),
                    (engine, official, claude),
                )


REFUSED = {
    "max_tokens": 100000,
    "max_completion_tokens": 100000,
    "n": 50,
    "stream": True,
    "stream_options": {"include_usage": False},
    "thinking": {"type": "enabled", "budget_tokens": 60000},
    "service_tier": "priority",
    "model": "gpt-4.5-preview",
    "user": "someone-else",
    "temperature": 1.5,
    "made_up_knob": 1,
}


async def _spent(admin: admin_service_pb2_grpc.AdminServiceStub) -> tuple[int, int]:
    request = admin_service_pb2.GetCostsRequest()
    request.start_time.FromSeconds(int(time.time()) - 3600)
    report = await admin.GetCosts(request)
    total = report.total_cost.units * 1_000_000_000 + report.total_cost.nanos
    return total, report.total_usage.input_token_count


@pytest.mark.parametrize("model", ["engine-model", "gpt-x", "claude-x"])
async def test_keys_that_change_cost_size_or_protocol_are_refused_before_anything(
    world, model: str
) -> None:
    stub, admin, fakes = world
    for key, value in REFUSED.items():
        for call in ("Chat", "StreamChat"):
            request = _with(model, {key: value})
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                if call == "Chat":
                    await stub.Chat(request)
                else:
                    async for _ in stub.StreamChat(
                        gateway_service_pb2.StreamChatRequest(chat=request)
                    ):
                        pass
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (key, call)
            bad = detail(caught.value, error_details_pb2.BadRequest)
            fields = [v.field for v in bad.field_violations]  # type: ignore[attr-defined]
            prefix = "chat." if call == "StreamChat" else ""
            assert fields == [f"{prefix}generation_config.backend_parameters.{key}"]
    assert all(fake.requests == [] for fake in fakes)  # nothing reached any upstream
    assert await _spent(admin) == (0, 0)  # nothing billed, nothing reserved left over


async def test_nan_and_out_of_range_values_are_invalid_argument_not_internal(world) -> None:
    stub, _, fakes = world
    cases: list[tuple[str, object]] = [
        ("min_p", math.nan),
        ("min_p", math.inf),
        ("min_p", 2),
        ("min_p", "high"),
        ("repetition_penalty", -math.inf),
        ("logit_bias", {"50256": math.nan}),
        ("logit_bias", {"not-a-token": 5}),
        ("skip_special_tokens", 1),
    ]
    for key, value in cases:
        request = chat("engine-model")
        if isinstance(value, float) and not math.isfinite(value):
            request.generation_config.backend_parameters.fields[key].number_value = value
        else:
            request.generation_config.backend_parameters.update({key: value})
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Chat(request)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (key, value)
        bad = detail(caught.value, error_details_pb2.BadRequest)
        assert bad.field_violations[0].field.endswith(f"backend_parameters.{key}")  # type: ignore[attr-defined]
    assert all(fake.requests == [] for fake in fakes)


async def test_allowed_keys_reach_only_their_dialect_with_json_number_types(world) -> None:
    stub, _, (engine, official, claude) = world
    params = {
        "min_p": 0.05,
        "repetition_penalty": 1,
        "logit_bias": {"50256": -100, "13": 2.5},
        "prompt_cache_key": "tenant-a",
    }
    for model in ("engine-model", "gpt-x", "claude-x"):
        await stub.Chat(_with(model, params))
    (sent,) = [r.json for r in engine.requests]
    assert sent["min_p"] == 0.05 and sent["repetition_penalty"] == 1
    assert type(sent["repetition_penalty"]) is int  # 1, not 1.0
    assert sent["logit_bias"] == {"50256": -100, "13": 2.5}
    assert type(sent["logit_bias"]["50256"]) is int
    assert "prompt_cache_key" not in sent  # OpenAI's own knob: not for engines
    assert sent["max_tokens"] == 100 and "stream" not in sent and "n" not in sent
    (sent,) = [r.json for r in official.requests]
    assert sent["prompt_cache_key"] == "tenant-a" and sent["logit_bias"]["50256"] == -100
    assert "min_p" not in sent and "repetition_penalty" not in sent  # vLLM knobs
    assert sent["max_completion_tokens"] == 100 and "max_tokens" not in sent
    (sent,) = [r.json for r in claude.requests]
    assert not set(params) & set(sent)  # the proto forwards to OpenAI-compatible only
    assert sent["max_tokens"] == 100


def test_the_allow_list_refuses_whatever_it_does_not_list() -> None:
    """The rule itself: every redirect is refused, every rule's dialects are known,
    and ``forwarded`` never returns an unlisted or invalid key whoever calls it."""
    assert not set(rules.REDIRECTS) & set(rules.RULES)
    for key in rules.REDIRECTS:
        params: dict[str, object] = {key: 1, "min_p": math.nan, "logit_bias": {"1": 500}}
        params["top_a"] = 0.5
        found = {v.field.removeprefix("p."): v.reason for v in rules.check(params, "p")}
        assert found == {
            key: "NOT_ALLOWED",
            "min_p": "VALUE_OUT_OF_RANGE",
            "logit_bias": "VALUE_OUT_OF_RANGE",
        }
        for dialect in BackendKind:
            assert set(rules.forwarded(params, dialect)) <= {"top_a"}
        assert rules.forwarded(params, BackendKind.OPENAI_COMPATIBLE) == {"top_a": 0.5}
    too_many = {f"k{i}": 1 for i in range(rules.MAX_KEYS + 1)}
    assert [v.reason for v in rules.check(too_many, "p")] == ["TOO_MANY"]
    assert rules.json_number(100000.0) == 100000 and type(rules.json_number(1e3)) is int
    assert type(rules.json_number(2.5)) is float and math.isnan(rules.json_number(math.nan))
    assert type(rules.json_number(2.0**60)) is float  # beyond exact doubles: left alone


def test_struct_numbers_come_back_with_their_json_type() -> None:
    from llmgw.api.struct_values import struct_values

    struct = struct_pb2.Struct()
    struct.update({"a": 3, "b": 0.5, "c": [1, {"d": 2}], "e": None, "f": True, "g": "x"})
    struct.fields["nan"].number_value = math.nan
    values = struct_values(struct)
    assert values["a"] == 3 and type(values["a"]) is int
    assert values["c"] == [1, {"d": 2}] and type(values["c"][0]) is int  # type: ignore[index]
    assert values["b"] == 0.5 and values["e"] is None and values["f"] is True
    assert math.isnan(values["nan"])  # type: ignore[arg-type]
