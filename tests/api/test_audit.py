"""The audit log: every admin mutation is a row (redacted before/after, actor,
outcome), written before the response, listed newest first with filters and
opaque page tokens."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import grpc
import pytest
from conftest import gateway_at
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from helpers import detail
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc
from llmgw.storage.audit import AuditOutcome, AuditQuery, AuditStore
from llmgw.storage.database import open_database
from upstream_fakes import FakeOpenAI

_pb = admin_service_pb2
SECRET = "sk-audit-canary-0123456789abcdef"


def _settings(url: str) -> dict[str, object]:
    return {
        "backends": [
            {
                "name": "vllm",
                "kind": "openai_compatible",
                "preset": "vllm",
                "base_url": url,
                "models": [{"id": "qwen"}],
            }
        ]
    }


async def test_switch_and_update_backend_rows_with_before_after_and_no_secret() -> None:
    async with FakeOpenAI(api_key=None) as old, FakeOpenAI(api_key=None) as new:
        async with gateway_at(_settings(old.base_url)) as running:
            async with grpc.aio.insecure_channel(running.admin_address) as channel:
                admin = admin_service_pb2_grpc.AdminServiceStub(channel)
                await admin.SwitchBackend(
                    _pb.SwitchBackendRequest(
                        route="routes/default",
                        backend="backends/demo",
                        model_id="demo-chat",
                        skip_health_check=True,
                        reason=f"maintenance, token {SECRET}",
                    )
                )
                # the row is readable as soon as the response arrived
                events = (await admin.ListAuditEvents(_pb.ListAuditEventsRequest())).events
                assert [e.action for e in events] == ["SwitchBackend"]
                switch = events[0]
                assert switch.target == "routes/default"
                assert switch.actor == "anonymous"
                assert switch.outcome == _pb.AUDIT_OUTCOME_SUCCESS
                assert json.loads(switch.before_json) == {"target": "backends/vllm:qwen"}
                assert json.loads(switch.after_json)["target"] == "backends/demo:demo-chat"
                assert "maintenance" in switch.reason and SECRET not in switch.reason
                assert switch.name.startswith("auditEvents/") and switch.request_id

                await admin.UpdateBackend(
                    _pb.UpdateBackendRequest(
                        backend=_pb.Backend(
                            name="backends/vllm",
                            endpoint_uri=new.base_url,
                            credential_ref=f"k8s://ns/secret/{SECRET}",
                        ),
                        update_mask=field_mask_pb2.FieldMask(paths=["endpoint_uri"]),
                    )
                )
                with pytest.raises(grpc.aio.AioRpcError):  # refused: userinfo in the URL
                    await admin.UpdateBackend(
                        _pb.UpdateBackendRequest(
                            backend=_pb.Backend(
                                name="backends/vllm",
                                endpoint_uri=f"http://admin:{SECRET}@10.0.0.1/v1",
                            )
                        )
                    )
                events = (await admin.ListAuditEvents(_pb.ListAuditEventsRequest())).events
    assert [(e.action, e.outcome) for e in events] == [
        ("UpdateBackend", _pb.AUDIT_OUTCOME_FAILURE),
        ("UpdateBackend", _pb.AUDIT_OUTCOME_SUCCESS),
        ("SwitchBackend", _pb.AUDIT_OUTCOME_SUCCESS),
    ]
    update = events[1]
    assert json.loads(update.before_json) == {"endpoint_uri": old.base_url}
    assert json.loads(update.after_json)["endpoint_uri"] == new.base_url
    assert json.loads(update.after_json)["pinned_addresses"] == ["127.0.0.1"]
    for event in events:
        assert SECRET not in event.SerializeToString().decode("utf-8", "replace")


async def test_filters_pagination_and_bad_arguments() -> None:
    async with gateway_at() as running:
        async with grpc.aio.insecure_channel(running.admin_address) as channel:
            admin = admin_service_pb2_grpc.AdminServiceStub(channel)
            for i in range(5):
                await admin.SwitchBackend(
                    _pb.SwitchBackendRequest(
                        route="routes/default",
                        backend="backends/demo",
                        model_id="demo-chat",
                        skip_health_check=True,
                        validate_only=i % 2 == 1,
                        reason=f"r{i}",
                    )
                )
            with pytest.raises(grpc.aio.AioRpcError):
                await admin.SwitchBackend(
                    _pb.SwitchBackendRequest(route="routes/nope", backend="backends/demo")
                )
            seen: list[str] = []
            token = ""
            while True:
                page = await admin.ListAuditEvents(
                    _pb.ListAuditEventsRequest(page_size=2, page_token=token)
                )
                assert len(page.events) <= 2
                seen += [e.reason or e.target for e in page.events]
                token = page.next_page_token
                if not token:
                    break
            assert seen == ["routes/nope", "r4", "r3", "r2", "r1", "r0"]  # newest first

            only = await admin.ListAuditEvents(
                _pb.ListAuditEventsRequest(action="SwitchBackend", actor="anonymous")
            )
            assert len(only.events) == 6
            none = await admin.ListAuditEvents(_pb.ListAuditEventsRequest(actor="someone-else"))
            assert list(none.events) == []
            assert not (
                await admin.ListAuditEvents(_pb.ListAuditEventsRequest(action="UpdateBudget"))
            ).events
            newest = only.events[0].create_time
            window = await admin.ListAuditEvents(
                _pb.ListAuditEventsRequest(start_time=only.events[2].create_time, end_time=newest)
            )
            assert [e.reason for e in window.events] == ["r4", "r3"]  # end is exclusive

            for bad in (
                _pb.ListAuditEventsRequest(page_token="not-a-token"),
                _pb.ListAuditEventsRequest(page_size=-1),
                _pb.ListAuditEventsRequest(page_size=1001),
            ):
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await admin.ListAuditEvents(bad)
                assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                violations = detail(caught.value, error_details_pb2.BadRequest)
                assert violations.field_violations[0].field in ("page_token", "page_size")  # type: ignore[attr-defined]


def _database_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


async def test_store_redacts_secrets_and_is_append_only_ordering() -> None:
    path = Path(tempfile.mkdtemp()) / "audit.sqlite3"
    db = await open_database(f"sqlite:///{path}")
    try:
        times = iter(range(1000, 2000))
        store = await AuditStore.open(db)
        store = AuditStore(db, now_ns=lambda: next(times))
        await store.append(
            actor="admin",
            action="CreateApiKey",
            target="apiKeys/k1",
            outcome=AuditOutcome.SUCCESS,
            after={
                "api_key": SECRET,
                "endpoint": "https://user:hunter2hunter2@host/v1",
                "note": f"Bearer {SECRET}",
                "max_output_tokens": 5,
            },
        )
        events, token = await store.list(AuditQuery(), 10)
        assert token == ""
        stored = events[0].after_json
        assert SECRET not in stored and "hunter2hunter2" not in stored
        assert json.loads(stored)["max_output_tokens"] == 5  # counts are not secrets
        assert SECRET.encode() not in _database_bytes(path)
    finally:
        await db.close()
