"""AdminService.SwitchBackend / ListRoutes: an operator moves an alias to
another backend (health-checked, dry-run, TTL, etag)."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import grpc
import pytest
from conftest import gateway_at
from google.protobuf import duration_pb2
from helpers import chat, error_info
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
)
from llmgw.control.switching import RouteSwitcher, SwitchOrder
from llmgw.domain.backends import BackendKind, BackendSpec
from llmgw.domain.models import ModelInfo
from llmgw.pipeline.catalog import Catalog
from upstream_fakes import FakeAnthropic, FakeOpenAI, Reply

KEY = "sk-fake"


@pytest.fixture
async def env():
    async with FakeOpenAI(api_key=KEY) as primary, FakeAnthropic(api_key=KEY) as secondary:
        settings = {
            "demo_enabled": False,
            "backends": [
                {
                    "name": "primary",
                    "kind": "openai_compatible",
                    "base_url": primary.base_url,
                    "api_keys": [KEY],
                    "models": [{"id": "fast-model"}],
                },
                {
                    "name": "secondary",
                    "kind": "anthropic",
                    "base_url": secondary.base_url,
                    "api_keys": [KEY],
                    "models": [{"id": "claude-haiku-4-5"}],
                },
                {
                    "name": "down",
                    "kind": "openai_compatible",
                    "base_url": "http://127.0.0.1:9/v1",
                    "models": [{"id": "fast-model"}],
                },
            ],
            "aliases": {"chain": ["primary/fast-model", "secondary/claude-haiku-4-5"]},
        }
        async with gateway_at(settings) as running:
            async with (
                grpc.aio.insecure_channel(running.data_address) as data,
                grpc.aio.insecure_channel(running.admin_address) as admin,
            ):
                stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
                stub.primary = primary  # type: ignore[attr-defined]
                yield stub, admin_service_pb2_grpc.AdminServiceStub(admin)


def _switch(**fields: object) -> admin_service_pb2.SwitchBackendRequest:
    return admin_service_pb2.SwitchBackendRequest(route="routes/chain", **fields)  # type: ignore[arg-type]


async def test_switch_moves_the_alias_and_lists_the_override(env) -> None:
    stub, admin = env
    assert (await stub.Chat(chat("chain"))).route.backend == "primary"
    response = await admin.SwitchBackend(
        _switch(backend="backends/secondary", model_id="claude-haiku-4-5", reason="incident 42")
    )
    assert response.previous_target.backend == "backends/primary"
    assert response.route.targets[0].backend == "backends/secondary"
    assert response.route.active_override.reason == "incident 42"
    assert (await stub.Chat(chat("chain"))).route.backend == "secondary"
    routes = {
        r.name: r for r in (await admin.ListRoutes(admin_service_pb2.ListRoutesRequest())).routes
    }
    assert routes["routes/chain"].active_override.target.backend == "backends/secondary"
    assert [t.backend for t in routes["routes/chain"].targets] == [
        "backends/secondary",
        "backends/primary",
    ]


async def test_validate_only_changes_nothing(env) -> None:
    stub, admin = env
    response = await admin.SwitchBackend(
        _switch(backend="backends/secondary", model_id="claude-haiku-4-5", validate_only=True)
    )
    assert response.route.targets[0].backend == "backends/primary"
    assert (await stub.Chat(chat("chain"))).route.backend == "primary"


async def test_ttl_is_accepted_and_listed_as_the_override_expiry(env) -> None:
    _, admin = env
    before = time.time()
    response = await admin.SwitchBackend(
        _switch(
            backend="backends/secondary",
            model_id="claude-haiku-4-5",
            ttl=duration_pb2.Duration(seconds=600),
        )
    )
    override = response.route.active_override
    expires = override.expire_time.ToNanoseconds() / 1e9
    created = override.create_time.ToNanoseconds() / 1e9
    assert before <= created <= time.time()
    assert expires == pytest.approx(created + 600)


class _Wall:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _model(backend: str, model_id: str) -> ModelInfo:
    return ModelInfo(id=model_id, backend=backend, upstream_id=model_id)


async def test_ttl_reverts_the_switch_on_the_injected_wall_clock() -> None:
    """The revert is driven by the catalogue's clock: no real sleep."""
    wall = _Wall()
    models = [_model("primary", "fast-model"), _model("secondary", "claude-haiku-4-5")]
    catalog = Catalog(models, {"chain": ["primary/fast-model", "secondary/claude-haiku-4-5"]}, wall)
    gateway = SimpleNamespace(catalog=catalog, abort=lambda backend, alias: 0)
    specs = {
        name: BackendSpec(name, BackendKind.OPENAI_COMPATIBLE, "", ())
        for name in ("primary", "secondary")
    }
    switcher = RouteSwitcher(gateway, specs, None, wall)  # type: ignore[arg-type]
    order = SwitchOrder(
        alias="chain", backend="secondary", model_id="claude-haiku-4-5", ttl_seconds=300.0
    )
    outcome = await switcher.switch(order)
    assert outcome.previous.backend == "primary"
    assert [t.backend for t in catalog.route("chain")] == ["secondary", "primary"]
    override = catalog.override("chain")
    assert override is not None and override.expires_at == wall.now + 300.0
    etag = catalog.etag("chain")
    wall.now += 299.999
    assert catalog.route("chain")[0].backend == "secondary"  # not yet
    wall.now += 0.001
    assert [t.backend for t in catalog.route("chain")] == ["primary", "secondary"]
    assert catalog.override("chain") is None
    assert catalog.etag("chain") != etag  # the revert is a change of the chain
    sticky = await switcher.switch(
        SwitchOrder(alias="chain", backend="secondary", model_id="claude-haiku-4-5")
    )
    assert sticky.target.backend == "secondary"
    wall.now += 10 * 365 * 86_400.0
    assert catalog.route("chain")[0].backend == "secondary"  # no ttl: sticky


async def test_unhealthy_target_is_refused_unless_told_to_skip_the_check(env) -> None:
    _, admin = env
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.SwitchBackend(_switch(backend="backends/down"))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    response = await admin.SwitchBackend(_switch(backend="backends/down", skip_health_check=True))
    assert response.route.targets[0].backend == "backends/down"


async def test_switch_errors(env) -> None:
    _, admin = env
    cases = [
        (_switch(backend="backends/nope"), grpc.StatusCode.NOT_FOUND, "BACKEND_NOT_FOUND"),
        (
            admin_service_pb2.SwitchBackendRequest(route="routes/nope", backend="backends/primary"),
            grpc.StatusCode.NOT_FOUND,
            "ROUTE_NOT_FOUND",
        ),
        (
            _switch(backend="backends/secondary"),  # secondary does not serve fast-model
            grpc.StatusCode.FAILED_PRECONDITION,
            "NO_ELIGIBLE_BACKEND",
        ),
        (
            _switch(backend="backends/primary", etag="stale"),
            grpc.StatusCode.ABORTED,
            "ETAG_MISMATCH",
        ),
    ]
    for request, code, reason in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await admin.SwitchBackend(request)
        assert (caught.value.code(), error_info(caught.value).reason) == (code, reason)


async def test_etag_guards_concurrent_switches(env) -> None:
    _, admin = env
    routes = (await admin.ListRoutes(admin_service_pb2.ListRoutesRequest())).routes
    etag = next(r.etag for r in routes if r.name == "routes/chain")
    await admin.SwitchBackend(
        _switch(backend="backends/secondary", model_id="claude-haiku-4-5", etag=etag)
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.SwitchBackend(_switch(backend="backends/primary", etag=etag))
    assert caught.value.code() == grpc.StatusCode.ABORTED


async def test_immediate_switch_ends_in_flight_requests_with_unavailable(env) -> None:
    stub, admin = env
    primary = stub.primary
    primary.enqueue(Reply(first_byte_delay=5), Reply(chunks=["x"] * 200, chunk_delay=0.02))
    unary = asyncio.ensure_future(stub.Chat(chat("chain")))
    for _ in range(200):  # the unary call takes the slow reply: wait until it has
        if primary.requests:
            break
        await asyncio.sleep(0.01)  # poll interval (bounded by the loop)
    stream = stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=chat("chain")))
    async for event in stream:
        if event.WhichOneof("event") == "delta":
            break  # the stream is running on primary (both attempts are registered)
    response = await admin.SwitchBackend(
        _switch(
            backend="backends/secondary",
            model_id="claude-haiku-4-5",
            mode=admin_service_pb2.SWITCH_MODE_IMMEDIATE,
        )
    )
    assert response.route.targets[0].backend == "backends/secondary"
    with pytest.raises(grpc.aio.AioRpcError) as unary_error:
        await asyncio.wait_for(unary, timeout=2)
    assert unary_error.value.code() == grpc.StatusCode.UNAVAILABLE
    with pytest.raises(grpc.aio.AioRpcError) as stream_error:
        async for _ in stream:
            pass
    assert stream_error.value.code() == grpc.StatusCode.UNAVAILABLE
    assert error_info(stream_error.value).reason == "UPSTREAM_STREAM_INTERRUPTED"
    assert (await stub.Chat(chat("chain"))).route.backend == "secondary"
