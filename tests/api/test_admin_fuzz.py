"""Property test through a real server: no admin request (nor data-plane
request), however malformed, answers ``INTERNAL`` or ``UNKNOWN``, and no
answer carries a secret.

Requests are generated from the service descriptors (every method,
every field: arbitrary and tricky strings, out-of-range integers and enum
numbers, NaN, negative and huge durations and timestamps, unknown
currencies), so a new method or field is fuzzed without editing this file.
Endpoint URIs are drawn from loopback and malformed values only (the
SSRF guard must not resolve random names). The data-plane counterpart is
``test_validation_fuzz.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from conftest import gateway_at
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
)
from upstream_fakes import FakeOpenAI

ADMIN = admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"]
GATEWAY = gateway_service_pb2.DESCRIPTOR.services_by_name["GatewayService"]
UPSTREAM_KEY = "sk-canary-admin-fuzz-0123456789"
ENV_SECRET = "canarypw-admin-fuzz-credential"
_T = FieldDescriptor
TRICKY = [
    "",
    "\0\0",
    "EUR",
    "USD",
    "x" * 300,
    "budgets/global",
    "budgets/\0",
    "backends/fake",
    "backends/../etc",
    "routes/chain",
    "apiKeys/bootstrap-admin",
    "env://FUZZ_CREDENTIAL",
    "env://LLMGW_ADMIN_KEY",
    'request_id = "x"',
    'tenant = "t" AND model = m',
    "\udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
]
ENDPOINTS = [
    "",
    "http://127.0.0.1:9/v1",
    "http://localhost:9",
    "http://[::1]:9/v1",
    "ftp://127.0.0.1/",
    "http://169.254.169.254/latest",
    "not a url",
    "http://127.0.0.1:99999/",
]
_SCALARS: dict[int, st.SearchStrategy[Any]] = {
    _T.TYPE_STRING: st.one_of(st.sampled_from(TRICKY), st.text(max_size=12)),
    _T.TYPE_BYTES: st.binary(max_size=8),
    _T.TYPE_BOOL: st.booleans(),
    _T.TYPE_DOUBLE: st.floats(allow_nan=True, allow_infinity=True),
    _T.TYPE_FLOAT: st.floats(allow_nan=True, allow_infinity=True, width=32),
    _T.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    _T.TYPE_SINT32: st.integers(-(2**31), 2**31 - 1),
    _T.TYPE_SFIXED32: st.integers(-(2**31), 2**31 - 1),
    _T.TYPE_ENUM: st.integers(-3, 40),
    _T.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    _T.TYPE_SINT64: st.integers(-(2**63), 2**63 - 1),
    _T.TYPE_SFIXED64: st.integers(-(2**63), 2**63 - 1),
    _T.TYPE_UINT32: st.integers(0, 2**32 - 1),
    _T.TYPE_FIXED32: st.integers(0, 2**32 - 1),
    _T.TYPE_UINT64: st.integers(0, 2**64 - 1),
    _T.TYPE_FIXED64: st.integers(0, 2**64 - 1),
}
_SECONDS = st.one_of(
    st.integers(-(2**40), 2**40), st.sampled_from([0, -1, 1, 315_576_000_000, 2**62])
)
_NANOS = st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, 999_999_999, -1]))


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    if field.name == "endpoint_uri":
        return st.sampled_from(ENDPOINTS)
    return _SCALARS[field.type]


def messages(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
    cls = message_factory.GetMessageClass(descriptor)
    if descriptor.full_name in ("google.protobuf.Duration", "google.protobuf.Timestamp"):
        return st.builds(lambda s, n: cls(seconds=s, nanos=n), _SECONDS, _NANOS)
    values: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.type == _T.TYPE_MESSAGE:
            if depth >= 3 or field.message_type.GetOptions().map_entry:
                continue
            one = messages(field.message_type, depth + 1)
        else:
            one = _scalar(field)
        is_repeated = field.is_repeated
        values[field.name] = st.lists(one, max_size=3) if is_repeated else one
    drawn = st.fixed_dictionaries({}, optional=values)
    return drawn.map(lambda fields: _build(cls, fields))


def _build(cls: type[Message], fields: dict[str, Any]) -> Message:
    message = cls()
    for name, value in fields.items():
        field = cls.DESCRIPTOR.fields_by_name[name]
        target = getattr(message, name) if field.type == _T.TYPE_MESSAGE else None
        if field.is_repeated:
            getattr(message, name).extend(value)
        elif target is not None:
            target.CopyFrom(value)
        else:
            setattr(message, name, value)
    return message


def _samples(method: MethodDescriptor, count: int) -> list[Message]:
    found: list[Message] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(messages(method.input_type))
    def collect(request: Message) -> None:
        found.append(request)

    collect()
    return found


def _leaks(text: str) -> list[str]:
    return [s for s in (UPSTREAM_KEY, ENV_SECRET, "Traceback", "Exception") if s in text]


def test_no_admin_request_answers_internal_or_unknown_or_a_secret() -> None:
    samples = {m.name: _samples(m, 40) for m in ADMIN.methods}
    data_samples = {m.name: _samples(m, 40) for m in GATEWAY.methods}

    async def run() -> list[tuple[str, grpc.StatusCode, str]]:
        bad: list[tuple[str, grpc.StatusCode, str]] = []
        async with FakeOpenAI(api_key=UPSTREAM_KEY) as fake:
            config = {
                "demo_enabled": True,
                "backends": [
                    {
                        "name": "fake",
                        "kind": "openai_compatible",
                        "base_url": fake.base_url,
                        "api_keys": [UPSTREAM_KEY],
                        "models": [{"id": "fast-model"}],
                    }
                ],
                "aliases": {"chain": ["fake/fast-model", "demo/demo-chat"]},
                "budgets": {"budgets": [{"name": "global", "limit": 5}]},
            }
            env = {"FUZZ_CREDENTIAL": ENV_SECRET}
            async with gateway_at(config, env) as running:
                async with grpc.aio.insecure_channel(running.admin_address) as channel:
                    stub = admin_service_pb2_grpc.AdminServiceStub(channel)
                    for name, requests in samples.items():
                        for request in requests:
                            outcome = await _call(getattr(stub, name), request)
                            if outcome is not None:
                                bad.append((name, *outcome))
                    await stub.GetHealth(admin_service_pb2.GetHealthRequest())  # still serving
                async with grpc.aio.insecure_channel(running.data_address) as channel:
                    data = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                    for name, requests in data_samples.items():
                        streaming = GATEWAY.methods_by_name[name].server_streaming
                        for request in requests:
                            rpc = getattr(data, name)
                            call = _drained(rpc) if streaming else rpc
                            outcome = await _call(call, request)
                            if outcome is not None:
                                bad.append((name, *outcome))
        return bad

    bad = asyncio.run(run())
    assert bad == []


def _drained(rpc: Any) -> Any:
    async def call(request: Message, **options: Any) -> list[Any]:
        return [event async for event in rpc(request, **options)]

    return call


async def _call(rpc: Any, request: Message) -> tuple[grpc.StatusCode, str] | None:
    """None when the answer is fine; else (code, why)."""
    try:
        response = await rpc(request, timeout=20)
    except grpc.aio.AioRpcError as error:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
        text = (error.details() or "") + (str(status) if status is not None else "")
        if error.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
            return error.code(), f"{error.details()} <- {request}"
        leaks = _leaks(text)
        return (error.code(), f"leaks {leaks}") if leaks else None
    leaks = _leaks(str(response))
    return (grpc.StatusCode.OK, f"leaks {leaks}") if leaks else None
