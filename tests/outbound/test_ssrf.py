"""The admin plane's SSRF guard: scheme/userinfo/metadata checks, allow and
deny lists, DNS resolved once and pinned (a rebinding cannot move the
adapter), and redirects never followed."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence

import grpc
import pytest
from conftest import gateway_at
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from helpers import chat, detail
from llmgateway.v1 import admin_service_pb2, admin_service_pb2_grpc, gateway_service_pb2_grpc
from llmgw import app
from llmgw.config import Settings
from llmgw.domain.errors import InvalidRequestError
from llmgw.outbound.endpoint_guard import EndpointGuard, EndpointPolicy
from upstream_fakes import FakeOpenAI, Reply

FIELD = "backend.endpoint_uri"


class StubResolver:
    """Answers each lookup with the next scripted answer (the last repeats)."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self._answers: Iterator[Sequence[str]] = iter(answers)
        self._last: Sequence[str] = ()
        self.lookups: list[str] = []

    async def resolve(self, host: str, port: int) -> Sequence[str]:
        self.lookups.append(host)
        self._last = next(self._answers, self._last)
        if not self._last:
            raise OSError("NXDOMAIN")
        return self._last


async def _refusal(guard: EndpointGuard, url: str) -> str:
    with pytest.raises(InvalidRequestError) as caught:
        await guard.check(url, FIELD)
    assert caught.value.violations[0].field == FIELD
    return " ".join(v.description for v in caught.value.violations)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "169.254.169.254"),
        ("http://100.100.100.200/latest", "metadata"),
        ("http://[fd00:ec2::254]/", "link-local"),
        ("http://metadata.google.internal/computeMetadata/v1", "metadata"),
        ("http://user:pw@example.com/v1", "credentials"),
        ("ftp://example.com/v1", "scheme"),
        ("gopher://example.com/", "scheme"),
        ("file:///etc/passwd", "scheme"),
    ],
)
async def test_literal_refusals(url: str, why: str) -> None:
    guard = EndpointGuard(EndpointPolicy(), StubResolver(["93.184.216.34"]))
    assert why in await _refusal(guard, url)


async def test_a_name_resolving_to_metadata_is_refused() -> None:
    guard = EndpointGuard(EndpointPolicy(), StubResolver(["93.184.216.34", "169.254.169.254"]))
    assert "169.254.169.254" in await _refusal(guard, "http://sneaky.example/v1")
    decimal = EndpointGuard(EndpointPolicy(), StubResolver(["169.254.169.254"]))
    assert "169.254.169.254" in await _refusal(decimal, "http://2852039166/")  # decimal form
    missing = EndpointGuard(EndpointPolicy(), StubResolver([]))
    assert "does not resolve" in await _refusal(missing, "http://nowhere.example/")


async def test_dns_rebinding_after_validation_is_pinned_out() -> None:
    resolver = StubResolver(["93.184.216.34"], ["169.254.169.254"])
    guard = EndpointGuard(EndpointPolicy(), resolver)
    pinned = await guard.check("https://api.example.com/v1/", FIELD)
    assert pinned.addresses == ("93.184.216.34",) and pinned.url == "https://api.example.com/v1"
    # the name now points at the metadata service: a new validation refuses it,
    # and the pinned endpoint still holds only the first, validated answer
    assert "169.254.169.254" in await _refusal(guard, "https://api.example.com/v1")
    assert pinned.addresses == ("93.184.216.34",)


async def test_allow_list_private_ranges_and_extra_denies() -> None:
    allow = EndpointGuard(
        EndpointPolicy(allowed_hosts=("api.openai.com", ".svc.cluster.local")),
        StubResolver(["10.0.0.7"]),
    )
    await allow.check("https://api.openai.com/v1", FIELD)
    await allow.check("http://vllm.llm.svc.cluster.local:8000/v1", FIELD)
    assert "allow-list" in await _refusal(allow, "https://evil.example/v1")
    assert "allow-list" in await _refusal(allow, "https://api.openai.com.evil.example/v1")

    public_only = EndpointGuard(EndpointPolicy(allow_private=False), StubResolver(["10.1.2.3"]))
    await _refusal(public_only, "http://127.0.0.1:8000/v1")
    await _refusal(public_only, "http://internal.example/v1")  # resolves to 10.1.2.3
    await _refusal(public_only, "http://100.64.1.1/v1")  # CGNAT

    denied = EndpointGuard(
        EndpointPolicy(deny_networks=(ipaddress.ip_network("203.0.113.0/24"),)),
        StubResolver(["203.0.113.9"]),
    )
    await _refusal(denied, "http://db.example/")
    await EndpointGuard(EndpointPolicy(), StubResolver(["10.0.0.5"])).check(
        "http://vllm.svc:8000", FIELD
    )  # private allowed by default (cluster-internal backends)


def _vllm(url: str) -> dict[str, object]:
    return {
        "demo_enabled": False,
        "backends": [
            {
                "name": "vllm",
                "kind": "openai_compatible",
                "preset": "vllm",
                "base_url": url,
                "models": [{"id": "qwen"}],
                "retry": {"max_retries": 0},
            }
        ],
    }


def _update(uri: str) -> admin_service_pb2.UpdateBackendRequest:
    return admin_service_pb2.UpdateBackendRequest(
        backend=admin_service_pb2.Backend(name="backends/vllm", endpoint_uri=uri),
        update_mask=field_mask_pb2.FieldMask(paths=["endpoint_uri"]),
    )


async def test_rebinding_through_the_admin_plane_connects_to_the_pinned_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``rebind.test`` resolves to the loopback fake once, then to the metadata
    address. The adapter must reach the fake: it connects to the pinned
    address and never asks DNS again (the system resolver knows no such name)."""
    resolver = StubResolver(["127.0.0.1"], ["169.254.169.254"])

    def stub_guard(settings: Settings) -> EndpointGuard:
        return EndpointGuard(EndpointPolicy(), resolver)

    monkeypatch.setattr(app, "endpoint_guard", stub_guard)
    async with FakeOpenAI(api_key=None) as old, FakeOpenAI(api_key=None) as new:
        port = new.base_url.split(":")[2].split("/")[0]
        async with gateway_at(_vllm(old.base_url)) as running:
            async with (
                grpc.aio.insecure_channel(running.data_address) as data,
                grpc.aio.insecure_channel(running.admin_address) as admin_channel,
            ):
                admin = admin_service_pb2_grpc.AdminServiceStub(admin_channel)
                await admin.UpdateBackend(_update(f"http://rebind.test:{port}/v1"))
                stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
                await stub.Chat(chat("qwen"))
                await stub.Chat(chat("qwen"))
                assert [r.path for r in new.requests] == ["/v1/chat/completions"] * 2
                assert resolver.lookups == ["rebind.test"]  # resolved once, at validation

                with pytest.raises(grpc.aio.AioRpcError) as caught:  # now it rebinds
                    await admin.UpdateBackend(_update(f"http://rebind.test:{port}/v1"))
                assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                bad = detail(caught.value, error_details_pb2.BadRequest)
                assert "169.254.169.254" in bad.field_violations[0].description  # type: ignore[attr-defined]


async def test_a_redirect_to_metadata_is_not_followed() -> None:
    async with FakeOpenAI(api_key=None) as fake:
        fake.default = Reply(
            status=302, headers={"Location": f"{fake.base_url}/latest/meta-data/iam"}
        )
        async with gateway_at(_vllm(fake.base_url)) as running:
            async with grpc.aio.insecure_channel(running.data_address) as data:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await stub.Chat(chat("qwen"))
        assert caught.value.code() != grpc.StatusCode.OK
        assert fake.requests, "the backend was never called"
        assert all(r.path == "/v1/chat/completions" for r in fake.requests)
