"""AdminService.UpdateBackend: point a backend (the vLLM sidecar) at a new
endpoint, validated (scheme allow-list, no metadata addresses) and dry-run
probed with ``validate_only``."""

from __future__ import annotations

import grpc
import pytest
from conftest import gateway_at
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from helpers import chat, detail, error_info
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc, gateway_service_pb2_grpc
from llmgw.domain.endpoints import check_endpoint
from upstream_fakes import FakeOpenAI


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/v1",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/",
        "http://metadata.google.internal/computeMetadata/v1",
        "http://user:secret@example.com/v1",
        "http://example.com/v1?x=1",
        "http:///v1",
        "http://0.0.0.0:8000/v1",
    ],
)
def test_unsafe_endpoints_are_refused(url: str) -> None:
    assert check_endpoint(url)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5:8000/v1", "https://api.example.com/v1", "http://vllm.svc:8000"]
)
def test_ordinary_endpoints_pass(url: str) -> None:
    assert check_endpoint(url) == []


def _update(uri: str, **fields: object) -> admin_service_pb2.UpdateBackendRequest:
    return admin_service_pb2.UpdateBackendRequest(
        backend=admin_service_pb2.Backend(name="backends/vllm", endpoint_uri=uri),
        update_mask=field_mask_pb2.FieldMask(paths=["endpoint_uri"]),
        **fields,  # type: ignore[arg-type]
    )


async def test_update_endpoint_with_dry_run_then_apply() -> None:
    async with FakeOpenAI(api_key=None) as old, FakeOpenAI(api_key=None) as new:
        settings = {
            "demo_enabled": False,
            "backends": [
                {
                    "name": "vllm",
                    "kind": "openai_compatible",
                    "preset": "vllm",
                    "base_url": old.base_url,
                    "models": [{"id": "qwen"}],
                },
            ],
        }
        async with gateway_at(settings) as running:
            async with (
                grpc.aio.insecure_channel(running.data_address) as data,
                grpc.aio.insecure_channel(running.admin_address) as admin_channel,
            ):
                stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
                admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)

                dry = await admin.UpdateBackend(_update(new.base_url, validate_only=True))
                assert dry.backend.endpoint_uri == new.base_url
                assert [r.path for r in new.requests] == ["/health"]  # probed, not used
                await stub.Chat(chat("qwen"))
                assert old.requests[-1].path == "/v1/chat/completions"

                applied = await admin.UpdateBackend(_update(new.base_url))
                assert applied.backend.endpoint_uri == new.base_url
                await stub.Chat(chat("qwen"))
                assert new.requests[-1].path == "/v1/chat/completions"
                got = await admin.GetBackend(
                    admin_service_pb2.GetBackendRequest(name="backends/vllm")
                )
                assert got.backend.endpoint_uri == new.base_url

                with pytest.raises(grpc.aio.AioRpcError) as down:
                    await admin.UpdateBackend(_update("http://127.0.0.1:9/v1", validate_only=True))
                assert down.value.code() == grpc.StatusCode.FAILED_PRECONDITION

                with pytest.raises(grpc.aio.AioRpcError) as unsafe:
                    await admin.UpdateBackend(_update("http://169.254.169.254/latest"))
                assert unsafe.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                bad = detail(unsafe.value, error_details_pb2.BadRequest)
                assert bad.field_violations[0].field == "backend.endpoint_uri"  # type: ignore[attr-defined]

                with pytest.raises(grpc.aio.AioRpcError) as other_field:
                    await admin.UpdateBackend(
                        admin_service_pb2.UpdateBackendRequest(
                            backend=admin_service_pb2.Backend(name="backends/vllm", weight=3),
                            update_mask=field_mask_pb2.FieldMask(paths=["weight"]),
                        )
                    )
                assert other_field.value.code() == grpc.StatusCode.INVALID_ARGUMENT

                with pytest.raises(grpc.aio.AioRpcError) as missing:
                    await admin.UpdateBackend(
                        admin_service_pb2.UpdateBackendRequest(
                            backend=admin_service_pb2.Backend(
                                name="backends/nope", endpoint_uri=new.base_url
                            )
                        )
                    )
                assert error_info(missing.value).reason == "BACKEND_NOT_FOUND"
