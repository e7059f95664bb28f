"""TLS and mTLS on both ports, with certificates this test makes.

* the file source reloads only complete, consistent material;
* Python stubs over TLS; a plaintext client is refused;
* mTLS: no client certificate (or one from another CA) fails the handshake;
  a certificate's SAN (URI or DNS) maps to the configured principal and
  scopes; an unmapped certificate is UNAUTHENTICATED; an API key sent over
  mTLS decides instead;
* a certificate rotated while a stream is open: the stream completes, new
  connections get the new certificate, a half-written rotation is ignored;
* ``llmgw serve --tls-cert --tls-key --tls-client-ca`` through grpcurl.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from certs import Authority, Issued
from conftest import gateway_at
from cryptography import x509
from grpc_health.v1 import health_pb2, health_pb2_grpc
from helpers import chat
from llmgateway.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
)
from llmgw.app import build, run
from llmgw.config import ConfigError, Settings
from llmgw.config.schema import TlsConfig
from llmgw.config.serving import exposure_problem
from llmgw.config.tls_files import TlsFiles
from processes import BIN, start_gateway
from upstream_fakes import FakeOpenAI, Reply

BILLING = "spiffe://cluster.local/ns/apps/sa/billing"
OPS = "ops.internal.test"
ADMIN_KEY = "bootstrap-admin-secret-0123456789abcdef"


@dataclass
class Pki:
    folder: Path
    ca: Authority
    server: Issued
    cert: Path
    key: Path
    ca_file: Path

    def credentials(self, client: Issued | None = None) -> grpc.ChannelCredentials:
        if client is None:
            return grpc.ssl_channel_credentials(self.ca.pem)
        return grpc.ssl_channel_credentials(self.ca.pem, client.key_pem, client.cert_pem)

    def rotate(self, issued: Issued, *, key: bool = True) -> None:
        """Replace the files atomically (as a Kubernetes secret mount does)."""
        pairs = [(self.cert, issued.cert_pem)] + ([(self.key, issued.key_pem)] if key else [])
        for path, data in pairs:
            temporary = path.with_suffix(".new")
            temporary.write_bytes(data)
            os.replace(temporary, path)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca = Authority()
    server = ca.server()
    cert, key = server.write(tmp_path, "server")
    ca_file = tmp_path / "ca.crt"
    ca_file.write_bytes(ca.pem)
    return Pki(tmp_path, ca, server, cert, key, ca_file)


def _tls(pki: Pki, *, mtls: bool = False, **more: Any) -> dict[str, Any]:
    tls: dict[str, Any] = {"cert_file": str(pki.cert), "key_file": str(pki.key)}
    if mtls:
        tls["client_ca_file"] = str(pki.ca_file)
    return {"tls": {**tls, **more}}


IDENTITIES = [
    {"match": BILLING, "tenant": "billing", "project": "invoices", "scopes": ["chat"]},
    {"match": OPS, "tenant": "ops", "scopes": ["admin:read"]},
]


def _served_serial(address: str, ca: bytes) -> int:
    """The serial of the certificate a new TLS connection is given."""
    context = ssl.create_default_context(cadata=ca.decode())
    context.set_alpn_protocols(["h2"])
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            der = tls.getpeercert(binary_form=True)
    assert der is not None
    return int(x509.load_der_x509_certificate(der).serial_number)


async def _code(call: Any) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


# --- the file source ---------------------------------------------------------


def test_files_reload_only_complete_consistent_material(pki: Pki) -> None:
    files = TlsFiles(TlsConfig(cert_file=str(pki.cert), key_file=str(pki.key)))
    first = files.read()
    assert first.certificate_chain == pki.server.cert_pem and first.client_ca is None
    assert files.changed() is None  # nothing changed
    renewed = pki.ca.server()
    pki.rotate(renewed, key=False)  # half-way: new certificate, old key
    assert files.changed() is None  # kept the old material
    pki.rotate(renewed)
    second = files.changed()
    assert second is not None and second.private_key == renewed.key_pem
    assert files.changed() is None
    assert "PRIVATE" not in repr(second)


def test_unusable_files_are_config_errors_naming_them(pki: Pki) -> None:
    other = pki.ca.server()
    pki.rotate(other, key=False)
    with pytest.raises(ConfigError, match=r"server\.key does not match the certificate"):
        run(None, tls={"cert_file": str(pki.cert), "key_file": str(pki.key)})
    with pytest.raises(ConfigError, match=r"cert_file and tls\.key_file must be set together"):
        run(None, tls={"cert_file": str(pki.cert)})
    missing = pki.folder / "absent.crt"
    with pytest.raises(ConfigError, match=r"absent\.crt"):
        TlsFiles(TlsConfig(cert_file=str(missing), key_file=str(pki.key))).read()


def test_mtls_identities_count_as_authentication(pki: Pki) -> None:
    exposed = {"listen": "0.0.0.0:50051"}
    assert "refusing to listen on 0.0.0.0:50051" in exposure_problem(Settings(**exposed))
    with_ids = Settings.model_validate({**exposed, **_tls(pki, mtls=True, identities=IDENTITIES)})
    assert exposure_problem(with_ids) == ""
    tls_only = Settings.model_validate({**exposed, **_tls(pki)})  # encrypted, not authenticated
    assert exposure_problem(tls_only) != ""
    with pytest.raises(ConfigError, match=r"identities need tls\.client_ca_file"):
        build(Settings.model_validate(_tls(pki, identities=IDENTITIES)), {})


# --- a real gateway over TLS -------------------------------------------------


async def test_stubs_over_tls_and_plaintext_refused(pki: Pki) -> None:
    async with gateway_at(_tls(pki)) as running:
        for address in (running.data_address, running.admin_address):
            async with grpc.aio.secure_channel(address, pki.credentials()) as channel:
                health = health_pb2_grpc.HealthStub(channel)
                reply = await health.Check(health_pb2.HealthCheckRequest(service="readiness"))
                assert reply.status == health_pb2.HealthCheckResponse.SERVING
            async with grpc.aio.insecure_channel(address) as plain:
                check = health_pb2_grpc.HealthStub(plain).Check(
                    health_pb2.HealthCheckRequest(), timeout=5
                )
                assert await _code(check) == grpc.StatusCode.UNAVAILABLE
        async with grpc.aio.secure_channel(running.data_address, pki.credentials()) as channel:
            stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
            answer = await stub.Chat(chat("demo-chat"))
            assert answer.candidates[0].message.parts[0].text


@pytest.fixture
async def mtls_gateway(pki: Pki) -> AsyncIterator[Any]:
    settings = {**_tls(pki, mtls=True, identities=IDENTITIES)}
    settings["auth"] = {"bootstrap_admin_key": ADMIN_KEY}
    async with gateway_at(settings) as running:
        yield running


async def _chat_and_admin(
    running: Any, credentials: grpc.ChannelCredentials, metadata: Any = None
) -> tuple[grpc.StatusCode, grpc.StatusCode]:
    async with grpc.aio.secure_channel(running.data_address, credentials) as data:
        stub = gateway_service_pb2_grpc.GatewayServiceStub(data)
        chat_code = await _code(stub.Chat(chat("demo-chat"), timeout=10, metadata=metadata))
    async with grpc.aio.secure_channel(running.admin_address, credentials) as admin:
        admin_stub = admin_service_pb2_grpc.AdminServiceStub(admin)
        listed = admin_stub.ListBackends(
            admin_service_pb2.ListBackendsRequest(), timeout=10, metadata=metadata
        )
        admin_code = await _code(listed)
    return chat_code, admin_code


async def test_mtls_certificate_identity_is_the_principal(pki: Pki, mtls_gateway: Any) -> None:
    codes = grpc.StatusCode
    billing = pki.ca.issue("billing", uris=(BILLING,), client=True)
    ops = pki.ca.issue("ops", dns=(OPS,), client=True)
    stranger = pki.ca.issue("stranger", uris=("spiffe://cluster.local/ns/x/sa/y",), client=True)
    assert await _chat_and_admin(mtls_gateway, pki.credentials(billing)) == (
        codes.OK,
        codes.PERMISSION_DENIED,  # scopes: chat only
    )
    assert await _chat_and_admin(mtls_gateway, pki.credentials(ops)) == (
        codes.PERMISSION_DENIED,
        codes.OK,  # scopes: admin:read
    )
    assert await _chat_and_admin(mtls_gateway, pki.credentials(stranger)) == (
        codes.UNAUTHENTICATED,
        codes.UNAUTHENTICATED,
    )
    # An API key sent over mTLS decides (the admin key may do both).
    bearer = (("authorization", f"Bearer {ADMIN_KEY}"),)
    assert await _chat_and_admin(mtls_gateway, pki.credentials(billing), bearer) == (
        codes.OK,
        codes.OK,
    )
    # The certificate's chat was billed to its identity's tenant and project.
    async with grpc.aio.secure_channel(mtls_gateway.admin_address, pki.credentials(ops)) as channel:
        request = admin_service_pb2.GetCostsRequest()
        request.start_time.FromSeconds(int(time.time()) - 3600)
        request.group_by.extend(
            [admin_service_pb2.COST_DIMENSION_TENANT, admin_service_pb2.COST_DIMENSION_PROJECT]
        )
        report = await admin_service_pb2_grpc.AdminServiceStub(channel).GetCosts(request)
    billed = {
        (r.dimensions["tenant"], r.dimensions["project"]): r.request_count for r in report.rows
    }
    assert billed.get(("billing", "invoices")) == 1, billed


async def test_mtls_refuses_clients_without_a_trusted_certificate(
    pki: Pki, mtls_gateway: Any
) -> None:
    foreign = Authority("another CA").issue("billing", uris=(BILLING,), client=True)
    for credentials in (pki.credentials(), pki.credentials(foreign)):
        assert await _chat_and_admin(mtls_gateway, credentials) == (
            grpc.StatusCode.UNAVAILABLE,
            grpc.StatusCode.UNAVAILABLE,
        )


async def test_certificate_rotated_while_a_stream_is_open(pki: Pki) -> None:
    async with FakeOpenAI(api_key=None) as fake:
        fake.enqueue(Reply(chunks=["tok "] * 20, chunk_delay=0.05))
        settings = {
            **_tls(pki),
            "backends": [
                {
                    "name": "fake",
                    "kind": "openai_compatible",
                    "base_url": fake.base_url,
                    "models": [{"id": "m", "capabilities": ["streaming"]}],
                }
            ],
        }
        async with gateway_at(settings) as running:
            address = running.data_address
            original = await asyncio.to_thread(_served_serial, address, pki.ca.pem)
            assert original == pki.server.serial
            async with grpc.aio.secure_channel(address, pki.credentials()) as channel:
                stub = gateway_service_pb2_grpc.GatewayServiceStub(channel)
                stream = stub.StreamChat(gateway_service_pb2.StreamChatRequest(chat=chat("fake/m")))
                events = [await stream.read()]
                while not events[-1].HasField("delta"):
                    events.append(await stream.read())

                renewed = pki.ca.server()
                pki.rotate(renewed, key=False)  # half-written: still the old one served
                half = await asyncio.to_thread(_served_serial, address, pki.ca.pem)
                assert half == original
                pki.rotate(renewed)
                now = await asyncio.to_thread(_served_serial, address, pki.ca.pem)
                assert now == renewed.serial

                async with grpc.aio.secure_channel(address, pki.credentials()) as fresh:
                    answer = await gateway_service_pb2_grpc.GatewayServiceStub(fresh).Chat(
                        chat("demo-chat"), timeout=10
                    )
                    assert answer.candidates[0].message.parts[0].text
                for _ in range(200):  # bounded: 20 deltas + usage + final
                    event = await stream.read()
                    if event is grpc.aio.EOF:
                        break
                    events.append(event)
    assert events[-1].HasField("final")
    assert sum(e.HasField("delta") for e in events) == 20


# --- the installed command and grpcurl ---------------------------------------


def _grpcurl(pki: Pki, address: str, *args: str, client: Issued | None = None) -> Any:
    flags = ["-cacert", str(pki.ca_file), "-servername", "localhost", "-max-time", "10"]
    if client is not None:
        cert, key = client.write(pki.folder, "client")
        flags += ["-cert", str(cert), "-key", str(key)]
    return subprocess.run(
        [str(BIN / "grpcurl"), *flags, *args[:-1], address, args[-1]],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.slow
def test_serve_flags_and_grpcurl_over_mtls(pki: Pki) -> None:
    config = {"probe_interval_seconds": 0, "tls": {"identities": IDENTITIES}}
    flags = ("--tls-cert", str(pki.cert), "--tls-key", str(pki.key))
    gateway = start_gateway(
        pki.folder / "run", config, args=(*flags, "--tls-client-ca", str(pki.ca_file))
    )
    billing = pki.ca.issue("billing", uris=(BILLING,), client=True)
    try:
        end = time.monotonic() + 30
        health = ("-d", '{"service": "readiness"}', "grpc.health.v1.Health/Check")
        while True:
            assert gateway.process.poll() is None, gateway.logs()
            checked = _grpcurl(pki, gateway.address, *health, client=billing)
            if '"SERVING"' in checked.stdout or time.monotonic() > end:
                break
            time.sleep(0.1)
        assert '"SERVING"' in checked.stdout, checked.stderr + gateway.logs()
        listed = _grpcurl(pki, gateway.address, "list", client=billing)
        assert "llmgateway.v1.GatewayService" in listed.stdout, listed.stderr
        message = {"role": "ROLE_USER", "parts": [{"text": "hi"}]}
        request = json.dumps({"model": "demo-chat", "messages": [message]})
        answered = _grpcurl(
            pki, gateway.address, "-d", request, "llmgateway.v1.GatewayService/Chat", client=billing
        )
        assert answered.returncode == 0 and '"candidates"' in answered.stdout, answered.stderr
        refused = _grpcurl(pki, gateway.address, "list")  # no client certificate
        assert refused.returncode != 0
        gateway.process.send_signal(signal.SIGTERM)
        assert gateway.process.wait(30) == 0, gateway.logs()
    finally:
        gateway.kill()
