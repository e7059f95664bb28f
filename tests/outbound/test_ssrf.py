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
    # Non-canonical IPv4 literals are refused before any resolver sees them.
    numeric = EndpointGuard(EndpointPolicy(), StubResolver(["93.184.216.34"]))
    for odd in ("2852039166", "0xa9.0xfe.0xa9.0xfe", "0251.0376.0251.0376", "169.254.43518"):
        assert "non-canonical" in await _refusal(numeric, f"http://{odd}/")
    missing = EndpointGuard(EndpointPolicy(), StubResolver([]))
    assert "does not resolve" in await _refusal(missing, "http://nowhere.example/")


# Every IPv6 encoding that embeds the metadata address 169.254.169.254.
METADATA_IN_IPV6 = {
    "ipv4-mapped": "::ffff:169.254.169.254",
    "ipv4-translated (SIIT)": "::ffff:0:a9fe:a9fe",
    "ipv4-compatible": "::a9fe:a9fe",
    "nat64 well-known": "64:ff9b::a9fe:a9fe",
    "nat64 local-use /48": "64:ff9b:1:a9fe:a9:fea9:fe00:0",
    "nat64 local-use /96": "64:ff9b:1::a9fe:a9fe",
    "6to4": "2002:a9fe:a9fe::1",
    "teredo server": "2001:0:a9fe:a9fe::1",
    "teredo client": "2001:0:4136:e378:8000:63bf:5601:5601",  # client = ~0x5601_5601
}


@pytest.mark.parametrize("form", sorted(METADATA_IN_IPV6))
async def test_every_ipv6_embedding_of_the_metadata_address_is_refused(form: str) -> None:
    address = METADATA_IN_IPV6[form]
    literal = EndpointGuard(EndpointPolicy(), StubResolver(["93.184.216.34"]))
    assert "link-local" in await _refusal(literal, f"http://[{address}]:8080/v1")
    resolved = EndpointGuard(EndpointPolicy(), StubResolver(["93.184.216.34", address]))
    why = await _refusal(resolved, "http://aaaa-record.example/v1")
    assert address in why or str(ipaddress.ip_address(address)) in why
    if form.startswith(("nat64 local", "teredo server")):
        return  # denied as a range / by the server half: the client half is not the metadata
    assert "169.254.169.254" in why


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:a00:1::1",
        "::7f00:1",
        "2001:0:4136:e378::f5ff:fffe",
    ],
)
async def test_embedded_private_addresses_follow_allow_private(address: str) -> None:
    public_only = EndpointGuard(EndpointPolicy(allow_private=False), StubResolver([address]))
    await _refusal(public_only, f"http://[{address}]/v1")
    await _refusal(public_only, "http://internal.example/v1")
    await EndpointGuard(EndpointPolicy(), StubResolver([address])).check(
        f"http://[{address}]/", FIELD
    )


async def test_embeddings_of_public_addresses_pass() -> None:
    """NAT64 (DNS64 in IPv6-only clusters) and 6to4 of a public address are fine."""
    for address in ("64:ff9b::5db8:d822", "2002:5db8:d822::1", "2606:4700::1111"):
        guard = EndpointGuard(EndpointPolicy(allow_private=False), StubResolver([address]))
        pinned = await guard.check("https://api.example.com/v1", FIELD)
        assert pinned.addresses == (address,)


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


async def test_admin_plane_refuses_every_embedding_literal_and_resolved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through the server: CreateBackend (validate_only, which used to probe the
    address) and UpdateBackend refuse each form, as a literal and as the DNS
    answer for a name; nothing is created or changed."""
    answers = [[address] for address in METADATA_IN_IPV6.values()]
    resolver = StubResolver(*answers)
    monkeypatch.setattr(app, "endpoint_guard", lambda _s: EndpointGuard(EndpointPolicy(), resolver))
    async with FakeOpenAI(api_key=None) as fake, gateway_at(_vllm(fake.base_url)) as running:
        async with grpc.aio.insecure_channel(running.admin_address) as channel:
            admin = admin_service_pb2_grpc.AdminServiceStub(channel)
            urls = [f"http://[{a}]:8000/v1" for a in METADATA_IN_IPV6.values()]
            urls += ["http://dns64.example:8000/v1"] * len(answers)  # one answer per lookup
            for url in urls:
                create = admin_service_pb2.CreateBackendRequest(
                    backend_id="sneaky",
                    validate_only=True,
                    backend=admin_service_pb2.Backend(
                        type=admin_service_pb2.BACKEND_TYPE_VLLM,
                        endpoint_uri=url,
                        served_models=[admin_service_pb2.ServedModel(model_id="m")],
                    ),
                )
                for call in (admin.CreateBackend(create), admin.UpdateBackend(_update(url))):
                    with pytest.raises(grpc.aio.AioRpcError) as caught:
                        await call
                    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, url
                    bad = detail(caught.value, error_details_pb2.BadRequest)
                    assert bad.field_violations[0].field == FIELD  # type: ignore[attr-defined]
            assert len(resolver.lookups) == 2 * len(answers)  # every name checked, both RPCs
            listed = await admin.ListBackends(admin_service_pb2.ListBackendsRequest())
            assert [b.name for b in listed.backends] == ["backends/vllm"]
            assert [b.endpoint_uri for b in listed.backends] == [fake.base_url]
        assert fake.requests == []  # nothing was probed, here or there
