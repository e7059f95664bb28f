"""AdminService.CreateBackend: a backend added at run time is validated like
UpdateBackend (fields, SSRF guard, pinned DNS), probed on validate_only,
served through ``backend/model`` and the bare model id once created, listed,
audited, and its env credential never appears in any answer or audit row."""

from __future__ import annotations

import json

import grpc
import pytest
from conftest import gateway_at
from google.rpc import error_details_pb2
from helpers import chat, detail, error_info
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2_grpc,
    routing_pb2,
)
from llmgw.accounting.pricing import PriceBook
from llmgw.domain.models import ModelInfo
from llmgw.domain.money import ModelPrice
from llmgw.pipeline.catalog import Catalog
from upstream_fakes import FakeOpenAI

_pb = admin_service_pb2
SECRET = "sk-canary-create-backend-0123456789"
ENV = {"UPSTREAM_KEY_FRESH": SECRET, "LLMGW_DATABASE_URL": "postgresql://u:canarypw-x@db/x"}


def _backend(url: str, **fields: object) -> admin_service_pb2.Backend:
    values: dict[str, object] = {
        "type": _pb.BACKEND_TYPE_OPENAI_COMPATIBLE,
        "endpoint_uri": url,
        "credential_ref": "env://UPSTREAM_KEY_FRESH",
        "served_models": [
            _pb.ServedModel(
                model_id="fresh-chat",
                upstream_model="fake-model",
                capabilities=[routing_pb2.CAPABILITY_STREAMING],
                input_token_limit=8192,
                output_token_limit=512,
            ),
            _pb.ServedModel(model_id="fresh-other"),
        ],
    }
    values.update(fields)
    return _pb.Backend(**values)  # type: ignore[arg-type]


def _create(url: str, backend_id: str = "fresh", **fields: object) -> _pb.CreateBackendRequest:
    validate_only = bool(fields.pop("validate_only", False))
    return _pb.CreateBackendRequest(
        backend_id=backend_id, backend=_backend(url, **fields), validate_only=validate_only
    )


async def _names(admin: admin_service_pb2_grpc.AdminServiceStub) -> list[str]:
    return [b.name for b in (await admin.ListBackends(_pb.ListBackendsRequest())).backends]


async def test_created_backend_serves_chat_is_listed_and_audited_without_its_key() -> None:
    prices = {"fresh/fresh-chat": {"input_per_million_tokens": 1, "output_per_million_tokens": 2}}
    answers: list[bytes] = []
    async with FakeOpenAI(api_key=SECRET) as upstream, gateway_at({"prices": prices}, ENV) as gw:
        async with (
            grpc.aio.insecure_channel(gw.data_address) as data,
            grpc.aio.insecure_channel(gw.admin_address) as admin_channel,
        ):
            stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
            admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
            with pytest.raises(grpc.aio.AioRpcError) as before:
                await stub.Chat(chat("fresh/fresh-chat"))
            assert before.value.code() == grpc.StatusCode.NOT_FOUND

            created = await admin.CreateBackend(_create(upstream.base_url))
            answers.append(created.SerializeToString())
            backend = created.backend
            assert backend.name == "backends/fresh"
            assert backend.type == _pb.BACKEND_TYPE_OPENAI_COMPATIBLE
            assert backend.endpoint_uri == upstream.base_url
            assert backend.credential_ref == ""  # input only
            assert [m.model_id for m in backend.served_models] == ["fresh-chat", "fresh-other"]
            assert backend.served_models[0].upstream_model == "fake-model"
            assert backend.served_models[0].input_token_limit == 8192
            assert backend.served_models[1].upstream_model == "fresh-other"
            assert upstream.requests == []  # applying does not call the upstream

            reply = await stub.Chat(chat("fresh/fresh-chat"))
            answers.append(reply.SerializeToString())
            assert reply.route.backend.endswith("fresh")
            sent = upstream.requests[-1]
            assert sent.path == "/v1/chat/completions" and sent.json["model"] == "fake-model"
            assert sent.headers["Authorization"] == f"Bearer {SECRET}"
            assert not reply.cost.estimated and reply.cost.total.nanos > 0  # config override
            bare = await stub.Chat(chat("fresh-other"))  # bare model id; no price known
            assert bare.route.backend.endswith("fresh") and bare.cost.estimated

            assert "backends/fresh" in await _names(admin)
            got = await admin.GetBackend(_pb.GetBackendRequest(name="backends/fresh"))
            health = await admin.GetHealth(_pb.GetHealthRequest())
            answers += [got.SerializeToString(), health.SerializeToString()]
            assert "fresh" in [b.backend for b in health.backends]
            routes = await admin.ListRoutes(_pb.ListRoutesRequest())
            assert all(t.backend != "backends/fresh" for r in routes.routes for t in r.targets)

            for taken in ("fresh", "demo"):
                with pytest.raises(grpc.aio.AioRpcError) as duplicate:
                    await admin.CreateBackend(_create(upstream.base_url, taken))
                assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS
                assert error_info(duplicate.value).reason == "BACKEND_ALREADY_EXISTS"
                answers.append(str(duplicate.value.details()).encode())

            events = await admin.ListAuditEvents(_pb.ListAuditEventsRequest(action="CreateBackend"))
    assert [(e.target, e.outcome) for e in events.events] == [
        ("backends/demo", _pb.AUDIT_OUTCOME_FAILURE),
        ("backends/fresh", _pb.AUDIT_OUTCOME_FAILURE),
        ("backends/fresh", _pb.AUDIT_OUTCOME_SUCCESS),
    ]
    after = json.loads(events.events[-1].after_json)
    assert after["endpoint_uri"] == upstream.base_url
    assert after["pinned_addresses"] == ["127.0.0.1"]
    assert after["upstream_key_set"] is True
    assert [m["model_id"] for m in after["models"]] == ["fresh-chat", "fresh-other"]
    for blob in [*answers, *(e.SerializeToString() for e in events.events)]:
        assert SECRET.encode() not in blob


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"endpoint_uri": "http://169.254.169.254/latest/meta-data"}, "backend.endpoint_uri"),
        ({"endpoint_uri": "http://[fd00:ec2::254]/v1"}, "backend.endpoint_uri"),
        ({"endpoint_uri": f"http://admin:{SECRET}@127.0.0.1/v1"}, "backend.endpoint_uri"),
        ({"endpoint_uri": "ftp://127.0.0.1/v1"}, "backend.endpoint_uri"),
        ({"endpoint_uri": ""}, "backend.endpoint_uri"),
        ({"type": _pb.BACKEND_TYPE_GEMINI}, "backend.type"),
        ({"type": _pb.BACKEND_TYPE_UNSPECIFIED}, "backend.type"),
        ({"served_models": []}, "backend.served_models"),
        ({"served_models": [_pb.ServedModel(model_id="a/b")]}, "backend.served_models[0].model_id"),
        ({"credential_ref": "k8s://ns/secret/key"}, "backend.credential_ref"),
        ({"credential_ref": "env://NOT_SET_ANYWHERE"}, "backend.credential_ref"),
        ({"credential_ref": "env://LLMGW_DATABASE_URL"}, "backend.credential_ref"),
        ({"backend_id": "Bad_Id"}, "backend_id"),
        ({"backend_id": "9starts-with-digit"}, "backend_id"),
    ],
)
async def test_refused_requests_create_nothing(fields: dict[str, object], field: str) -> None:
    async with FakeOpenAI(api_key=SECRET) as upstream, gateway_at(env=ENV) as gw:
        async with grpc.aio.insecure_channel(gw.admin_address) as channel:
            admin = admin_service_pb2_grpc.AdminServiceStub(channel)
            values = dict(fields)
            backend_id = str(values.pop("backend_id", "fresh"))
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await admin.CreateBackend(_create(upstream.base_url, backend_id, **values))
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            bad = detail(refused.value, error_details_pb2.BadRequest)
            assert field in [v.field for v in bad.field_violations]  # type: ignore[attr-defined]
            assert SECRET not in str(refused.value.details())
            assert "canarypw" not in str(refused.value.details())
            assert await _names(admin) == ["backends/demo"]
            events = await admin.ListAuditEvents(_pb.ListAuditEventsRequest())
    assert upstream.requests == []
    assert [(e.action, e.outcome) for e in events.events] == [
        ("CreateBackend", _pb.AUDIT_OUTCOME_FAILURE)
    ]
    assert SECRET not in events.events[0].SerializeToString().decode("utf-8", "replace")


async def test_validate_only_probes_and_changes_nothing() -> None:
    async with FakeOpenAI(api_key=None) as upstream, gateway_at() as gw:
        async with (
            grpc.aio.insecure_channel(gw.data_address) as data,
            grpc.aio.insecure_channel(gw.admin_address) as admin_channel,
        ):
            stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
            admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
            dry = await admin.CreateBackend(
                _create(
                    upstream.base_url,
                    "sidecar",
                    type=_pb.BACKEND_TYPE_VLLM,
                    credential_ref="",
                    validate_only=True,
                )
            )
            assert dry.backend.name == "backends/sidecar"
            assert dry.backend.type == _pb.BACKEND_TYPE_VLLM
            assert dry.backend.health.state == _pb.HEALTH_STATE_HEALTHY
            assert [r.path for r in upstream.requests] == ["/health"]  # probed, vLLM style
            assert await _names(admin) == ["backends/demo"]
            with pytest.raises(grpc.aio.AioRpcError) as absent:
                await stub.Chat(chat("sidecar/fresh-chat"))
            assert absent.value.code() == grpc.StatusCode.NOT_FOUND

            with pytest.raises(grpc.aio.AioRpcError) as down:
                await admin.CreateBackend(
                    _create(
                        "http://127.0.0.1:9/v1", "sidecar", credential_ref="", validate_only=True
                    )
                )
            assert down.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert await _names(admin) == ["backends/demo"]

            # Creating for real afterwards still works (the dry run reserved nothing).
            created = await admin.CreateBackend(
                _create(
                    upstream.base_url, "sidecar", type=_pb.BACKEND_TYPE_ANTHROPIC, credential_ref=""
                )
            )
            assert created.backend.type == _pb.BACKEND_TYPE_ANTHROPIC
            events = await admin.ListAuditEvents(_pb.ListAuditEventsRequest())
    assert [(e.action, e.outcome) for e in events.events] == [
        ("CreateBackend", _pb.AUDIT_OUTCOME_SUCCESS),
        ("CreateBackend", _pb.AUDIT_OUTCOME_FAILURE),
        ("CreateBackend", _pb.AUDIT_OUTCOME_DRY_RUN),
    ]


def test_catalog_and_price_book_learn_added_models() -> None:
    old = ModelInfo(id="m", backend="a", upstream_id="m")
    new = ModelInfo(id="m", backend="b", upstream_id="m")
    other = ModelInfo(id="n", backend="b", upstream_id="n")
    catalog = Catalog([old], {"alias": ["m"]})
    catalog.add_models([new, other])
    assert [t.model for t in catalog.resolve("m").targets] == [old, new]  # registration order
    assert [t.model for t in catalog.resolve("b/n").targets] == [other]
    assert [t.model for t in catalog.route("alias")] == [old]  # aliases unchanged
    price = ModelPrice(input_per_mtok=1, output_per_mtok=2, version="config")  # type: ignore[arg-type]
    book = PriceBook([old], provider_ids={}, free_backends=["a"], overrides={"b/n": price})
    book.add_models([new, other])
    assert book.price(new) is None  # unpriced, not free
    assert book.price(other) == price
