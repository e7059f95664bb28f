"""``llmgw health`` (the image's HEALTHCHECK and the chart's exec probe under
TLS) and ``llmgw serve --check-config``, run as real commands."""

from __future__ import annotations

import asyncio
import datetime
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from processes import free_port, start_gateway, wait_ready

LLMGW = str(Path(sys.executable).parent / "llmgw")
pytestmark = pytest.mark.slow


async def llmgw(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``llmgw ARGS``; exit code and stdout+stderr."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LLMGW_", "VLLM_"))}
    process = await asyncio.create_subprocess_exec(
        LLMGW,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**base, **(env or {})},
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_health_against_a_running_gateway(tmp_path: Path) -> None:
    gateway = start_gateway(tmp_path / "gw", {"probe_interval_seconds": 0})
    try:
        await wait_ready(gateway)
        for service in ("", "liveness", "readiness", "llmgateway.v1.GatewayService"):
            code, out = await llmgw("health", "--address", gateway.address, "--service", service)
            assert (code, out.count("\n")) == (0, 1), out  # one line
            assert out.startswith("healthy: ") and out.rstrip().endswith("SERVING"), out
        code, out = await llmgw("health", "--address", gateway.admin, "--service", "readiness")
        assert code == 0, out
        code, out = await llmgw("health", "--address", gateway.address, "--service", "nope")
        assert code == 1 and "NOT_FOUND" in out, out
        assert gateway.terminate() == 0
        code, out = await llmgw("health", "--address", gateway.address, "--timeout", "2")
        assert code == 1 and out.startswith("unhealthy: ") and "UNAVAILABLE" in out, out
    finally:
        gateway.kill()


async def test_health_times_out_on_a_silent_peer() -> None:
    """A listener that accepts but never speaks HTTP/2: exit 1 within the timeout."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        loop = asyncio.get_running_loop()
        start = loop.time()
        code, out = await llmgw("health", "--address", f"127.0.0.1:{port}", "--timeout", "1")
        assert code == 1 and "DEADLINE_EXCEEDED" in out, out
        assert loop.time() - start < 20


# ---------------------------------------------------------------- TLS / mTLS


@dataclass
class Pki:
    folder: Path

    def path(self, name: str) -> str:
        return str(self.folder / name)

    def read(self, name: str) -> bytes:
        return (self.folder / name).read_bytes()


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _issue(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    usage: list[x509.ObjectIdentifier] | None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False
        ).add_extension(x509.ExtendedKeyUsage(usage), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    """A CA (ca.crt) and, signed by it, a server certificate for llmgw.test
    (tls.crt/tls.key, server+client auth, as a cert-manager Certificate would
    give) and a client certificate (client.crt/client.key)."""
    ca_key = _key()
    ca = _issue("llmgw test CA", ca_key, None, ca_key, None)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.crt").write_bytes(ca.public_bytes(pem))
    usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    for stem, name in (("tls", "llmgw.test"), ("client", "caller.test")):
        key = _key()
        cert = _issue(name, key, ca, ca_key, usages)
        (tmp_path / f"{stem}.crt").write_bytes(cert.public_bytes(pem))
        _write_key(tmp_path / f"{stem}.key", key)
    return Pki(tmp_path)


@asynccontextmanager
async def tls_health_server(pki: Pki, mtls: bool) -> AsyncIterator[str]:
    """A grpc.health.v1 server on TLS (mTLS: client certificates signed by the
    CA required) with ``readiness`` SERVING; yields its address."""
    credentials = grpc.ssl_server_credentials(
        [(pki.read("tls.key"), pki.read("tls.crt"))],
        root_certificates=pki.read("ca.crt") if mtls else None,
        require_client_auth=mtls,
    )
    server = grpc.aio.server()
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_secure_port(f"127.0.0.1:{free_port()}", credentials)
    await server.start()
    await health.set("readiness", health_pb2.HealthCheckResponse.SERVING)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


async def test_health_over_tls(pki: Pki) -> None:
    async with tls_health_server(pki, mtls=False) as address:
        good = ("--tls-ca", pki.path("ca.crt"), "--tls-server-name", "llmgw.test")
        code, out = await llmgw("health", "--address", address, *good)
        assert code == 0 and "SERVING" in out, out
        code, out = await llmgw("health", "--address", address, "--timeout", "2")
        assert code == 1, out  # plaintext against TLS
        wrong_name = ("--tls-ca", pki.path("ca.crt"), "--tls-server-name", "other.test")
        code, out = await llmgw("health", "--address", address, "--timeout", "2", *wrong_name)
        assert code == 1, out


async def test_health_over_mtls(pki: Pki) -> None:
    async with tls_health_server(pki, mtls=True) as address:
        server_only = ("--tls-ca", pki.path("ca.crt"), "--tls-server-name", "llmgw.test")
        code, out = await llmgw("health", "--address", address, "--timeout", "2", *server_only)
        assert code == 1, out  # no client certificate
        # The chart's probe presents the pod's own certificate (tls.crt/tls.key).
        own = ("--tls-cert", pki.path("tls.crt"), "--tls-key", pki.path("tls.key"))
        code, out = await llmgw("health", "--address", address, *server_only, *own)
        assert code == 0 and "SERVING" in out, out
        client = ("--tls-cert", pki.path("client.crt"), "--tls-key", pki.path("client.key"))
        code, out = await llmgw("health", "--address", address, *server_only, *client)
        assert code == 0, out


async def test_health_with_an_unreadable_certificate(tmp_path: Path) -> None:
    missing = str(tmp_path / "absent.crt")
    code, out = await llmgw("health", "--address", "127.0.0.1:1", "--tls-ca", missing)
    assert code == 1 and out.startswith("unhealthy: ") and "absent.crt" in out, out


# ------------------------------------------------------------- --check-config

ADMIN_KEY = "k" * 40


async def test_check_config_accepts_a_good_file(tmp_path: Path) -> None:
    config = tmp_path / "llmgw.yaml"
    config.write_text('listen: "[::]:50051"\nadmin_listen: "[::]:50052"\n', encoding="utf-8")
    code, out = await llmgw(
        "serve", "--check-config", "--config", str(config), env={"LLMGW_ADMIN_KEY": ADMIN_KEY}
    )
    assert code == 0 and out.startswith(f"config OK: {config}") and "auth on" in out, out
    # Nothing was started: the ports stay free and no data directory appeared.
    assert not (tmp_path / "data").exists()


async def test_check_config_names_the_bad_field(tmp_path: Path) -> None:
    config = tmp_path / "llmgw.yaml"
    config.write_text("rate_limits:\n  max_messages: 0\n", encoding="utf-8")
    code, out = await llmgw("serve", "--check-config", "--config", str(config))
    assert code == 2 and "rate_limits.max_messages" in out, out


async def test_check_config_checks_env_and_exposure(tmp_path: Path) -> None:
    config = tmp_path / "llmgw.yaml"
    config.write_text('listen: "0.0.0.0:50051"\n', encoding="utf-8")
    code, out = await llmgw("serve", "--check-config", "--config", str(config))
    assert code == 2 and "refusing to listen" in out, out
    code, out = await llmgw(
        "serve", "--check-config", "--config", str(config), env={"LLMGW_ADMIN_KEY": "short"}
    )
    assert code == 2 and "LLMGW_ADMIN_KEY" in out, out
    code, out = await llmgw(
        "serve", "--check-config", "--config", str(config), "--insecure-no-auth"
    )
    assert code == 0, out
    code, out = await llmgw(
        "serve", "--check-config", "--config", str(config), env={"BUDGET_LIMIT": "-1"}
    )
    assert code == 2 and "global_limit" in out, out
